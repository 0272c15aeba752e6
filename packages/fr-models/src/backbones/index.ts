/**
 * Trainable copies of the FR models. The built-in tfjs graph models are rebuilt as tf.layers models from their
 * graphs' nodes and weights (public API; `model.save()` saves what was trained); iResNets are built from a user's
 * ONNX file. `createBackboneSource(name)` reads the source once; `instantiate(source)` makes each copy.
 */
import { tf, initRuntime } from '@aikd/runtime';
import { resolveFromRoot } from '@aikd/core';
import { resolveOnnxModel } from '../registry.ts';
import type { OnnxPreprocess } from '../types.ts';
import { registerBackboneLayers } from './layers.ts';
import { frModelCatalogue } from '../catalogue.ts';
import type { BackboneSource, TrainableBackbone } from './types.ts';

export * from './types.ts';
export { PixelNormalize, ChannelAffine, Gelu, ZeroChannels, registerBackboneLayers } from './layers.ts';
export { ParamList, setLayerWeights, makeLastTrainable, freezeAll, trainDepthTensors, TRAIN_DEPTHS, type TrainDepth } from './params.ts';
export { createIResNetSource, iresnetSourceFromWeights, iresnetDepths, normalisationOf, randomIResNetWeights, iresnetStateDict, importIResNetOnnx, buildIResNet, fromTorchLayout, IRESNET_DEPTHS, IRESNET_BN_EPS, layoutName, type IResNetLayout, type IResNetStateTensor, type ImportedIResNet } from './iresnet/index.ts';

/**
 * The source of a backbone by FR-model name: a bundled model of the catalogue (its `trainable`), an ONNX
 * preset or models.yaml entry holding an insightface iResNet (e.g. `cosface`, `arcface`), or `onnx:<path>`
 * (RGB, (x − 127.5)/127.5 unless `preprocess` says otherwise). `expect` checks an iResNet's depth (`iresnet100`).
 */
export async function createBackboneSource(name: string, opts: { preprocess?: Partial<OnnxPreprocess>; expect?: string } = {}): Promise<BackboneSource> {
  await initRuntime();
  const bundled = frModelCatalogue.get(name);
  // the frozen recogniser's measured conventions (channel order, template) are the ones the copy must use
  if (bundled?.weights === 'bundled') return bundled.trainable(await bundled.spec('tfjs'));
  const { createIResNetSource } = await import('./iresnet/index.ts');
  if (name.startsWith('onnx:')) {
    const preprocess: OnnxPreprocess = { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', ...opts.preprocess };
    return createIResNetSource({ id: name, recognizer: name, path: resolveFromRoot(name.slice(5)), preprocess, expect: opts.expect });
  }
  const r = resolveOnnxModel(name, { preprocess: opts.preprocess });
  return createIResNetSource({ id: name, recognizer: name, path: r.path, preprocess: r.preprocess, expect: opts.expect });
}

/** One independent copy of the backbone: pixels [n, S, S, 3] (0..255 RGB) → embedding. */
export function instantiate(source: BackboneSource, name = source.spec.id): TrainableBackbone {
  registerBackboneLayers(); // so what model.save() writes loads back
  const input = tf.input({ shape: [source.spec.inputSize, source.spec.inputSize, 3], name: 'pixels' });
  const built = source.build(input);
  const model = tf.model({ inputs: input, outputs: built.output, name: name.replace(/[^A-Za-z0-9._-]/g, '_') });
  return { spec: source.spec, model, params: built.params, penultimate: built.penultimate?.sourceLayer.name };
}
