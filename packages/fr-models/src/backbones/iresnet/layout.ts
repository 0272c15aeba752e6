/**
 * insightface's IResNet (arcface_torch `iresnet.py` layout) in tf.layers, NHWC:
 *   stem  conv3x3(3→w0, s1, no bias) → BN → PReLU
 *   IBasicBlock  BN → conv3x3 → BN → PReLU → conv3x3(stride s) → BN, + identity or [conv1x1(stride s) → BN]; no
 *                activation after the add. The first block of every stage has stride 2 and the downsample branch.
 *   head  BN2d → flatten → Linear → BN1d (its weight fixed at 1)
 * BN eps 1e-5 (insightface; MagFace's iResNet uses 2e-5: `buildIResNet`'s `bnEps`). PyTorch pads the stride-2 3×3 convs by 1 on every side; tf's 'same' would pad 0 top/left, so those
 * are zeroPadding2d(1) + 'valid'. Flatten here is HWC order; the importer permutes the FC rows from PyTorch's CHW
 * order. Layer and parameter names are the state-dict keys, listed in `model.parameters()` order.
 */
import { tf } from '@aikd/runtime';
import { ChannelAffine, PixelNormalize } from '../layers.ts';
import { ParamList, setLayerWeights } from '../params.ts';
import type { BackboneBuild, BackboneSpec } from '../types.ts';

const L = tf.layers;
export const IRESNET_BN_EPS = 1e-5;

/** Stage depths of the named insightface variants. */
export const IRESNET_DEPTHS: Record<string, number[]> = {
  iresnet18: [2, 2, 2, 2],
  iresnet34: [3, 4, 6, 3],
  iresnet50: [3, 4, 14, 3],
  iresnet100: [3, 13, 30, 3],
  iresnet200: [6, 26, 60, 6],
};

export interface IResNetLayout {
  /** Blocks per stage. */
  layers: number[];
  /** Channels per stage (insightface: 64, 128, 256, 512); the stem has widths[0]. */
  widths: number[];
  embedding: number;
  inputSize: number;
}

/** The insightface name of a layout, if it is one (`iresnet100`), else a description. */
export function layoutName(l: IResNetLayout): string {
  const named = Object.entries(IRESNET_DEPTHS).find(([, d]) => d.join() === l.layers.join());
  const std = l.widths.join() === '64,128,256,512' && l.embedding === 512;
  return named && std ? named[0] : `iresnet(${l.layers.join('-')}; widths ${l.widths.join('-')}; ${l.embedding}-d)`;
}

/** Parameter values keyed by state-dict name, already in tfjs layout (HWIO kernels, HWC-order FC rows, [1,1,C] PReLU). */
export type IResNetWeights = Map<string, tf.Tensor>;

/**
 * PyTorch's tensor layouts → the tfjs layouts `buildIResNet` takes, each conversion written once (the ONNX importer
 * and the PyTorch checkpoint converter both use them): conv kernels OIHW → HWIO; PReLU slopes [C] → [1, 1, C]; the
 * FC weight [embedding, C·H·W] (PyTorch flattens NCHW in C, H, W order) → a dense kernel [H·W·C, embedding] in tfjs'
 * NHWC flatten order (the most common silent bug of such ports); a Linear weight [out, in] → a dense kernel [in, out].
 */
export const fromTorchLayout = {
  conv: (values: Float32Array, shape: readonly number[]): tf.Tensor4D => {
    const [o, i, kh, kw] = shape as [number, number, number, number];
    return tf.tidy(() => tf.tensor4d(values, [o, i, kh, kw]).transpose<tf.Tensor4D>([2, 3, 1, 0]));
  },
  prelu: (values: Float32Array): tf.Tensor3D => tf.tensor3d(values, [1, 1, values.length]),
  /** `channels`: the channels of the flattened feature map (widths[3]); its side follows from the weight's size. */
  fc: (values: Float32Array, shape: readonly number[], channels: number): tf.Tensor2D => {
    const [embedding, fcIn] = shape as [number, number];
    const side = Math.round(Math.sqrt(fcIn / channels));
    if (side * side * channels !== fcIn) throw new Error(`FC weight [${shape}]: ${fcIn} inputs are not ${channels} channels × a square map`);
    return tf.tidy(() => tf.tensor4d(values, [embedding, channels, side, side]).transpose([2, 3, 1, 0]).reshape<tf.Tensor2D>([side * side * channels, embedding]));
  },
  linear: (values: Float32Array, shape: readonly number[]): tf.Tensor2D => tf.tidy(() => tf.tensor2d(values, shape as [number, number]).transpose<tf.Tensor2D>()),
};

/**
 * Build one IResNet copy on `input` (pixels 0..255) with the given weights (every parameter and BN statistic).
 * `bnEps`: the BatchNorm epsilon the weights were trained with (no file holds it: the architecture says). BNs named
 * in `folded` (folded into a convolution by an ONNX export: γ = 1, β = bias, no statistics) become per-channel affine
 * layers x · γ + β, so training-mode BatchNorm never applies batch statistics where the network has none.
 */
export function buildIResNet(
  layout: IResNetLayout,
  input: tf.SymbolicTensor,
  W: IResNetWeights,
  norm: BackboneSpec['normalisation'],
  bnEps = IRESNET_BN_EPS,
  folded: ReadonlySet<string> = new Set(),
): BackboneBuild {
  const P = new ParamList();
  const get = (name: string) => {
    const t = W.get(name);
    if (!t) throw new Error(`iResNet weights: missing "${name}"`);
    return t;
  };
  const conv = (x: tf.SymbolicTensor, name: string, filters: number, k: number, stride: number): tf.SymbolicTensor => {
    let padding: 'same' | 'valid' = 'same';
    if (k === 3 && stride > 1) {
      x = L.zeroPadding2d({ padding: 1, name: `${name}.pad` }).apply(x) as tf.SymbolicTensor;
      padding = 'valid';
    } else if (k === 1) padding = 'valid';
    const layer = L.conv2d({ filters, kernelSize: k, strides: stride, padding, useBias: false, name });
    const y = layer.apply(x) as tf.SymbolicTensor;
    setLayerWeights(layer, [get(`${name}.weight`)]);
    P.add(layer, [`${name}.weight`]);
    return y;
  };
  const bn = (x: tf.SymbolicTensor, name: string, fixedWeight = false): tf.SymbolicTensor => {
    if (folded.has(name)) {
      // inference BN with mean 0, var 1 − eps: γ · x / √(1 − eps + eps) + β = x · γ + β exactly
      const affine = new ChannelAffine({ name });
      const y = affine.apply(x) as tf.SymbolicTensor;
      setLayerWeights(affine, [get(`${name}.weight`), get(`${name}.bias`)]);
      P.add(affine, [`${name}.weight`, `${name}.bias`], fixedWeight ? [`${name}.weight`] : []);
      return y;
    }
    // PyTorch's BN momentum 0.1 = Keras' 0.9 (moving = 0.9 · moving + 0.1 · batch)
    const layer = L.batchNormalization({ epsilon: bnEps, momentum: 0.9, name });
    const y = layer.apply(x) as tf.SymbolicTensor;
    setLayerWeights(layer, ['weight', 'bias', 'running_mean', 'running_var'].map((s) => get(`${name}.${s}`)));
    P.add(layer, [`${name}.weight`, `${name}.bias`, null, null], fixedWeight ? [`${name}.weight`] : []);
    return y;
  };
  const prelu = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => {
    const layer = L.prelu({ sharedAxes: [1, 2], name });
    const y = layer.apply(x) as tf.SymbolicTensor;
    setLayerWeights(layer, [get(`${name}.weight`)]);
    P.add(layer, [`${name}.weight`]);
    return y;
  };

  let x = new PixelNormalize({ mean: norm.mean, scale: norm.scale, op: norm.op, reverseChannels: norm.channels === 'BGR', name: 'normalize' }).apply(input) as tf.SymbolicTensor;
  x = prelu(bn(conv(x, 'conv1', layout.widths[0]!, 3, 1), 'bn1'), 'prelu');
  layout.layers.forEach((blocks, s) => {
    const w = layout.widths[s]!;
    for (let b = 0; b < blocks; b++) {
      const p = `layer${s + 1}.${b}`, stride = b === 0 ? 2 : 1;
      let out = bn(x, `${p}.bn1`);
      out = conv(out, `${p}.conv1`, w, 3, 1);
      out = prelu(bn(out, `${p}.bn2`), `${p}.prelu`);
      out = bn(conv(out, `${p}.conv2`, w, 3, stride), `${p}.bn3`);
      const identity = b === 0 ? bn(conv(x, `${p}.downsample.0`, w, 1, stride), `${p}.downsample.1`) : x;
      x = L.add({ name: `${p}.add` }).apply([out, identity]) as tf.SymbolicTensor;
    }
  });
  x = L.flatten({ name: 'flatten' }).apply(bn(x, 'bn2')) as tf.SymbolicTensor;
  const fc = L.dense({ units: layout.embedding, useBias: true, name: 'fc' });
  x = fc.apply(x) as tf.SymbolicTensor;
  setLayerWeights(fc, [get('fc.weight'), get('fc.bias')]);
  P.add(fc, ['fc.weight', 'fc.bias']);
  const output = bn(x, 'features', true);
  return { output, params: P.list };
}

/** One tensor of the iResNet's PyTorch state_dict: its key, its PyTorch shape, and what kind of layer it belongs to. */
export interface IResNetStateTensor {
  name: string;
  shape: number[];
  kind: 'conv' | 'bn' | 'prelu' | 'fc';
  /** BatchNorm's `num_batches_tracked`: absent from checkpoints written before PyTorch 0.4.1, never used at inference. */
  optional?: boolean;
}

/** The state_dict keys and PyTorch shapes of a layout, in the order `state_dict()` lists them, under `prefix`. */
export function iresnetStateDict(layout: IResNetLayout, prefix = ''): IResNetStateTensor[] {
  const out: IResNetStateTensor[] = [];
  const conv = (name: string, cin: number, cout: number, size: number) => out.push({ name: `${prefix}${name}.weight`, shape: [cout, cin, size, size], kind: 'conv' });
  const bn = (name: string, c: number) => {
    for (const k of ['weight', 'bias', 'running_mean', 'running_var']) out.push({ name: `${prefix}${name}.${k}`, shape: [c], kind: 'bn' });
    out.push({ name: `${prefix}${name}.num_batches_tracked`, shape: [], kind: 'bn', optional: true });
  };
  const prelu = (name: string, c: number) => out.push({ name: `${prefix}${name}.weight`, shape: [c], kind: 'prelu' });
  const w0 = layout.widths[0]!;
  conv('conv1', 3, w0, 3);
  bn('bn1', w0);
  prelu('prelu', w0);
  let cin = w0;
  layout.layers.forEach((blocks, s) => {
    const w = layout.widths[s]!;
    for (let b = 0; b < blocks; b++) {
      const p = `layer${s + 1}.${b}`;
      bn(`${p}.bn1`, cin);
      conv(`${p}.conv1`, cin, w, 3);
      bn(`${p}.bn2`, w);
      prelu(`${p}.prelu`, w);
      conv(`${p}.conv2`, w, w, 3);
      bn(`${p}.bn3`, w);
      if (b === 0) {
        conv(`${p}.downsample.0`, cin, w, 1);
        bn(`${p}.downsample.1`, w);
      }
      cin = w;
    }
  });
  bn('bn2', cin);
  const side = layout.inputSize / 2 ** layout.layers.length;
  out.push({ name: `${prefix}fc.weight`, shape: [layout.embedding, side * side * cin], kind: 'fc' });
  out.push({ name: `${prefix}fc.bias`, shape: [layout.embedding], kind: 'fc' });
  bn('features', layout.embedding);
  return out;
}

/**
 * Random weights for a layout (He-uniform convs and FC, BN γ = 1, β = 0, mean 0, var 1, PReLU 0.25), seeded: for
 * benchmarks and tests that need an iResNet of a real size without a weights file.
 */
export function randomIResNetWeights(layout: IResNetLayout, seed: number): IResNetWeights {
  const W: IResNetWeights = new Map();
  let k = seed;
  const BN_INIT = { weight: 1, bias: 0, running_mean: 0, running_var: 1 } as Record<string, number>;
  for (const t of iresnetStateDict(layout)) {
    if (t.optional) continue;
    if (t.kind === 'conv') {
      const [cout, cin, size] = t.shape as [number, number, number];
      const a = Math.sqrt(6 / (cin * size * size));
      W.set(t.name, tf.randomUniform([size, size, cin, cout], -a, a, 'float32', k++));
    } else if (t.kind === 'bn') W.set(t.name, tf.fill(t.shape, BN_INIT[t.name.slice(t.name.lastIndexOf('.') + 1)]!));
    else if (t.kind === 'prelu') W.set(t.name, tf.fill([1, 1, t.shape[0]!], 0.25));
    else if (t.name === 'fc.weight') {
      const [emb, fcIn] = t.shape as [number, number];
      W.set(t.name, tf.randomUniform([fcIn, emb], -1 / Math.sqrt(fcIn), 1 / Math.sqrt(fcIn), 'float32', k++));
    } else W.set(t.name, tf.zeros(t.shape));
  }
  return W;
}
