/**
 * FaceQAN (Babnik et al., ICPR 2022), checked line by line against the official code (`LSIbabnikz/FaceQAN`,
 * `src/calculate_qs.py`, `bim_attack.py`, `util.py`, `symmetry.py`; the teachers README lists each point):
 * k copies of the image with U(−ε, ε) noise are pushed away from the clean embedding by l BIM steps (loss
 * mean_j(1 − cos_j), step ε·sign(∇)); the cosines to the clean embedding, recorded at each step before the update,
 * form S (l·k values); with the flip symmetry s_f = cos(emb(x), emb(flip x)), q = [(1 + mean S)/2 · clip(1 − std S,
 * 0, 1) · s_f]^p.
 *
 * Pixels are the tfjs recognisers' 0..255 RGB, so ε (a fraction of the official [0, 1] input) becomes ε·255 grey
 * levels, and copies are clamped to [−255, 255], the official [−1, 1] clamp of its [0, 1] images. Noise is drawn
 * from `rngFor(seed, 'faceqan', id)`; each image is attacked on its own, so its score does not depend on its batch.
 * The gradient of the last step is never used (the official code computes it and drops it), so it is not computed.
 */
import { z, rngFor } from '@aikd/core';
import type { tf as TF } from '@aikd/runtime';
import type { TensorRecognizer } from '@aikd/fr-models';
import { FACEQAN_CLAMP, FACEQAN_DEFAULTS, PIXEL_MAX } from '../../constants.ts';
import { resolveParams } from '../../params.ts';
import type { QualityMethod, QualityMethodOptions, ScoreContext } from '../../types.ts';
import { checkCount, inputOf, needsTensors, openRecognizer } from '../common.ts';

export const faceqanParams = z.object({
  k: z.number().int().min(2).max(256).default(FACEQAN_DEFAULTS.k),
  l: z.number().int().min(1).max(100).default(FACEQAN_DEFAULTS.l),
  epsilon: z.number().gt(0).lt(1).default(FACEQAN_DEFAULTS.epsilon),
  p: z.number().int().min(1).max(20).default(FACEQAN_DEFAULTS.p),
});
export type FaceqanParams = z.output<typeof faceqanParams>;

type Tf = typeof TF;

/** Row-wise cosine of every embedding in `e` [k, d] with `ref` [1, d] → [k]. */
export function cosineToRef(tf: Tf, e: TF.Tensor2D, ref: TF.Tensor2D): TF.Tensor1D {
  return tf.tidy(() => {
    const en = tf.div(e, tf.norm(e, 2, 1, true));
    const rn = tf.div(ref, tf.norm(ref, 2, 1, true));
    return tf.sum(tf.mul(en, rn), 1) as TF.Tensor1D;
  });
}

/**
 * The measurement of one BIM step: cos(clean, emb(X_j)) for every copy, and — when asked — the gradient of the
 * attack loss mean_j(1 − cos_j) with respect to the copies' pixels.
 */
export function attackStep(tf: Tf, forward: TensorRecognizer['forward'], clean: TF.Tensor2D, X: TF.Tensor4D, withGrad: boolean): { cos: TF.Tensor1D; grad?: TF.Tensor4D } {
  if (!withGrad) return { cos: tf.tidy(() => cosineToRef(tf, forward(X), clean)) };
  let cos: TF.Tensor1D | undefined;
  const lossOf = (x: TF.Tensor): TF.Scalar => {
    const c = cosineToRef(tf, forward(x as TF.Tensor4D), clean);
    cos = tf.keep(c);
    return tf.mean(tf.sub(1, c)) as TF.Scalar;
  };
  const grad = tf.grad(lossOf)(X) as TF.Tensor4D;
  return { cos: cos!, grad };
}

/**
 * sign(x) ∈ {−1, 0, 1} exactly, as torch's `sign`. Not `tf.sign`: the wasm backend's Sign returns 0 for
 * |x| < 2⁻²³ (float epsilon), and FaceQAN's input gradients are mostly that small (the loss 1 − cos is flat where the
 * copies start, next to the clean image), so with `tf.sign` most pixels never move and the attack does almost nothing.
 */
export function exactSign(tf: Tf, x: TF.Tensor): TF.Tensor {
  return tf.tidy(() => tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32')));
}

/** One BIM update: X + ε·sign(∇), clamped (by default FaceQAN's official range, `FACEQAN_CLAMP`). */
export function bimUpdate(tf: Tf, X: TF.Tensor4D, grad: TF.Tensor4D, epsPixels: number, clamp: readonly [number, number] = FACEQAN_CLAMP): TF.Tensor4D {
  return tf.tidy(() => tf.clipByValue(tf.add(X, tf.mul(exactSign(tf, grad), epsPixels)), clamp[0], clamp[1]) as TF.Tensor4D);
}

/** The initial noise of the k copies, U(−ε, ε) per value (pixel units), [k, …shape of one image] row-major. */
export function faceqanNoise(seed: number | string, id: string, k: number, perImage: number, epsPixels: number): Float32Array {
  const rng = rngFor(seed, 'faceqan', id);
  const out = new Float32Array(k * perImage);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-epsPixels, epsPixels);
  return out;
}

/** q = [(1 + mean S)/2 · clip(1 − std S, 0, 1) · s_f]^p, with the population standard deviation (numpy's default). */
export function faceqanQuality(S: ArrayLike<number>, sf: number, p: number): number {
  const n = S.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += S[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (S[i]! - mean) ** 2;
  const std = Math.sqrt(v / n);
  return (((1 + mean) / 2) * Math.min(1, Math.max(0, 1 - std)) * sf) ** p;
}

export interface FaceqanTrace {
  /** cos(clean, copy) per step and copy, [l, k] row-major. */
  S: Float64Array;
  sf: number;
  q: number;
}

/** FaceQAN of one image (pixels [1, S, S, 3], 0..255), with the per-step similarities for inspection. */
export async function faceqanOne(tf: Tf, t: TensorRecognizer, pixels: TF.Tensor4D, id: string, seed: number | string, P: FaceqanParams): Promise<FaceqanTrace> {
  const epsPx = P.epsilon * PIXEL_MAX;
  const both = tf.tidy(() => t.forward(tf.concat([pixels, tf.reverse(pixels, 2)], 0)));
  const clean = tf.tidy(() => both.slice([0, 0], [1, -1]) as TF.Tensor2D);
  const sfT = tf.tidy(() => cosineToRef(tf, both.slice([1, 0], [1, -1]) as TF.Tensor2D, clean));
  const sf = (await sfT.data())[0]!;
  both.dispose();
  sfT.dispose();
  const perImage = pixels.size;
  const noise = faceqanNoise(seed, id, P.k, perImage, epsPx);
  let X = tf.tidy(() => tf.clipByValue(tf.add(pixels, tf.tensor(noise, [P.k, ...pixels.shape.slice(1)])), FACEQAN_CLAMP[0], FACEQAN_CLAMP[1]) as TF.Tensor4D);
  const S = new Float64Array(P.l * P.k);
  try {
    for (let step = 0; step < P.l; step++) {
      const last = step === P.l - 1;
      const { cos, grad } = attackStep(tf, t.forward, clean, X, !last);
      S.set(await cos.data(), step * P.k);
      cos.dispose();
      if (grad) {
        const next = bimUpdate(tf, X, grad, epsPx);
        grad.dispose();
        X.dispose();
        X = next;
      }
    }
  } finally {
    X.dispose();
    clean.dispose();
  }
  return { S, sf, q: faceqanQuality(S, sf, P.p) };
}

export async function createFaceqan(opts: QualityMethodOptions): Promise<QualityMethod> {
  const P = resolveParams('faceqan', faceqanParams, opts.params);
  const { rec, owned } = await openRecognizer({ ...opts, featureCache: false }); // input gradients: no cached features
  const t = await rec.gradients?.();
  if (!t) {
    if (owned) await rec.dispose();
    throw needsTensors('faceqan', rec, 'needs input gradients');
  }
  const { tf } = await import('@aikd/runtime');
  return {
    id: 'faceqan',
    requires: { frModel: true, gradients: true },
    params: { ...P, epsilon_pixels: P.epsilon * PIXEL_MAX, clamp: [...FACEQAN_CLAMP] },
    frModel: rec.id,
    weightsHash: rec.spec.weightsHash,
    range: { min: -1, max: 1, note: `[(1+mean S)/2 · clip(1−std S) · s_f]^${P.p}; negative only if the mirror image's embedding points away` },
    input: inputOf(rec),
    batchSize: 4,
    async score(crops, ctx: ScoreContext) {
      checkCount('faceqan', crops, ctx.ids);
      const out = new Float64Array(crops.length);
      for (let i = 0; i < crops.length; i++) {
        const px = t.toPixels([crops[i]!]);
        try {
          out[i] = (await faceqanOne(tf, t, px, ctx.ids[i]!, ctx.seed, P)).q;
        } finally {
          px.dispose();
        }
      }
      return out;
    },
    async dispose() {
      if (owned) await rec.dispose();
    },
  };
}
