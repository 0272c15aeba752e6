/**
 * The shared regression-head trainer: a small head on frozen FR features (the embedding, or the activations
 * before the FR model's last layer), trained with the method's loss on a labelled training split, with a
 * validation split, the best epoch's weights kept (and handed to `onBest` for checkpointing), and per-step
 * metrics. Features are standardised per channel and labels to zero mean / unit spread for conditioning; the loss
 * is rescaled so its minimiser is the original one (SmoothL1_β(s·a) = s·SmoothL1_{β/s}(a)), and losses are
 * reported in label units.
 *
 * Head shapes: `hidden` = 0 is linear on the (flattened) features — CR-FIQA's qs and DifFIQA(R)'s head are one
 * Linear layer on the embedding, SDD-FIQA's is one on the flattened last feature map; `hidden` > 0 adds one ReLU
 * layer (for a feature map: a 1×1 conv, ReLU, global average pooling, then the output layer).
 */
import { rngFor } from '@aikd/core';
import { tf } from '@aikd/runtime';
import { spearman } from '../stats.ts';
import { heNormal } from './weights.ts';

export type LossSpec = { kind: 'smoothl1'; beta: number } | { kind: 'l1' } | { kind: 'l2' };

export interface HeadConfig {
  hidden: number;
  /** Dropout on the head's input while training (inverted). */
  dropout: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** L2 penalty on the kernels. */
  weightDecay: number;
  /** Stop after this many epochs without a better validation loss (0: never). */
  patience: number;
}

/** Everything needed to apply a trained head (saved as head.json + head.bin). */
export interface HeadState {
  config: HeadConfig;
  /** Per-sample feature shape: [d] or [h, w, c]. */
  featureShape: number[];
  /** Per-channel standardisation (last axis). */
  mean: number[];
  std: number[];
  /** prediction = labelShift + labelScale · head output */
  labelShift: number;
  labelScale: number;
  loss: LossSpec;
}

export const HEAD_WEIGHT_NAMES = (cfg: Pick<HeadConfig, 'hidden'>): string[] => (cfg.hidden > 0 ? ['h.w', 'h.b', 'o.w', 'o.b'] : ['o.w', 'o.b']);

export interface EpochRecord {
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number | null;
  valSpearman: number | null;
}

export interface HeadTrainResult {
  state: HeadState;
  /** The best epoch's weights (by validation loss; by training loss without validation). */
  weights: Record<string, tf.Tensor>;
  bestEpoch: number;
  bestValLoss: number | null;
  history: EpochRecord[];
  steps: number;
}

export interface HeadTrainData {
  /** Row-major features [n, …featureShape]. */
  X: Float32Array;
  featureShape: number[];
  /** Labels (rows with a non-finite label must not be in train/val). */
  y: ArrayLike<number>;
  train: readonly number[];
  val: readonly number[];
}

export interface HeadTrainOptions {
  config: HeadConfig;
  loss: LossSpec;
  seed: number | string;
  onStep?: (step: number, loss: number) => void;
  onEpoch?: (rec: EpochRecord, improved: boolean) => void;
  /** Called with the new best weights whenever validation improves (write the checkpoint here). */
  onBest?: (weights: Record<string, tf.Tensor>, rec: EpochRecord, state: HeadState) => Promise<void> | void;
}

/** Per-channel mean and std (last axis) of the training rows; std floors at 1e-6. */
export function channelStats(X: Float32Array, featureShape: readonly number[], rows: readonly number[]): { mean: number[]; std: number[] } {
  const c = featureShape[featureShape.length - 1]!;
  const F = featureShape.reduce((a, b) => a * b, 1);
  const s = new Float64Array(c), ss = new Float64Array(c);
  for (const r of rows) for (let q = 0; q < F; q++) {
    const v = X[r * F + q]!, k = q % c;
    s[k]! += v;
    ss[k]! += v * v;
  }
  const cnt = (rows.length * F) / c;
  const mean = Array.from(s, (v) => v / cnt);
  const std = Array.from(ss, (v, k) => Math.max(1e-6, Math.sqrt(Math.max(0, v / cnt - mean[k]! ** 2))));
  return { mean, std };
}

/** Elementwise loss in normalised label units (β already divided by the label scale). */
function lossTensor(pred: tf.Tensor1D, target: tf.Tensor1D, loss: LossSpec, scale: number): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.abs(tf.sub(pred, target));
    if (loss.kind === 'l1') return tf.mean(d) as tf.Scalar;
    if (loss.kind === 'l2') return tf.mean(tf.square(d)) as tf.Scalar;
    // SmoothL1_β(d) = ½·min(d, β)²/β + (d − min(d, β)): the same piecewise function, written without a comparison
    // (tfjs has no gradient through Less)
    const b = loss.beta / scale;
    const m = tf.minimum(d, b);
    return tf.mean(tf.add(tf.div(tf.mul(0.5, tf.square(m)), b), tf.sub(d, m))) as tf.Scalar;
  });
}

/** The loss in label units from the normalised one. */
const rawLoss = (v: number, loss: LossSpec, scale: number) => (loss.kind === 'l2' ? v * scale * scale : v * scale);

/** Standardised features → head output (normalised label units), [n]. */
export function headForward(W: Record<string, tf.Tensor>, state: Pick<HeadState, 'featureShape' | 'config'>, x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const n = x.shape[0]!;
    if (state.config.hidden <= 0) return tf.add(tf.matMul(x.reshape([n, -1]), W['o.w'] as tf.Tensor2D), W['o.b']!).reshape([n]) as tf.Tensor1D;
    const c = state.featureShape[state.featureShape.length - 1]!;
    const hw = state.featureShape.length === 3 ? state.featureShape[0]! * state.featureShape[1]! : 1;
    let h = tf.relu(tf.add(tf.matMul(x.reshape([n * hw, c]), W['h.w'] as tf.Tensor2D), W['h.b']!));
    if (hw > 1) h = h.reshape([n, hw, state.config.hidden]).mean(1);
    return tf.add(tf.matMul(h as tf.Tensor2D, W['o.w'] as tf.Tensor2D), W['o.b']!).reshape([n]) as tf.Tensor1D;
  });
}

/** Raw features [n, …] → standardised tensor. */
export function standardise(state: Pick<HeadState, 'featureShape' | 'mean' | 'std'>, X: Float32Array, n: number): tf.Tensor {
  return tf.tidy(() => {
    const c = state.featureShape[state.featureShape.length - 1]!;
    const t = tf.tensor(X, [n, ...state.featureShape]);
    return tf.div(tf.sub(t, tf.tensor1d(state.mean).reshape([c])), tf.tensor1d(state.std).reshape([c]));
  });
}

/** Predictions in label units for raw features. */
export function predictHead(W: Record<string, tf.Tensor>, state: HeadState, X: Float32Array, n: number): Float64Array {
  const out = tf.tidy(() => tf.add(tf.mul(headForward(W, state, standardise(state, X, n)), state.labelScale), state.labelShift));
  const v = Float64Array.from(out.dataSync());
  out.dispose();
  return v;
}

function initHead(cfg: HeadConfig, featureShape: readonly number[], seed: number | string): Record<string, tf.Variable> {
  const rng = rngFor(seed, 'teacher-head-init');
  const F = featureShape.reduce((a, b) => a * b, 1), c = featureShape[featureShape.length - 1]!;
  const v = (shape: number[], values: Float32Array) => tf.variable(tf.tensor(values, shape), true);
  if (cfg.hidden <= 0) return { 'o.w': v([F, 1], heNormal(rng, F, F, Math.SQRT1_2)), 'o.b': v([1], new Float32Array(1)) };
  const inDim = featureShape.length === 3 ? c : F;
  return {
    'h.w': v([inDim, cfg.hidden], heNormal(rng, inDim * cfg.hidden, inDim)),
    'h.b': v([cfg.hidden], new Float32Array(cfg.hidden)),
    'o.w': v([cfg.hidden, 1], heNormal(rng, cfg.hidden, cfg.hidden, Math.SQRT1_2)),
    'o.b': v([1], new Float32Array(1)),
  };
}

export async function trainHead(data: HeadTrainData, o: HeadTrainOptions): Promise<HeadTrainResult> {
  const cfg = o.config;
  const F = data.featureShape.reduce((a, b) => a * b, 1);
  if (!data.train.length) throw new RangeError('trainHead: no training rows');
  const { mean, std } = channelStats(data.X, data.featureShape, data.train);
  const ys = data.train.map((i) => data.y[i]!);
  const mu = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sd = Math.sqrt(ys.reduce((a, b) => a + (b - mu) ** 2, 0) / ys.length);
  const state: HeadState = { config: cfg, featureShape: [...data.featureShape], mean, std, labelShift: mu, labelScale: sd > 1e-12 ? sd : 1, loss: o.loss };
  const W = initHead(cfg, data.featureShape, o.seed);
  const vars = Object.values(W);
  const opt = tf.train.adam(cfg.lr);
  const kernels = Object.entries(W).filter(([k]) => k.endsWith('.w')).map(([, v]) => v);
  const rows = (idx: readonly number[]) => {
    const x = new Float32Array(idx.length * F);
    idx.forEach((r, k) => x.set(data.X.subarray(r * F, (r + 1) * F), k * F));
    return x;
  };
  const target = (idx: readonly number[]) => tf.tensor1d(idx.map((i) => (data.y[i]! - mu) / state.labelScale));
  const Xval = data.val.length ? standardise(state, rows(data.val), data.val.length) : undefined;
  const yVal = data.val.length ? target(data.val) : undefined;
  const history: EpochRecord[] = [];
  let best: { epoch: number; loss: number; weights: Record<string, tf.Tensor> } | undefined;
  let step = 0, sinceBest = 0;
  const keepRate = 1 - cfg.dropout;
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const rng = rngFor(o.seed, 'teacher-head-epoch', epoch);
      const order = rng.shuffle([...data.train]);
      let sum = 0;
      for (let b = 0; b < order.length; b += cfg.batchSize) {
        const idx = order.slice(b, b + cfg.batchSize);
        const x = standardise(state, rows(idx), idx.length);
        const mask = cfg.dropout > 0 ? Float32Array.from({ length: idx.length * F }, () => (rng.next() < keepRate ? 1 / keepRate : 0)) : undefined;
        const xin = mask ? tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape))) : x;
        const y = target(idx);
        const lossT = opt.minimize(
          () => {
            const l = lossTensor(headForward(W, state, xin), y, o.loss, state.labelScale);
            return (cfg.weightDecay > 0 ? tf.add(l, tf.mul(cfg.weightDecay, tf.addN(kernels.map((k) => tf.sum(tf.square(k)))))) : l) as tf.Scalar;
          },
          true,
          vars,
        )!;
        const v = rawLoss((await lossT.data())[0]!, o.loss, state.labelScale);
        tf.dispose([lossT, x, xin, y]);
        step++;
        sum += v * idx.length;
        o.onStep?.(step, v);
      }
      let valLoss: number | null = null, valSpearman: number | null = null;
      if (Xval && yVal) {
        const p = headForward(W, state, Xval);
        valLoss = rawLoss((await lossTensor(p, yVal, o.loss, state.labelScale).data())[0]!, o.loss, state.labelScale);
        valSpearman = spearman(await p.data(), data.val.map((i) => data.y[i]!));
        p.dispose();
      }
      const rec: EpochRecord = { epoch, step, trainLoss: sum / order.length, valLoss, valSpearman };
      history.push(rec);
      const score = valLoss ?? rec.trainLoss;
      const improved = !best || score < best.loss;
      if (improved) {
        if (best) tf.dispose(Object.values(best.weights));
        best = { epoch, loss: score, weights: Object.fromEntries(Object.entries(W).map(([k, t]) => [k, tf.clone(t)])) };
        sinceBest = 0;
        await o.onBest?.(best.weights, rec, state);
      } else sinceBest++;
      o.onEpoch?.(rec, improved);
      if (cfg.patience > 0 && sinceBest >= cfg.patience) break;
    }
  } finally {
    opt.dispose();
    tf.dispose([...vars, ...(Xval ? [Xval] : []), ...(yVal ? [yVal] : [])]);
  }
  return { state, weights: best!.weights, bestEpoch: best!.epoch, bestValLoss: data.val.length ? best!.loss : null, history, steps: step };
}
