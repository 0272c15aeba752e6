/**
 * Weights of an insightface IResNet from a user's ONNX file, found by walking the graph's data flow (not by names,
 * which torch.onnx.export replaces with `onnx::Conv_123` once it folds BatchNorm into the convolutions):
 * stem Conv[→BN]→PRelu, then blocks BN→Conv[→BN]→PRelu→Conv[→BN] (+ 1×1 Conv[→BN] shortcut) → Add, then
 * BN→Flatten→Gemm→BN. The stage depths, widths, embedding size and input size come out of the walk.
 *
 * Both export forms are handled and give the same parameter list as PyTorch's state dict:
 * - un-fused (training=PRESERVE, or no constant folding): every BN is a BatchNormalization node;
 * - folded (torch.onnx.export defaults in eval mode): a BN that follows a conv is folded into the conv's weight and
 *   a new bias. It comes back as a BN with γ = 1, β = bias, mean 0, var 1 − eps (an exact identity-scale BN), so the
 *   student trains the same tensors as it would with the original state dict (γ then rescales the folded kernel).
 *   BNs folded into a convolution are listed in `foldedBatchNorms` and built as a per-channel affine x · γ + β, so no
 *   batch statistics apply where the export has none.
 * The copy is built with the graph's BN epsilon (insightface 1e-5, MagFace 2e-5).
 * Layout conversions (layout.ts' `fromTorchLayout`): OIHW → HWIO kernels; PReLU slopes [C] / [C,1,1] → [1,1,C]; the FC
 * weight's columns from PyTorch's CHW flatten order to tfjs' HWC order.
 */
import { tf } from '@aikd/runtime';
import { InputError } from '@aikd/core';
import * as onnxProto from '../../onnx/proto.ts';
import { IRESNET_BN_EPS, fromTorchLayout, type IResNetLayout, type IResNetWeights } from './layout.ts';

type OnnxModel = onnxProto.OnnxModel;
type OnnxNode = onnxProto.OnnxNode;
type OnnxTensor = onnxProto.OnnxTensor;

export interface ImportedIResNet {
  layout: IResNetLayout;
  weights: IResNetWeights;
  /** How the BatchNorms arrived: counts of BN nodes kept and of BNs folded into convs. */
  batchNorm: { unfused: number; foldedIntoConv: number };
  /** The BatchNorm epsilon to build with (`buildIResNet`'s `bnEps`): the graph's own (MagFace exports 2e-5). */
  bnEps: number;
  /** State-dict names of the BNs folded into a convolution (γ = 1, β = the conv's bias, no statistics). */
  foldedBatchNorms: Set<string>;
  /** The ONNX input's name and shape, for the record. */
  input: { name: string; shape?: (number | string | null)[] };
  opset: number;
}

/** Ops that pass a value through unchanged in eval mode. */
const PASS_THROUGH = new Set(['Identity', 'Dropout']);

export function importIResNetOnnx(bytes: Uint8Array, file: string): ImportedIResNet {
  let model: OnnxModel;
  try {
    // a plain Uint8Array: tensorFloats copies with .slice(), which on a Node Buffer is a view, not a copy
    model = onnxProto.decodeModel(Buffer.isBuffer(bytes) ? new Uint8Array(bytes) : bytes);
  } catch (e) {
    throw new InputError({ file, expected: 'an ONNX model file', got: (e as Error).message });
  }
  return new Walker(model, file).run();
}

class Walker {
  private readonly init = new Map<string, OnnxTensor>();
  private readonly producer = new Map<string, OnnxNode>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly weights: IResNetWeights = new Map();
  private unfused = 0;
  private folded = 0;
  /** The BatchNorm epsilon the tfjs copy is built with: the graph's (the first BN node's; 1e-5 when all are folded). */
  private readonly eps: number;
  private readonly foldedNames = new Set<string>();

  constructor(private readonly model: OnnxModel, private readonly file: string) {
    for (const t of model.graph.initializers) this.init.set(t.name, t);
    for (const n of model.graph.nodes) {
      for (const o of n.outputs) this.producer.set(o, n);
      for (const i of n.inputs) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    }
    const firstBn = model.graph.nodes.find((n) => n.opType === 'BatchNormalization');
    this.eps = (firstBn && (this.attr(firstBn, 'epsilon') as number | undefined)) ?? IRESNET_BN_EPS;
  }

  private fail(where: string, expected: string, got?: string): never {
    throw new InputError({ file: this.file, where, expected: `${expected} (an insightface IResNet export)`, got });
  }

  /** The nodes reading `v`, looking through Identity/Dropout. */
  private readers(v: string): OnnxNode[] {
    return (this.consumers.get(v) ?? []).flatMap((n) => (PASS_THROUGH.has(n.opType) ? this.readers(n.outputs[0]!) : [n]));
  }

  private one(v: string, op: string, filter: (n: OnnxNode) => boolean = () => true): OnnxNode {
    const found = this.readers(v).filter((n) => n.opType === op && filter(n));
    if (found.length !== 1) this.fail(`value "${v}"`, `one ${op} node reading it`, `${found.length}: ${this.readers(v).map((n) => n.opType).join(', ') || 'nothing'}`);
    return found[0]!;
  }

  /** A constant input: an initializer, a Constant node, or either passed through Unsqueeze/Reshape/Squeeze/Identity. */
  private constant(name: string): { values: Float32Array; dims: number[] } {
    const t = this.init.get(name);
    if (t) return { values: onnxProto.tensorFloats(t), dims: t.dims };
    const p = this.producer.get(name);
    if (p?.opType === 'Constant') {
      const a = p.attributes.find((x) => x.name === 'value');
      if (a?.type === 'tensor') return { values: onnxProto.tensorFloats(a.value), dims: a.value.dims };
    }
    if (p && ['Unsqueeze', 'Reshape', 'Squeeze', 'Identity'].includes(p.opType)) return this.constant(p.inputs[0]!);
    return this.fail(`tensor "${name}"`, 'a constant (initializer) weight', p ? `the output of a ${p.opType} node` : 'a graph input');
  }

  private attr(n: OnnxNode, name: string): number | number[] | undefined {
    const a = n.attributes.find((x) => x.name === name);
    return a && (a.type === 'int' || a.type === 'ints' || a.type === 'float' || a.type === 'floats') ? a.value : undefined;
  }

  private put(name: string, t: tf.Tensor): void {
    this.weights.set(name, t);
  }

  private bnFromNode(n: OnnxNode, name: string, convBias?: Float32Array): string {
    if (this.attr(n, 'training_mode') === 1) this.fail(`node ${n.name || n.outputs[0]}`, 'BatchNormalization in inference mode');
    const [g, b, m, v] = n.inputs.slice(1).map((i) => (i ? this.constant(i).values : undefined));
    if (!g || !b || !m || !v) this.fail(`node ${n.name || n.outputs[0]}`, 'BatchNormalization with scale, bias, mean and variance');
    const eps = (this.attr(n, 'epsilon') as number | undefined) ?? 1e-5;
    // a conv bias before the BN moves into its mean; a BN with another epsilon than the rest moves it into its
    // variance (exact up to float32 rounding)
    const mean = convBias ? m.map((x, i) => x - convBias[i]!) : m;
    const variance = eps === this.eps ? v : v.map((x) => x + eps - this.eps);
    this.putBn(name, g, b, mean, variance);
    this.unfused++;
    return n.outputs[0]!;
  }

  private putBn(name: string, g: Float32Array, b: Float32Array, m: Float32Array, v: Float32Array): void {
    this.put(`${name}.weight`, tf.tensor1d(g));
    this.put(`${name}.bias`, tf.tensor1d(b));
    this.put(`${name}.running_mean`, tf.tensor1d(m));
    this.put(`${name}.running_var`, tf.tensor1d(v));
  }

  /** Conv (k×k) reading `v`, with the BN after it (a node, or folded into the conv's bias). */
  private convBn(v: string, k: number, convName: string, bnName: string): { out: string; stride: number; channels: number } {
    const conv = this.one(v, 'Conv', (n) => (this.attr(n, 'kernel_shape') as number[] | undefined)?.[0] === k || this.constant(n.inputs[1]!).dims[2] === k);
    const where = `node ${conv.name || conv.outputs[0]}`;
    const w = this.constant(conv.inputs[1]!);
    const [o, i, kh, kw] = w.dims as [number, number, number, number];
    if (w.dims.length !== 4 || kh !== k || kw !== k) this.fail(where, `a ${k}×${k} convolution weight`, `dims [${w.dims}]`);
    if (((this.attr(conv, 'group') as number | undefined) ?? 1) !== 1) this.fail(where, 'an ungrouped convolution');
    if (((this.attr(conv, 'dilations') as number[] | undefined) ?? [1, 1]).some((d) => d !== 1)) this.fail(where, 'dilation 1');
    const pads = (this.attr(conv, 'pads') as number[] | undefined) ?? [0, 0, 0, 0];
    const wantPad = (k - 1) / 2;
    if (pads.some((p) => p !== wantPad)) this.fail(where, `padding ${wantPad} on every side`, `pads [${pads}]`);
    const stride = ((this.attr(conv, 'strides') as number[] | undefined) ?? [1, 1])[0]!;
    this.put(`${convName}.weight`, fromTorchLayout.conv(w.values, [o, i, kh, kw]));
    const bias = conv.inputs[2] ? this.constant(conv.inputs[2]).values : undefined;
    const next = this.readers(conv.outputs[0]!);
    if (next.length === 1 && next[0]!.opType === 'BatchNormalization') return { out: this.bnFromNode(next[0]!, bnName, bias), stride, channels: o };
    // folded: BN(x) = x + bias with γ = 1, mean 0, var 1 − eps
    this.putBn(bnName, new Float32Array(o).fill(1), bias ?? new Float32Array(o), new Float32Array(o), new Float32Array(o).fill(1 - this.eps));
    this.folded++;
    this.foldedNames.add(bnName);
    return { out: conv.outputs[0]!, stride, channels: o };
  }

  private prelu(v: string, name: string): string {
    const n = this.one(v, 'PRelu');
    const s = this.constant(n.inputs[1]!).values;
    this.put(`${name}.weight`, fromTorchLayout.prelu(s));
    return n.outputs[0]!;
  }

  private bn(v: string, name: string): string {
    return this.bnFromNode(this.one(v, 'BatchNormalization'), name);
  }

  run(): ImportedIResNet {
    const g = this.model.graph;
    const input = g.inputs.find((i) => !this.init.has(i.name));
    if (!input) this.fail('graph inputs', 'an image input');
    const stem = this.convBn(input.name, 3, 'conv1', 'bn1');
    if (stem.stride !== 1) this.fail('stem', 'a stride-1 3×3 convolution');
    let v = this.prelu(stem.out, 'prelu');
    const layers: number[] = [], widths: number[] = [];
    let stage = -1, block = 0, channels = stem.channels;
    for (;;) {
      const rs = this.readers(v);
      const isHead = rs.length === 1 && rs[0]!.opType === 'BatchNormalization' && this.readers(rs[0]!.outputs[0]!).some((n) => n.opType === 'Flatten' || n.opType === 'Reshape');
      if (isHead) break;
      const down = rs.some((n) => n.opType === 'Conv');
      if (down) {
        stage++;
        block = 0;
        layers.push(0);
      } else if (stage < 0) this.fail(`value "${v}"`, 'the first block of stage 1 (with a downsample convolution)');
      const p = `layer${stage + 1}.${block}`;
      const a = this.bn(v, `${p}.bn1`);
      const c1 = this.convBn(a, 3, `${p}.conv1`, `${p}.bn2`);
      const c = this.prelu(c1.out, `${p}.prelu`);
      const c2 = this.convBn(c, 3, `${p}.conv2`, `${p}.bn3`);
      let identity = v;
      if (down) {
        const ds = this.convBn(v, 1, `${p}.downsample.0`, `${p}.downsample.1`);
        if (ds.stride !== c2.stride) this.fail(p, 'the same stride in the main and the downsample branch');
        identity = ds.out;
        widths.push(c2.channels);
      }
      const add = this.one(c2.out, 'Add');
      if (!add.inputs.includes(identity)) this.fail(`block ${p}`, 'a residual Add of the block output and its shortcut');
      channels = c2.channels;
      layers[stage]!++;
      block++;
      v = add.outputs[0]!;
    }
    const f = this.bn(v, 'bn2');
    const flat = this.readers(f).find((n) => n.opType === 'Flatten' || n.opType === 'Reshape')!;
    let out: string;
    let fcW: { values: Float32Array; dims: number[] }, fcB: Float32Array;
    const gemm = this.readers(flat.outputs[0]!).find((n) => n.opType === 'Gemm' || n.opType === 'MatMul');
    if (!gemm) this.fail('head', 'a Gemm (or MatMul) after the flatten');
    const w = this.constant(gemm.inputs[1]!);
    const transB = gemm.opType === 'Gemm' ? ((this.attr(gemm, 'transB') as number | undefined) ?? 0) : 0;
    // to [out, in]
    fcW = transB ? w : { values: transposed(w.values, w.dims[0]!, w.dims[1]!), dims: [w.dims[1]!, w.dims[0]!] };
    if (gemm.opType === 'Gemm') {
      if (((this.attr(gemm, 'alpha') as number | undefined) ?? 1) !== 1 || ((this.attr(gemm, 'beta') as number | undefined) ?? 1) !== 1) this.fail('head Gemm', 'alpha = beta = 1');
      fcB = gemm.inputs[2] ? this.constant(gemm.inputs[2]).values : new Float32Array(fcW.dims[0]!);
      out = gemm.outputs[0]!;
    } else {
      const add = this.one(gemm.outputs[0]!, 'Add');
      fcB = this.constant(add.inputs.find((i) => i !== gemm.outputs[0])!).values;
      out = add.outputs[0]!;
    }
    const [embedding, fcIn] = fcW.dims as [number, number];
    const side = Math.round(Math.sqrt(fcIn / channels));
    if (side * side * channels !== fcIn) this.fail('head', `an FC input of ${channels} × H × W values`, `${fcIn}`);
    this.put('fc.weight', fromTorchLayout.fc(fcW.values, fcW.dims, channels));
    this.put('fc.bias', tf.tensor1d(fcB));
    const featuresOut = this.bn(out, 'features');
    if (!g.outputs.some((o) => o.name === featuresOut) && this.readers(featuresOut).length)
      this.fail('head', 'the BatchNorm after the FC layer to give the graph output', `${this.readers(featuresOut).map((n) => n.opType).join(', ')} after it`);
    const inputSize = side * 2 ** layers.length;
    const declared = input.shape?.[2];
    if (typeof declared === 'number' && declared !== inputSize) this.fail(`input ${input.name}`, `${inputSize}×${inputSize} images (from the FC size)`, `${declared}`);
    return {
      layout: { layers, widths, embedding, inputSize },
      weights: this.weights,
      batchNorm: { unfused: this.unfused, foldedIntoConv: this.folded },
      bnEps: this.eps,
      foldedBatchNorms: this.foldedNames,
      input: { name: input.name, shape: input.shape },
      opset: this.model.opsets.find((o) => !o.domain)?.version ?? 0,
    };
  }
}

function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}
