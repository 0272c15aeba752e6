/**
 * DifFIQA's quality (Babnik et al., IJCB 2023; `LSIbabnikz/DifFIQA` diffiqa/inference.py) around any denoiser:
 * for x and its mirror image x^f, R times: x_t = q_sample(x, t), x̂ = DDIM reconstruction of x_t (pairs of
 * `ddimTimePairs(t, steps)`, η = 1, so it is stochastic); then
 *   q = ⅕ [cos̄(e(x), e(x_t)) + cos̄(e(x), e(x̂)) + cos̄(e(x), e(x_t^f)) + cos̄(e(x), e(x̂^f)) + cos(e(x), e(x^f))],
 * cos̄ averaged over the R repeats (all terms compare with the unflipped e(x), as the original does).
 *
 * Images are RGB in [−1, 1] (the original feeds the same tensor to the UNet and to CosFace). The FR model gets
 * 0..255 pixels: (v + 1)·127.5, as floats for tfjs recognisers and rounded to 8 bits for ONNX ones (their
 * interface takes 8-bit crops). When the denoiser works at a lower resolution than the FR model, see resample.ts.
 *
 * Noise is drawn in TypeScript from `rngFor(seed, 'diffiqa', imageId)`, field by field (q_sample first, then one
 * per DDIM step with time_next ≥ 0), and within a field copy by copy (x: repeats 0…R−1, then x^f: 0…R−1): a score
 * does not depend on the batch it is computed in.
 */
import { rngFor } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import type { Recognizer } from '@aikd/fr-models';
import { flipHorizontal } from '@aikd/fr-models';
import { alphasCumprod, cosineBetaSchedule, ddimTimePairs, ddimUpdate, noiseFieldCount, qSample } from './schedule.ts';
import { areaDownsample, bilinearUpsample } from './resample.ts';

/** A denoiser with the pred-x0 objective: x_t [n, D, D, 3] (NHWC, RGB, [−1, 1]) at one time step → x̂0, same layout. */
export interface Denoiser {
  /** Side D of its square input. */
  readonly size: number;
  /** What it is, for provenance (e.g. `local UNet (run …)` or `ONNX UNet file.onnx`). */
  readonly description: string;
  readonly weightsHash: string;
  predictX0(x: Float32Array, n: number, time: number): Promise<Float32Array>;
  dispose(): void | Promise<void>;
}

export interface DiffiqaSettings {
  R: number;
  t: number;
  steps: number;
  eta: number;
  timesteps: number;
  clip: boolean;
}

/** 0..255 RGB pixels [n, S, S, 3] (NHWC, floats) → n unnormalised embeddings. */
export type PixelEmbedder = (pixels: Float32Array, n: number) => Promise<Float32Array[]>;

/** Embeddings of float pixels, unrounded, in chunks (`Recognizer.embedPixels`). */
export function pixelEmbedder(rec: Recognizer, chunk = 16): PixelEmbedder {
  const S = rec.spec.inputSize, per = S * S * 3;
  return async (pixels, n) => {
    const out: Float32Array[] = [];
    for (let i = 0; i < n; i += chunk) {
      const m = Math.min(chunk, n - i);
      out.push(...(await rec.embedPixels(pixels.subarray(i * per, (i + m) * per), m)));
    }
    return out;
  };
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! * a[i]!), (bb += b[i]! * b[i]!);
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** The schedule the settings imply (computed once per method). */
export function diffiqaSchedule(P: DiffiqaSettings): { ac: Float64Array; pairs: [number, number][] } {
  if (P.t >= P.timesteps) throw new RangeError(`DifFIQA: t = ${P.t} must be below the ${P.timesteps} schedule steps`);
  return { ac: alphasCumprod(cosineBetaSchedule(P.timesteps)), pairs: ddimTimePairs(P.t, P.steps) };
}

/** All noise fields of one image: [field][copy][D·D·3], copies x r=0…R−1 then x^f r=0…R−1. */
export function diffiqaNoise(seed: number | string, id: string, fields: number, R: number, perCopy: number): Float32Array[] {
  const rng = rngFor(seed, 'diffiqa', id);
  return Array.from({ length: fields }, () => {
    const f = new Float32Array(2 * R * perCopy);
    for (let i = 0; i < f.length; i++) f[i] = rng.normal();
    return f;
  });
}

export interface DiffiqaTrace {
  quality: number;
  /** The five terms (cos̄ noisy, cos̄ reconstructed, their flip versions, cos flip). */
  terms: [number, number, number, number, number];
}

/** [−1, 1] → 0..255 */
const toPixels = (v: Float32Array) => v.map((x) => (x + 1) * 127.5);

/**
 * DifFIQA scores of aligned crops (S × S, the FR model's input), one image at a time: 2R copies through q_sample and
 * the DDIM loop, then 2 + 4R FR embeddings.
 */
export async function diffiqaScores(
  crops: readonly RawImage[],
  ids: readonly string[],
  seed: number | string,
  P: DiffiqaSettings,
  denoiser: Denoiser,
  embed: PixelEmbedder,
  schedule = diffiqaSchedule(P),
): Promise<DiffiqaTrace[]> {
  const { ac, pairs } = schedule;
  const D = denoiser.size, R = P.R, per = D * D * 3;
  const out: DiffiqaTrace[] = [];
  for (let j = 0; j < crops.length; j++) {
    const x = crops[j]!, S = x.width, perS = S * S * 3;
    // x and x^f in [−1, 1] at S, then at D
    const startS = new Float32Array(2 * perS);
    startS.set(Float32Array.from(x.data, (p) => p / 127.5 - 1), 0);
    startS.set(Float32Array.from(flipHorizontal(x).data, (p) => p / 127.5 - 1), perS);
    const startD = areaDownsample(startS, 2, S, D);
    const base = new Float32Array(2 * R * per); // copy (f, r) = startD[f]
    for (let f = 0; f < 2; f++) for (let r = 0; r < R; r++) base.set(startD.subarray(f * per, (f + 1) * per), (f * R + r) * per);
    const noise = diffiqaNoise(seed, ids[j]!, noiseFieldCount(pairs), R, per);
    const xt = qSample(base, noise[0]!, ac[P.t]!);
    const img = xt.slice();
    let field = 1;
    for (const [time, next] of pairs) {
      const x0 = await denoiser.predictX0(img, 2 * R, time);
      ddimUpdate(img, x0, next >= 0 ? noise[field++] : undefined, ac, time, next, P.eta, P.clip);
    }
    // back to the FR model's resolution: the diffusion's change added to the full-resolution crop
    const toS = (v: Float32Array) => {
      if (D === S) return v;
      const delta = v.map((q, i) => q - base[i]!);
      const up = bilinearUpsample(delta, 2 * R, D, S);
      for (let c = 0; c < 2 * R; c++) {
        const src = startS.subarray((c < R ? 0 : 1) * perS, (c < R ? 1 : 2) * perS);
        for (let q = 0; q < perS; q++) up[c * perS + q]! += src[q]!;
      }
      return up;
    };
    const pix = new Float32Array((2 + 4 * R) * perS);
    pix.set(toPixels(startS), 0);
    pix.set(toPixels(toS(xt)), 2 * perS);
    pix.set(toPixels(toS(img)), (2 + 2 * R) * perS);
    const e = await embed(pix, 2 + 4 * R);
    const ex = e[0]!;
    const mean = (from: number) => {
      let s = 0;
      for (let r = 0; r < R; r++) s += cosine(ex, e[from + r]!);
      return s / R;
    };
    const terms: DiffiqaTrace['terms'] = [mean(2), mean(2 + 2 * R), mean(2 + R), mean(2 + 3 * R), cosine(ex, e[1]!)];
    out.push({ quality: terms.reduce((a, b) => a + b, 0) / 5, terms });
  }
  return out;
}
