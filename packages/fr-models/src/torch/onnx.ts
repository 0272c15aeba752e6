/**
 * The ONNX route: a PyTorch model (model.ts) as an ONNX graph, written with the project's ONNX writer (onnx/proto.ts)
 * and run by onnxruntime-node. The graph is the one `torch.onnx.export` gives for the eval-mode network without
 * constant folding, node for node:
 *
 *   input [batch, 3, S, S] (already normalised: the kind's input convention, applied by the caller as for every
 *   ONNX recogniser)
 *   stem     Conv 3×3 → BatchNormalization → PRelu
 *   blocks   BN → Conv 3×3 → BN → PRelu → Conv 3×3 (stride s) → BN, + identity or Conv 1×1 (stride s) → BN; Add
 *   head     BN → Flatten → Gemm (fc) → BN (features) = output `embedding` [batch, E]
 *   quality  linear: Gemm = output `quality` [batch, 1]; MLP: Gemm → GELU → Gemm, GELU in its exact form
 *            0.5·x·(1 + erf(x/√2)) (PyTorch's nn.GELU default) from Div, Erf, Add, Mul (opset 13 has no Gelu op)
 *
 * BatchNorm keeps its statistics and the architecture's epsilon (MagFace 2e-5), so the file is also what the iResNet
 * ONNX importer (backbones/iresnet/onnx-import.ts) reads to build the trainable copy (`tfjs:<model>`). Dropout is
 * the identity in eval mode and is left out. Initializers are named by the state_dict's keys.
 */
import * as P from '../onnx/proto.ts';
import type { OnnxModel, OnnxNode, OnnxTensor } from '../onnx/proto.ts';
import type { TorchModel } from './model.ts';

export const ONNX_OPSET = 13;
/** Output names of the written graph. */
export const TORCH_ONNX_OUTPUTS = { embedding: 'embedding', quality: 'quality', input: 'input' } as const;

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private n = 0;

  constructor(private readonly model: TorchModel) {}

  weight(name: string): string {
    const t = this.model.tensors.get(name);
    if (!t) throw new Error(`ONNX export of ${this.model.file}: no tensor ${name}`);
    this.initializers.push(P.floatTensor(name, t.shape, t.values));
    return name;
  }

  scalar(name: string, value: number): string {
    this.initializers.push(P.floatTensor(name, [], [value]));
    return name;
  }

  node(opType: string, inputs: string[], attributes: OnnxNode['attributes'] = [], name = `${opType}_${this.n}`, output = `${name}:out`): string {
    this.n++;
    this.nodes.push({ name, opType, inputs, outputs: [output], attributes });
    return output;
  }
}

/** The ONNX graph of a PyTorch model read by `readTorchModel`. */
export function torchOnnxModel(model: TorchModel): OnnxModel {
  const arch = model.architecture;
  const { layout, bp, eps } = { layout: arch.backbone, bp: arch.backbonePrefix, eps: arch.bnEps };
  const g = new GraphBuilder(model);
  const ints = (name: string, value: number[]) => ({ name, type: 'ints' as const, value });

  const conv = (x: string, name: string, k: number, stride: number) =>
    g.node('Conv', [x, g.weight(`${bp}${name}.weight`)], [ints('kernel_shape', [k, k]), ints('pads', Array(4).fill((k - 1) / 2)), ints('strides', [stride, stride]), ints('dilations', [1, 1]), { name: 'group', type: 'int', value: 1 }], bp + name);
  const bn = (x: string, name: string) =>
    g.node('BatchNormalization', [x, ...['weight', 'bias', 'running_mean', 'running_var'].map((s) => g.weight(`${bp}${name}.${s}`))], [{ name: 'epsilon', type: 'float', value: eps }], bp + name);
  const prelu = (x: string, name: string) => {
    // PReLU's slope [C] broadcast over NCHW needs the shape [C, 1, 1] (what torch.onnx.export writes)
    const t = model.tensors.get(`${bp}${name}.weight`)!;
    g.initializers.push(P.floatTensor(`${bp}${name}.weight`, [t.values.length, 1, 1], t.values));
    return g.node('PRelu', [x, `${bp}${name}.weight`], [], bp + name);
  };
  const linear = (x: string, name: string, output?: string) =>
    g.node('Gemm', [x, g.weight(`${name}.weight`), g.weight(`${name}.bias`)], [{ name: 'transB', type: 'int', value: 1 }], name, output);

  let x = prelu(bn(conv(TORCH_ONNX_OUTPUTS.input, 'conv1', 3, 1), 'bn1'), 'prelu');
  layout.layers.forEach((blocks, s) => {
    for (let b = 0; b < blocks; b++) {
      const p = `layer${s + 1}.${b}`, stride = b === 0 ? 2 : 1;
      let out = conv(bn(x, `${p}.bn1`), `${p}.conv1`, 3, 1);
      out = prelu(bn(out, `${p}.bn2`), `${p}.prelu`);
      out = bn(conv(out, `${p}.conv2`, 3, stride), `${p}.bn3`);
      const identity = b === 0 ? bn(conv(x, `${p}.downsample.0`, 1, stride), `${p}.downsample.1`) : x;
      x = g.node('Add', [out, identity], [], `${bp}${p}.add`);
    }
  });
  x = g.node('Flatten', [bn(x, 'bn2')], [{ name: 'axis', type: 'int', value: 1 }], `${bp}flatten`);
  x = linear(x, `${bp}fc`);
  const embedding = g.node('BatchNormalization', [x, ...['weight', 'bias', 'running_mean', 'running_var'].map((s) => g.weight(`${bp}features.${s}`))], [{ name: 'epsilon', type: 'float', value: eps }], `${bp}features`, TORCH_ONNX_OUTPUTS.embedding);

  const outputs: P.OnnxValueInfo[] = [{ name: TORCH_ONNX_OUTPUTS.embedding, elemType: P.DataType.FLOAT, shape: ['batch', layout.embedding] }];
  const head = arch.head;
  if (head) {
    const hp = head.prefix.slice(0, -1);
    if (head.kind === 'linear') linear(embedding, hp, TORCH_ONNX_OUTPUTS.quality);
    else {
      const h = linear(embedding, `${hp}.l1`);
      const erf = g.node('Erf', [g.node('Div', [h, g.scalar(`${hp}.gelu.sqrt2`, Math.SQRT2)], [], `${hp}.gelu.div`)], [], `${hp}.gelu.erf`);
      const gelu = g.node('Mul', [g.node('Mul', [h, g.node('Add', [erf, g.scalar(`${hp}.gelu.one`, 1)], [], `${hp}.gelu.add`)], [], `${hp}.gelu.mul`), g.scalar(`${hp}.gelu.half`, 0.5)], [], `${hp}.gelu`);
      linear(gelu, `${hp}.l2`, TORCH_ONNX_OUTPUTS.quality);
    }
    outputs.push({ name: TORCH_ONNX_OUTPUTS.quality, elemType: P.DataType.FLOAT, shape: ['batch', 1] });
  }
  return {
    irVersion: 7,
    opsets: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'aikd-workbench torch import',
    graph: {
      name: arch.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: TORCH_ONNX_OUTPUTS.input, elemType: P.DataType.FLOAT, shape: ['batch', 3, layout.inputSize, layout.inputSize] }],
      outputs,
      valueInfo: [],
    },
  };
}

/** The ONNX file's bytes. */
export function torchOnnxBytes(model: TorchModel): Uint8Array {
  return P.encodeModel(torchOnnxModel(model));
}
