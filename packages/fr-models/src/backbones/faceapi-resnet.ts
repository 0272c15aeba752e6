/**
 * `faceapi-resnet` (face-api's FaceRecognitionNet, dlib's ResNet-29 descriptor) rebuilt as tf.layers from face-api's
 * weight file and its published forward pass: (x − mean RGB) / 255; 7×7 s2 'valid' conv; 3×3 s2 max-pool; residual
 * blocks of [conv → scale → ReLU → conv → scale] + shortcut → ReLU, where the down-sampling blocks use a 3×3 s2
 * 'valid' conv and a 2×2 average-pooled shortcut with zero channels appended (the main path is zero-padded at the
 * bottom/right when it comes out one pixel smaller); global average pooling; a 256→128 matrix. Every conv has a bias
 * and a "scale" layer (a folded BN: mul, add), so it trains as frozen BN.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '@aikd/runtime';
import { AikdError, sha256Hex } from '@aikd/core';
import { faceapiModelDir } from '../constants.ts';
import { FACEAPI_INPUT, FACEAPI_MEAN_RGB } from '../builtin/specs.ts';
import { ChannelAffine, PixelNormalize, ZeroChannels } from './layers.ts';
import { ParamList, setLayerWeights } from './params.ts';
import type { Landmarks5 } from '@aikd/datasets';
import type { BackboneSource } from './types.ts';

const L = tf.layers;
/** The blocks in forward order; `down` blocks halve the resolution. */
const BLOCKS: [string, boolean][] = [
  ['conv32_1', false], ['conv32_2', false], ['conv32_3', false],
  ['conv64_down', true], ['conv64_1', false], ['conv64_2', false], ['conv64_3', false],
  ['conv128_down', true], ['conv128_1', false], ['conv128_2', false],
  ['conv256_down', true], ['conv256_1', false], ['conv256_2', false], ['conv256_down_out', true],
];

export async function createFaceapiResnetSource(template: Landmarks5, colour: 'RGB' | 'BGR'): Promise<BackboneSource> {
  const dir = faceapiModelDir();
  const manifestFile = join(dir, 'face_recognition_model-weights_manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  const shards = manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
  const buf = Buffer.concat(shards);
  const weights = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, manifest.flatMap((g) => g.weights));
  const w = (name: string) => {
    const t = weights[name];
    if (!t) throw new AikdError(`${manifestFile}: no weight "${name}"`);
    return t;
  };
  return {
    spec: {
      id: 'faceapi-resnet',
      family: 'faceapi-resnet',
      recognizer: 'faceapi-resnet',
      inputSize: FACEAPI_INPUT,
      template,
      embeddingSize: w('fc').shape[1]!,
      normalisation: { mean: FACEAPI_MEAN_RGB, scale: [255, 255, 255], op: 'div', channels: colour },
      batchNorm: 'folded',
      depths: {
        'last-block': { from: 'conv256_down_out/conv1/conv/filters', covers: 'the last residual block (conv256_down_out) + the 256→128 matrix' },
        'last-stage': { from: 'conv256_down/conv1/conv/filters', covers: 'the four 256-channel blocks (conv256_down, conv256_1, conv256_2, conv256_down_out) + the 256→128 matrix' },
      },
      source: '@vladmandic/face-api/model/face_recognition_model.bin',
      weightsHash: sha256Hex(buf).slice(0, 16),
    },
    build: (input) => buildFaceapiResnet(w, input, colour === 'BGR'),
    dispose: () => tf.dispose(Object.values(weights)),
  };
}

function buildFaceapiResnet(w: (name: string) => tf.Tensor, input: tf.SymbolicTensor, reverseChannels: boolean) {
  const P = new ParamList();
  /** conv (+bias) → scale (mul, add) → optional ReLU; stride 2 'valid' for the down-sampling convs. */
  const convLayer = (x: tf.SymbolicTensor, prefix: string, down: boolean, relu: boolean): tf.SymbolicTensor => {
    const kName = `${prefix}/conv/filters`, bName = `${prefix}/conv/bias`;
    const k = w(kName);
    const conv = L.conv2d({ filters: k.shape[3]!, kernelSize: [k.shape[0]!, k.shape[1]!], strides: down ? 2 : 1, padding: down ? 'valid' : 'same', useBias: true, name: `${prefix}.conv`.replaceAll('/', '.') });
    let y = conv.apply(x) as tf.SymbolicTensor;
    setLayerWeights(conv, [k, w(bName)]);
    P.add(conv, [kName, bName]);
    const sName = [`${prefix}/scale/weights`, `${prefix}/scale/biases`];
    const scale = new ChannelAffine({ name: `${prefix}.scale`.replaceAll('/', '.') });
    y = scale.apply(y) as tf.SymbolicTensor;
    setLayerWeights(scale, sName.map(w));
    P.add(scale, sName);
    return relu ? (L.reLU({ name: `${prefix}.relu`.replaceAll('/', '.') }).apply(y) as tf.SymbolicTensor) : y;
  };
  const block = (x: tf.SymbolicTensor, name: string, down: boolean): tf.SymbolicTensor => {
    let out = convLayer(convLayer(x, `${name}/conv1`, down, true), `${name}/conv2`, false, false);
    let shortcut = x;
    if (down) {
      shortcut = L.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: `${name}.pool` }).apply(x) as tf.SymbolicTensor;
      const cOut = out.shape[3]!, cIn = shortcut.shape[3]!;
      if (cOut !== cIn) shortcut = new ZeroChannels({ extra: cOut - cIn, name: `${name}.zero_channels` }).apply(shortcut) as tf.SymbolicTensor;
      const dh = shortcut.shape[1]! - out.shape[1]!, dw = shortcut.shape[2]! - out.shape[2]!;
      if (dh || dw) out = L.zeroPadding2d({ padding: [[0, dh], [0, dw]], name: `${name}.pad` }).apply(out) as tf.SymbolicTensor;
    }
    return L.reLU({ name: `${name}.out_relu` }).apply(L.add({ name: `${name}.add` }).apply([shortcut, out]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  };

  let x = new PixelNormalize({ mean: FACEAPI_MEAN_RGB, scale: [255, 255, 255], op: 'div', reverseChannels, name: 'normalize' }).apply(input) as tf.SymbolicTensor;
  x = convLayer(x, 'conv32_down', true, true);
  x = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'max_pool' }).apply(x) as tf.SymbolicTensor;
  for (const [name, down] of BLOCKS) x = block(x, name, down);
  const pooled = L.globalAveragePooling2d({ name: 'global_pooling' }).apply(x) as tf.SymbolicTensor;
  const fc = L.dense({ units: w('fc').shape[1]!, useBias: false, name: 'fc' });
  const output = fc.apply(pooled) as tf.SymbolicTensor;
  setLayerWeights(fc, [w('fc')]);
  P.add(fc, ['fc']);
  return { output, params: P.list, penultimate: pooled };
}
