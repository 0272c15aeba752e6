/**
 * Training the small local UNet with DifFIQA's objective: pred-x0, L2 loss, t ~ U{0 … tMax − 1} on the cosine
 * schedule (the original's time_bound [0, 100)), on training crops (random horizontal flips). The original's
 * "extended" training (BSRGAN-degraded inputs blended in) is not done: the crops here are denoised, not restored.
 * A fixed validation batch (held-out identities, fixed t and noise) is scored every `evalEvery` steps and the best
 * weights are kept.
 */
import { rngFor } from '@aikd/core';
import { tf } from '@aikd/runtime';
import { alphasCumprod, cosineBetaSchedule } from './schedule.ts';
import { initUnet, unetForward, type UnetConfig, type UnetParams } from './unet.ts';

export interface UnetTrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  tMax: number;
  timesteps: number;
  seed: number | string;
  evalEvery?: number;
  onStep?: (step: number, loss: number) => void;
  onEval?: (step: number, valLoss: number, best: boolean) => void;
}

export interface UnetTrainResult {
  params: UnetParams;
  bestStep: number;
  bestValLoss: number | null;
  finalTrainLoss: number;
}

/** Copies [k, D, D, 3] at indices, optionally mirrored. */
function gather(data: Float32Array, D: number, idx: readonly number[], flip: readonly boolean[]): Float32Array {
  const per = D * D * 3, out = new Float32Array(idx.length * per);
  idx.forEach((i, k) => {
    const src = data.subarray(i * per, (i + 1) * per);
    if (!flip[k]) return out.set(src, k * per);
    for (let y = 0; y < D; y++)
      for (let x = 0; x < D; x++)
        for (let c = 0; c < 3; c++) out[k * per + (y * D + x) * 3 + c] = src[(y * D + (D - 1 - x)) * 3 + c]!;
  });
  return out;
}

/** x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε per sample. */
function noisy(x0: Float32Array, eps: Float32Array, per: number, ts: readonly number[], ac: Float64Array): Float32Array {
  const out = new Float32Array(x0.length);
  ts.forEach((t, k) => {
    const a = Math.sqrt(ac[t]!), b = Math.sqrt(1 - ac[t]!);
    for (let q = k * per; q < (k + 1) * per; q++) out[q] = a * x0[q]! + b * eps[q]!;
  });
  return out;
}

/**
 * Train on `train` crops (n × D × D × 3 in [−1, 1]); `val` (may be empty) picks the best weights. Returns the best
 * parameters (the others are disposed).
 */
export async function trainLocalUnet(cfg: UnetConfig, train: { data: Float32Array; n: number }, val: { data: Float32Array; n: number }, o: UnetTrainOptions): Promise<UnetTrainResult> {
  const D = cfg.size, per = D * D * 3;
  const ac = alphasCumprod(cosineBetaSchedule(o.timesteps));
  const P = initUnet(cfg, o.seed);
  const vars = Object.values(P);
  const opt = tf.train.adam(o.lr);
  const evalEvery = o.evalEvery ?? 50;
  // fixed validation batch
  const vRng = rngFor(o.seed, 'diffiqa-unet-val');
  const vn = Math.min(val.n, 32);
  const vIdx = vRng.sampleIndices(val.n, vn);
  const vx0 = gather(val.data, D, vIdx, vIdx.map(() => false));
  const vt = vIdx.map(() => vRng.int(o.tMax));
  const vEps = Float32Array.from({ length: vx0.length }, () => vRng.normal());
  const vxt = noisy(vx0, vEps, per, vt, ac);
  const valLoss = (): number | null => {
    if (!vn) return null;
    return tf.tidy(() => tf.mean(tf.square(tf.sub(unetForward(P, cfg, tf.tensor4d(vxt, [vn, D, D, 3]), tf.tensor1d(vt)), tf.tensor4d(vx0, [vn, D, D, 3])))).dataSync()[0]!);
  };
  let best: { step: number; loss: number | null; weights: tf.Tensor[] } | undefined;
  const keep = (step: number, loss: number | null) => {
    if (best) tf.dispose(best.weights);
    best = { step, loss, weights: vars.map((v) => tf.clone(v)) };
  };
  let last = NaN;
  for (let step = 1; step <= o.steps; step++) {
    const rng = rngFor(o.seed, 'diffiqa-unet-train', step);
    const b = Math.min(o.batchSize, train.n);
    const idx = rng.sampleIndices(train.n, b);
    const flip = idx.map(() => rng.next() < 0.5);
    const ts = idx.map(() => rng.int(o.tMax));
    const x0 = gather(train.data, D, idx, flip);
    const eps = Float32Array.from({ length: x0.length }, () => rng.normal());
    const xt = noisy(x0, eps, per, ts, ac);
    const loss = opt.minimize(
      () => tf.mean(tf.square(tf.sub(unetForward(P, cfg, tf.tensor4d(xt, [b, D, D, 3]), tf.tensor1d(ts)), tf.tensor4d(x0, [b, D, D, 3])))) as tf.Scalar,
      true,
      vars,
    )!;
    last = (await loss.data())[0]!;
    loss.dispose();
    o.onStep?.(step, last);
    if (step % evalEvery === 0 || step === o.steps) {
      const v = valLoss();
      const improved = !best || (v !== null && best.loss !== null && v < best.loss) || v === null;
      if (improved) keep(step, v);
      o.onEval?.(step, v ?? NaN, improved);
    }
  }
  opt.dispose();
  // restore the best weights
  best!.weights.forEach((w, i) => vars[i]!.assign(w));
  tf.dispose(best!.weights);
  return { params: P, bestStep: best!.step, bestValLoss: best!.loss, finalTrainLoss: last };
}
