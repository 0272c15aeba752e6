/**
 * `faceapi-resnet`: face-api's FaceRecognitionNet (dlib's ResNet-29 face descriptor, uint8-quantised), 128-d,
 * 150×150 input, 0..255 RGB (the net subtracts its mean RGB and divides by 255 itself). face-api normally cuts its
 * own box-based chips; here it gets the same 5-point similarity crops as every other model (the ArcFace template
 * scaled to 150 px: a looser, dlib-like framing verified worse on the demo set; README).
 */
import { createRequire } from 'node:module';
import { tf } from '@aikd/runtime';
import { templateForSize } from '@aikd/alignment';
import { faceapiModelDir } from '../constants.ts';
import { cropsToPixels } from '../preprocess.ts';
import { FACEAPI_INPUT, FACEAPI_TEMPLATE_ZOOM, builtinSpec, zoomTemplate } from '../builtin/specs.ts';
import { recognizerFromTensor } from '../tfjs/tensor-recognizer.ts';
import type { Recognizer, TensorRecognizer } from '../types.ts';

const require = createRequire(import.meta.url);

interface FaceApiModule {
  nets: { faceRecognitionNet: FaceRecognitionNet };
  FaceRecognitionNet: new () => FaceRecognitionNet;
  NetInput: new (inputs: tf.Tensor3D[]) => unknown;
}
interface FaceRecognitionNet {
  loadFromDisk(dir: string): Promise<void>;
  forwardInput(input: unknown): tf.Tensor2D;
  params: Record<string, unknown> & { fc: tf.Tensor2D };
  dispose(): void;
}

export async function createFaceapiRecognizer(opts: { zoom?: number } = {}): Promise<Recognizer> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
  const dir = faceapiModelDir();
  const net = new faceapi.FaceRecognitionNet();
  await net.loadFromDisk(dir);
  // The same network with an identity matrix in place of the last FC layer gives the 256-d pooled features
  // (exact: x·I = x), so SER-FIQ can drop out before the FC as it should.
  const featNet = Object.create(net) as FaceRecognitionNet;
  const eye = tf.eye(net.params.fc.shape[0]) as tf.Tensor2D;
  Object.defineProperty(featNet, 'params', { value: { ...net.params, fc: eye } });
  const fc = net.params.fc;
  const zoom = opts.zoom ?? FACEAPI_TEMPLATE_ZOOM;
  // tfjs' Unpack gradient breaks for a batch of one (it receives a lone tensor, not a list): reshape instead
  const toInput = (pixels: tf.Tensor4D) =>
    new faceapi.NetInput(pixels.shape[0] === 1 ? [pixels.reshape(pixels.shape.slice(1) as [number, number, number])] : (tf.unstack(pixels) as tf.Tensor3D[]));
  const tensor: TensorRecognizer = {
    toPixels: (crops) => cropsToPixels(crops, FACEAPI_INPUT),
    forward: (pixels) => net.forwardInput(toInput(pixels)),
    features: (pixels) => featNet.forwardInput(toInput(pixels)),
    head: (f) => tf.matMul(f as tf.Tensor2D, fc),
  };
  const spec = await builtinSpec('faceapi-resnet', 'tfjs');
  if (zoom !== FACEAPI_TEMPLATE_ZOOM) spec.template = zoomTemplate(templateForSize(FACEAPI_INPUT), FACEAPI_INPUT, zoom);
  return recognizerFromTensor(spec, tensor, () => {
    eye.dispose();
    net.dispose();
  });
}
