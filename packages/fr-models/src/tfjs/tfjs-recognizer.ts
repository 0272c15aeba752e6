/**
 * `tfjs:<name>`: an FR model rebuilt as a tfjs model (for users' ONNX iResNets such as `cosface`), so methods that
 * need input gradients (FaceQAN) or the features before the last layer run on the paper's backbones. Embeddings
 * equal onnxruntime's (cos > 0.9999, see test/backbones.test.ts); onnxruntime stays the fast route for pure inference.
 */
import { tf, initRuntime } from '@aikd/runtime';
import type { RawImage } from '@aikd/datasets';
import { cropsToPixels } from '../preprocess.ts';
import type { Recognizer, RecognizerOptions, RecognizerSpec, TensorRecognizer } from '../types.ts';
import { recognizerFromTensor } from './tensor-recognizer.ts';
import { createBackboneSource, instantiate } from '../backbones/index.ts';

export async function createTfjsRecognizer(name: string, opts: RecognizerOptions = {}): Promise<Recognizer> {
  await initRuntime();
  const source = await createBackboneSource(name, { preprocess: opts.preprocess });
  const bb = instantiate(source, `tfjs_${name}`);
  source.dispose();
  const spec = bb.spec;
  const model = bb.model;
  // split where the rebuild marks the penultimate activations, else before the last Dense layer (an iResNet's
  // FC → BN); the layers after the split form a chain
  const denseIdx = model.layers.map((l) => l.getClassName()).lastIndexOf('Dense');
  const splitIdx = bb.penultimate ? model.layers.findIndex((l) => l.name === bb.penultimate) + 1 : denseIdx;
  const featureModel = splitIdx >= 0 ? tf.model({ inputs: model.inputs, outputs: model.layers[splitIdx]!.input as tf.SymbolicTensor }) : undefined;
  const tail = splitIdx >= 0 ? model.layers.slice(splitIdx) : [];
  const id = `tfjs:${name}`;
  const tensor: TensorRecognizer = {
    toPixels: (crops: readonly RawImage[]) => cropsToPixels(crops, spec.inputSize),
    forward: (pixels: tf.Tensor4D) => model.apply(pixels, { training: false }) as tf.Tensor2D,
    features: (pixels: tf.Tensor4D) => (featureModel ? (featureModel.apply(pixels, { training: false }) as tf.Tensor) : (model.apply(pixels) as tf.Tensor)),
    head: (f: tf.Tensor) => tail.reduce((x, l) => l.apply(x, { training: false }) as tf.Tensor, f) as tf.Tensor2D,
  };
  const recognizerSpec: RecognizerSpec = {
    id,
    description: `${name} rebuilt in tfjs (${spec.family}, ${spec.source})`,
    engine: 'tfjs',
    inputSize: spec.inputSize,
    template: spec.template,
    colour: spec.normalisation.channels,
    normalisation: {
      mean: spec.normalisation.mean as [number, number, number],
      std: (spec.normalisation.op === 'div' ? spec.normalisation.scale : spec.normalisation.scale.map((s) => 1 / s)) as [number, number, number],
      where: 'in-graph',
    },
    embeddingSize: spec.embeddingSize,
    source: spec.source,
    weightsHash: spec.weightsHash,
  };
  return recognizerFromTensor(recognizerSpec, tensor, () => {
    model.dispose();
  });
}
