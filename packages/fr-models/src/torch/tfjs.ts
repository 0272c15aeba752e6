/**
 * The tf.layers route: a PyTorch model (model.ts) as the trainable iResNet of backbones/iresnet (NHWC, the input
 * convention as an in-model normalisation layer, BatchNorm with the architecture's epsilon) plus its quality head
 * — for training and input gradients, from the same tensors the ONNX route writes. Layout conversions are
 * layout.ts' `fromTorchLayout` (OIHW → HWIO kernels, FC columns CHW → HWC, PReLU [C] → [1, 1, C], Linear [out, in]
 * → dense kernels [in, out]).
 */
import { tf } from '@aikd/runtime';
import { fromTorchLayout, iresnetStateDict, type IResNetWeights } from '../backbones/iresnet/layout.ts';
import { iresnetSourceFromWeights } from '../backbones/iresnet/index.ts';
import { Gelu, registerBackboneLayers } from '../backbones/layers.ts';
import { ParamList, setLayerWeights } from '../backbones/params.ts';
import type { BackboneSource, ParamRef } from '../backbones/types.ts';
import { kindInput } from './kinds.ts';
import type { TorchModel } from './model.ts';

/** The backbone's weights in tfjs layout, by the iResNet's own (unprefixed) state_dict names. */
export function torchIResNetWeights(model: TorchModel): IResNetWeights {
  const { backbone: layout, backbonePrefix: bp } = model.architecture;
  const W: IResNetWeights = new Map();
  for (const e of iresnetStateDict(layout)) {
    if (e.optional) continue;
    const t = model.tensors.get(bp + e.name)!;
    W.set(
      e.name,
      e.kind === 'conv' ? fromTorchLayout.conv(t.values, t.shape)
      : e.kind === 'prelu' ? fromTorchLayout.prelu(t.values)
      : e.name === 'fc.weight' ? fromTorchLayout.fc(t.values, t.shape, layout.widths[layout.widths.length - 1]!)
      : tf.tensor1d(t.values),
    );
  }
  return W;
}

/** The backbone as a BackboneSource (AI-KD students, `instantiate`): each `build` is an independent copy. */
export function torchBackboneSource(model: TorchModel, id = `torch:${model.sha256.slice(0, 12)}`): BackboneSource {
  return iresnetSourceFromWeights(id, model.architecture.backbone, torchIResNetWeights(model), model.file, {
    input: kindInput(model.kind),
    bnEps: model.architecture.bnEps,
    weightsHash: model.sha256.slice(0, 16),
  });
}

export interface TorchHeadBuild {
  /** Quality [n, 1]. */
  output: tf.SymbolicTensor;
  /** The head's parameters (after the backbone's in `model.parameters()` order). */
  params: ParamRef[];
}

/** The quality head on an embedding: Linear(E → 1), or the MLP Linear(E → H) → GELU (exact erf) → Linear(H → 1). */
export function buildTorchHead(model: TorchModel, embedding: tf.SymbolicTensor): TorchHeadBuild | undefined {
  const head = model.architecture.head;
  if (!head) return undefined;
  const P = new ParamList();
  const dense = (x: tf.SymbolicTensor, name: string) => {
    const w = model.tensors.get(`${name}.weight`)!;
    const b = model.tensors.get(`${name}.bias`)!;
    const layer = tf.layers.dense({ units: w.shape[0]!, useBias: true, name });
    const y = layer.apply(x) as tf.SymbolicTensor;
    const values = [fromTorchLayout.linear(w.values, w.shape), tf.tensor1d(b.values)];
    setLayerWeights(layer, values);
    tf.dispose(values);
    P.add(layer, [`${name}.weight`, `${name}.bias`]);
    return y;
  };
  const hp = head.prefix.slice(0, -1);
  const output =
    head.kind === 'linear' ? dense(embedding, hp) : dense(new Gelu({ name: `${hp}.gelu` }).apply(dense(embedding, `${hp}.l1`)) as tf.SymbolicTensor, `${hp}.l2`);
  return { output, params: P.list };
}

export interface TorchTfjsModel {
  source: BackboneSource;
  /** pixels [n, S, S, 3] (0..255 RGB) → [embedding [n, E]] or [embedding, quality [n, 1]]. */
  model: tf.LayersModel;
  /** Backbone parameters, then the head's (PyTorch's `model.parameters()` order). */
  params: ParamRef[];
  dispose(): void;
}

/** The whole network as one tf.layers model: the backbone and, for the kinds with one, its quality head. */
export function torchTfjsModel(model: TorchModel, id?: string): TorchTfjsModel {
  registerBackboneLayers();
  const source = torchBackboneSource(model, id);
  const size = source.spec.inputSize;
  const input = tf.input({ shape: [size, size, 3], name: 'pixels' });
  const bb = source.build(input);
  const head = buildTorchHead(model, bb.output);
  const tfModel = tf.model({ inputs: input, outputs: head ? [bb.output, head.output] : bb.output, name: model.architecture.name.replace(/[^A-Za-z0-9._-]/g, '_') });
  return {
    source,
    model: tfModel,
    params: [...bb.params, ...(head?.params ?? [])],
    dispose() {
      tfModel.dispose();
      source.dispose();
    },
  };
}
