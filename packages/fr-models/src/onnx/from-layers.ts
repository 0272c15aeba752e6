/**
 * A tf.layers model (the trainable rebuilds in backbones/) written as an ONNX graph, so ONNX Runtime can run the
 * built-in FR models for inference (≈ 4–7× tfjs-wasm here). The ONNX graph computes in NCHW, ONNX Runtime's fast
 * layout, with the weights transposed once here; its pixel input is NHWC like tfjs' (interleaved RGB: the crops'
 * own layout, so feeding it is a copy, and one Transpose inside the graph, in ONNX Runtime's native code, makes it
 * NCHW), and 4-D tensors it exposes (outputs, or the input of a head) are NHWC too, so feature values come out in
 * the same order on both engines. Only the layers the rebuilds use are written; any other is an error naming it.
 */
import type { tf } from '@aikd/runtime';
import { AikdError } from '@aikd/core';
import { DataType, floatTensor, int64Tensor, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from './proto.ts';

/** What a written graph reads and gives. */
export interface LayersToOnnxOptions {
  /** Graph outputs: the output of layer `layer` under the name `name`. */
  outputs: { layer: string; name: string }[];
  /** Start at this layer's output (a graph input of that name, NHWC when 4-D) instead of the model's input: a head. */
  from?: { layer: string; name: string };
  /** Name of the pixel input (default `pixels`): [batch, S, S, 3], the model input's values (0..255 RGB). */
  input?: string;
  producer?: string;
}

interface Value {
  name: string;
  rank: number;
}

type LayerConfig = Record<string, unknown>;
type AnyLayer = tf.layers.Layer & { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] };

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

/** TF's "SAME" padding along one axis: total = max((⌈in/s⌉ − 1)·s + k − in, 0), the extra pixel after. */
function samePads(size: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

export function layersToOnnx(model: tf.LayersModel, opts: LayersToOnnxOptions): OnnxModel {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const values = new Map<string, Value>();
  let counter = 0;
  const fresh = (base: string) => `${base}__${counter++}`;
  const node = (opType: string, inputs: string[], attributes: OnnxAttribute[] = [], out?: string): string => {
    const output = out ?? fresh(opType.toLowerCase());
    nodes.push({ name: fresh(`n_${opType}`), opType, inputs, outputs: [output], attributes });
    return output;
  };
  const constant = (base: string, dims: number[], data: ArrayLike<number>): string => {
    const name = fresh(base);
    initializers.push(floatTensor(name, dims, data));
    return name;
  };
  const ints = (base: string, data: number[]): string => {
    const name = fresh(base);
    initializers.push(int64Tensor(name, [data.length], data));
    return name;
  };
  const transpose = (x: string, perm: number[]) => node('Transpose', [x], [{ name: 'perm', type: 'ints', value: perm }]);
  /** A per-channel vector shaped to broadcast over NCHW ([C, 1, 1]) or [N, C]. */
  const perChannel = (base: string, rank: number, data: ArrayLike<number>) => constant(base, rank === 4 ? [data.length, 1, 1] : [data.length], data);

  const layers = model.layers as AnyLayer[];
  const byName = new Map(layers.map((l) => [l.name, l]));
  const inputsOf = (l: AnyLayer): AnyLayer[] => (l.inboundNodes[0]?.inboundLayers ?? []) as AnyLayer[];
  const fail = (l: tf.layers.Layer, what: string) => new AikdError(`ONNX export of ${model.name}: layer ${l.name} (${l.getClassName()}): ${what}`);

  // the layers that feed the outputs, and, for a head, that depend on the start layer
  const needed = new Set<string>();
  const visit = (l: AnyLayer) => {
    if (needed.has(l.name)) return;
    needed.add(l.name);
    if (opts.from && l.name === opts.from.layer) return;
    for (const p of inputsOf(l)) visit(p);
  };
  for (const o of opts.outputs) {
    const l = byName.get(o.layer);
    if (!l) throw new AikdError(`ONNX export of ${model.name}: no layer "${o.layer}"`);
    visit(l);
  }

  const graphInputs: OnnxModel['graph']['inputs'] = [];
  const weightsOf = (l: tf.layers.Layer) => l.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync() as Float32Array }));

  for (const l of layers) {
    if (!needed.has(l.name)) continue;
    const cls = l.getClassName();
    const cfg = l.getConfig() as LayerConfig;
    if (opts.from && l.name === opts.from.layer) {
      const shape = (l.outputShape as (number | null)[]).slice(1) as number[];
      graphInputs.push({ name: opts.from.name, elemType: DataType.FLOAT, shape: ['batch', ...shape] });
      values.set(l.name, { name: shape.length === 3 ? transpose(opts.from.name, NHWC_TO_NCHW) : opts.from.name, rank: shape.length + 1 });
      continue;
    }
    if (cls === 'InputLayer') {
      const [h, w, c] = (cfg.batchInputShape as number[]).slice(1) as [number, number, number];
      const name = opts.input ?? 'pixels';
      graphInputs.push({ name, elemType: DataType.FLOAT, shape: ['batch', h, w, c] });
      values.set(l.name, { name: transpose(name, NHWC_TO_NCHW), rank: 4 });
      continue;
    }
    const inLayers = inputsOf(l);
    const ins = inLayers.map((p) => {
      const v = values.get(p.name);
      if (!v) throw fail(l, `its input ${p.name} was not written`);
      return v;
    });
    const x = ins[0]!;
    const inShape = (inLayers[0]?.outputShape ?? []) as (number | null)[];
    const ws = weightsOf(l);
    let out: Value;
    switch (cls) {
      case 'AikdPixelNormalize': {
        const mean = cfg.mean as number[], scale = cfg.scale as number[];
        let y = x.name;
        if (cfg.reverseChannels) y = node('Gather', [y, ints('bgr', [2, 1, 0])], [{ name: 'axis', type: 'int', value: 1 }]);
        y = node('Sub', [y, perChannel('mean', 4, mean)]);
        y = node(cfg.op === 'div' ? 'Div' : 'Mul', [y, perChannel('scale', 4, scale)]);
        out = { name: y, rank: 4 };
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if ((cfg.activation ?? 'linear') !== 'linear') throw fail(l, `activation ${cfg.activation}`);
        if (pair(cfg.dilationRate ?? 1).some((d) => d !== 1)) throw fail(l, 'dilation');
        const k = ws[0]!;
        const [kh, kw, ci, co] = k.shape as [number, number, number, number];
        const [sh, sw] = pair(cfg.strides);
        const [ph, pw] = cfg.padding === 'same' ? [samePads(inShape[1]!, kh, sh), samePads(inShape[2]!, kw, sw)] : [[0, 0], [0, 0]];
        // HWIO → OIHW; depthwise [kh, kw, C, m] → [C·m, 1, kh, kw] (output channel c·m + j, as tfjs orders them)
        const depthwise = cls === 'DepthwiseConv2D';
        const outC = depthwise ? ci * co : co;
        const wt = new Float32Array(outC * (depthwise ? 1 : ci) * kh * kw);
        for (let a = 0; a < kh; a++)
          for (let b = 0; b < kw; b++)
            for (let i = 0; i < ci; i++)
              for (let o = 0; o < co; o++) {
                const v = k.data[((a * kw + b) * ci + i) * co + o]!;
                if (depthwise) wt[((i * co + o) * kh + a) * kw + b] = v;
                else wt[((o * ci + i) * kh + a) * kw + b] = v;
              }
        const inputs = [x.name, constant(`${l.name}.weight`, [outC, depthwise ? 1 : ci, kh, kw], wt)];
        if (cfg.useBias) inputs.push(constant(`${l.name}.bias`, [outC], ws[1]!.data));
        const y = node('Conv', inputs, [
          { name: 'kernel_shape', type: 'ints', value: [kh, kw] },
          { name: 'strides', type: 'ints', value: [sh, sw] },
          { name: 'pads', type: 'ints', value: [ph[0], pw[0], ph[1], pw[1]] },
          { name: 'group', type: 'int', value: depthwise ? ci : 1 },
        ]);
        out = { name: y, rank: 4 };
        break;
      }
      case 'ZeroPadding2D': {
        const [[t, b], [le, r]] = cfg.padding as [[number, number], [number, number]];
        out = { name: node('Pad', [x.name, ints('pads', [0, 0, t, le, 0, 0, b, r])], [{ name: 'mode', type: 'string', value: 'constant' }]), rank: 4 };
        break;
      }
      case 'AikdZeroChannels': {
        const extra = cfg.extra as number;
        const pads = x.rank === 4 ? [0, 0, 0, 0, 0, extra, 0, 0] : [0, 0, 0, extra];
        out = { name: node('Pad', [x.name, ints('pads', pads)], [{ name: 'mode', type: 'string', value: 'constant' }]), rank: x.rank };
        break;
      }
      case 'PReLU': {
        const shared = (cfg.sharedAxes as number[] | null) ?? [];
        if (x.rank !== 4 || shared.join() !== '1,2') throw fail(l, `PReLU sharing axes [${shared}] on a rank-${x.rank} input`);
        // α·x + (1 − α)·relu(x) as two depthwise 1×1 convolutions: ONNX Runtime keeps those in its blocked (NCHWc)
        // layout, while a PRelu node makes it convert the tensor out of that layout and back (mobileface: 15–20 %)
        const a = ws[0]!.data, C = a.length;
        const scale = (inp: string, w: Float32Array) =>
          node('Conv', [inp, constant(`${l.name}.alpha`, [C, 1, 1, 1], w)], [{ name: 'kernel_shape', type: 'ints', value: [1, 1] }, { name: 'group', type: 'int', value: C }]);
        out = { name: node('Add', [scale(x.name, Float32Array.from(a)), scale(node('Relu', [x.name]), Float32Array.from(a, (v) => 1 - v))]), rank: 4 };
        break;
      }
      case 'ReLU': {
        if ((cfg.negativeSlope ?? 0) !== 0 || (cfg.threshold ?? 0) !== 0) throw fail(l, 'a leaky or thresholded ReLU');
        const max = cfg.maxValue as number | null | undefined;
        out = { name: max == null ? node('Relu', [x.name]) : node('Clip', [x.name, constant('zero', [], [0]), constant('max', [], [max])]), rank: x.rank };
        break;
      }
      case 'Add':
        out = { name: node('Add', ins.map((v) => v.name)), rank: x.rank };
        break;
      case 'AikdChannelAffine':
        out = { name: node('Add', [node('Mul', [x.name, perChannel(`${l.name}.mul`, x.rank, ws[0]!.data)]), perChannel(`${l.name}.add`, x.rank, ws[1]!.data)]), rank: x.rank };
        break;
      case 'Flatten': {
        // tfjs flattens in NHWC order
        const nhwc = x.rank === 4 ? transpose(x.name, NCHW_TO_NHWC) : x.name;
        out = { name: node('Flatten', [nhwc], [{ name: 'axis', type: 'int', value: 1 }]), rank: 2 };
        break;
      }
      case 'Dense': {
        if ((cfg.activation ?? 'linear') !== 'linear') throw fail(l, `activation ${cfg.activation}`);
        if (x.rank !== 2) throw fail(l, `a rank-${x.rank} input`);
        const k = ws[0]!;
        let y = node('MatMul', [x.name, constant(`${l.name}.kernel`, k.shape, k.data)]);
        if (cfg.useBias) y = node('Add', [y, constant(`${l.name}.bias`, [k.shape[1]!], ws[1]!.data)]);
        out = { name: y, rank: 2 };
        break;
      }
      case 'GlobalAveragePooling2D':
        out = { name: node('Flatten', [node('GlobalAveragePool', [x.name])], [{ name: 'axis', type: 'int', value: 1 }]), rank: 2 };
        break;
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        if (cfg.padding !== 'valid') throw fail(l, `padding ${cfg.padding}`);
        const attrs: OnnxAttribute[] = [
          { name: 'kernel_shape', type: 'ints', value: pair(cfg.poolSize) },
          { name: 'strides', type: 'ints', value: pair(cfg.strides ?? cfg.poolSize) },
        ];
        out = { name: node(cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x.name], attrs), rank: 4 };
        break;
      }
      default:
        throw fail(l, 'no ONNX form for this layer');
    }
    values.set(l.name, out);
  }

  const outputs = opts.outputs.map((o) => {
    const v = values.get(o.layer)!;
    node(v.rank === 4 ? 'Transpose' : 'Identity', [v.name], v.rank === 4 ? [{ name: 'perm', type: 'ints', value: NCHW_TO_NHWC }] : [], o.name);
    const shape = (byName.get(o.layer)!.outputShape as (number | null)[]).slice(1) as number[];
    return { name: o.name, elemType: DataType.FLOAT, shape: ['batch', ...shape] };
  });
  return {
    irVersion: 7,
    opsets: [{ domain: '', version: 13 }],
    producerName: opts.producer ?? 'aikd-workbench',
    graph: { name: model.name, nodes, initializers, inputs: graphInputs, outputs, valueInfo: [] },
  };
}
