/**
 * The small local denoiser for DifFIQA: a 3-level UNet in tfjs (conv residual blocks with a sinusoidal time
 * embedding, strided-conv down, nearest-neighbour up, skip concatenation), trained with the pred-x0 objective on
 * the training split. It is a small local model, not the paper's (lucidrains UNet, dim 128, mults 1-2-4-8, trained
 * 100k steps on CelebA with BSRGAN degradations): small enough to train in minutes on 2 cores, and recorded as such.
 *
 * The network predicts x0 as x_t plus a learned correction (the last conv of every block and the output conv start
 * at zero, so the untrained model returns x_t): for the small t DifFIQA uses, x0 is close to x_t and this makes the
 * near-identity easy to learn.
 */
import { rngFor } from '@aikd/core';
import { tf, type NamedTensors } from '@aikd/runtime';
import { heNormal } from '../../train/weights.ts';

export interface UnetConfig {
  /** Side of the square input (divisible by 2^(levels − 1)). */
  size: number;
  /** Channels per level; level i works at size / 2^i. */
  channels: number[];
  /** Width of the sinusoidal time embedding. */
  timeDim: number;
}

export type UnetParams = Record<string, tf.Variable>;

/** tfjs variable names are global: one prefix per UNet instance. */
let instances = 0;

interface ParamShape {
  name: string;
  shape: number[];
  fanIn: number;
  /** 0 = zero init (biases, last convs of residual branches, the output conv). */
  scale: number;
}

function resBlockShapes(p: string, cin: number, cout: number, temb: number): ParamShape[] {
  const s: ParamShape[] = [
    { name: `${p}.c1.w`, shape: [3, 3, cin, cout], fanIn: 9 * cin, scale: 1 },
    { name: `${p}.c1.b`, shape: [cout], fanIn: 1, scale: 0 },
    { name: `${p}.t.w`, shape: [temb, cout], fanIn: temb, scale: 1 },
    { name: `${p}.t.b`, shape: [cout], fanIn: 1, scale: 0 },
    { name: `${p}.c2.w`, shape: [3, 3, cout, cout], fanIn: 9 * cout, scale: 0 },
    { name: `${p}.c2.b`, shape: [cout], fanIn: 1, scale: 0 },
  ];
  if (cin !== cout) s.push({ name: `${p}.s.w`, shape: [1, 1, cin, cout], fanIn: cin, scale: 1 }, { name: `${p}.s.b`, shape: [cout], fanIn: 1, scale: 0 });
  return s;
}

/** Every parameter of the UNet, in a fixed order (the order of seeded initialisation). */
export function unetShapes(cfg: UnetConfig): ParamShape[] {
  const C = cfg.channels, L = C.length, T = cfg.timeDim, E = 2 * T;
  const s: ParamShape[] = [
    { name: 'time.w1', shape: [T, E], fanIn: T, scale: 1 },
    { name: 'time.b1', shape: [E], fanIn: 1, scale: 0 },
    { name: 'in.w', shape: [3, 3, 3, C[0]!], fanIn: 27, scale: 1 },
    { name: 'in.b', shape: [C[0]!], fanIn: 1, scale: 0 },
  ];
  for (let i = 0; i < L; i++) {
    s.push(...resBlockShapes(`down${i}`, C[i]!, C[i]!, E));
    if (i < L - 1) s.push({ name: `down${i}.ds.w`, shape: [3, 3, C[i]!, C[i + 1]!], fanIn: 9 * C[i]!, scale: 1 }, { name: `down${i}.ds.b`, shape: [C[i + 1]!], fanIn: 1, scale: 0 });
  }
  s.push(...resBlockShapes('mid', C[L - 1]!, C[L - 1]!, E));
  for (let i = L - 2; i >= 0; i--) {
    s.push({ name: `up${i}.us.w`, shape: [3, 3, C[i + 1]!, C[i]!], fanIn: 9 * C[i + 1]!, scale: 1 }, { name: `up${i}.us.b`, shape: [C[i]!], fanIn: 1, scale: 0 });
    s.push(...resBlockShapes(`up${i}`, 2 * C[i]!, C[i]!, E));
  }
  s.push({ name: 'out.w', shape: [3, 3, C[0]!, 3], fanIn: 9 * C[0]!, scale: 0 }, { name: 'out.b', shape: [3], fanIn: 1, scale: 0 });
  return s;
}

export function checkUnetConfig(cfg: UnetConfig): void {
  const f = 2 ** (cfg.channels.length - 1);
  if (!cfg.channels.length || cfg.channels.some((c) => !(Number.isInteger(c) && c > 0))) throw new RangeError(`UNet channels must be positive integers (got ${cfg.channels.join(', ')})`);
  if (cfg.size % f) throw new RangeError(`UNet size ${cfg.size} must be divisible by ${f} (${cfg.channels.length} levels)`);
  if (cfg.timeDim % 2 || cfg.timeDim < 2) throw new RangeError(`UNet timeDim must be even (got ${cfg.timeDim})`);
}

/** Seeded initial weights (He-normal; zeros where the residual branches and the output start). */
export function initUnet(cfg: UnetConfig, seed: number | string): UnetParams {
  checkUnetConfig(cfg);
  const rng = rngFor(seed, 'diffiqa-unet-init');
  const prefix = `diffiqa-unet-${instances++}`;
  const out: UnetParams = {};
  for (const p of unetShapes(cfg)) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    out[p.name] = tf.variable(tf.tensor(heNormal(rng, size, p.fanIn, p.scale), p.shape), true, `${prefix}/${p.name}`);
  }
  return out;
}

/** Variables from saved tensors (for scoring and further training). */
export function unetFromTensors(cfg: UnetConfig, named: NamedTensors): UnetParams {
  checkUnetConfig(cfg);
  const prefix = `diffiqa-unet-${instances++}`;
  const out: UnetParams = {};
  for (const p of unetShapes(cfg)) {
    const t = named[p.name];
    if (!t || t.shape.join() !== p.shape.join()) throw new RangeError(`UNet weight ${p.name}: expected shape [${p.shape.join(', ')}], got ${t ? `[${t.shape.join(', ')}]` : 'none'}`);
    out[p.name] = tf.variable(t, false, `${prefix}/${p.name}`);
  }
  return out;
}

/** Sinusoidal embedding of the time steps [n] → [n, timeDim] (sin half, cos half; frequencies 10000^(−i/(half−1))). */
export function timeEmbedding(t: tf.Tensor1D, dim: number): tf.Tensor2D {
  return tf.tidy(() => {
    const half = dim / 2;
    const freqs = tf.tensor1d(Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / Math.max(1, half - 1))));
    const a = tf.mul(t.reshape([-1, 1]), freqs.reshape([1, half]));
    return tf.concat([tf.sin(a), tf.cos(a)], 1) as tf.Tensor2D;
  });
}

/**
 * x_t [n, S, S, 3] in [−1, 1] (RGB, NHWC) and time steps [n] → predicted x0 [n, S, S, 3]. Differentiable in the
 * parameters (used inside `tf.variableGrads`).
 */
export function unetForward(P: UnetParams, cfg: UnetConfig, x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const conv = (h: tf.Tensor4D, name: string, stride = 1) => tf.add(tf.conv2d(h, P[`${name}.w`] as tf.Tensor4D, stride, 'same'), P[`${name}.b`]!) as tf.Tensor4D;
    const temb = tf.relu(tf.add(tf.matMul(timeEmbedding(t, cfg.timeDim), P['time.w1'] as tf.Tensor2D), P['time.b1']!)) as tf.Tensor2D;
    const block = (h: tf.Tensor4D, p: string) => {
      const cout = P[`${p}.c1.b`]!.shape[0]!;
      const tb = tf.add(tf.matMul(temb, P[`${p}.t.w`] as tf.Tensor2D), P[`${p}.t.b`]!).reshape([-1, 1, 1, cout]);
      const r = conv(tf.relu(tf.add(conv(h, `${p}.c1`), tb)) as tf.Tensor4D, `${p}.c2`);
      const skip = P[`${p}.s.w`] ? conv(h, `${p}.s`) : h;
      return tf.add(skip, r) as tf.Tensor4D;
    };
    // nearest-neighbour ×2 by concatenation (rank-4 ops only: tfjs has no rank-6 Tile gradient)
    const up2 = (h: tf.Tensor4D) => {
      const [n, hh, ww, c] = h.shape;
      const wide = tf.concat([h, h], 3).reshape([n, hh, 2 * ww, c]);
      return tf.concat([wide, wide], 2).reshape([n, 2 * hh, 2 * ww, c]) as tf.Tensor4D;
    };
    const L = cfg.channels.length;
    let h = conv(x, 'in');
    const skips: tf.Tensor4D[] = [];
    for (let i = 0; i < L; i++) {
      h = block(h, `down${i}`);
      skips.push(h);
      if (i < L - 1) h = tf.relu(conv(h, `down${i}.ds`, 2)) as tf.Tensor4D;
    }
    h = block(h, 'mid');
    for (let i = L - 2; i >= 0; i--) {
      h = tf.relu(conv(up2(h), `up${i}.us`)) as tf.Tensor4D;
      h = block(tf.concat([h, skips[i]!], 3) as tf.Tensor4D, `up${i}`);
    }
    return tf.add(x, conv(tf.relu(h) as tf.Tensor4D, 'out')) as tf.Tensor4D;
  });
}

export function unetParamCount(cfg: UnetConfig): number {
  return unetShapes(cfg).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
}
