/**
 * `faceapi-resnet`: face-api's FaceRecognitionNet (dlib's ResNet-29 face descriptor, uint8-quantised), 128-d,
 * 150×150 input, 0..255 RGB (the net subtracts its mean RGB and divides by 255 itself). face-api normally cuts its
 * own box-based chips; here it gets the same 5-point similarity crops as every other model (the ArcFace template
 * scaled to 150 px: a looser, dlib-like framing verified worse on the demo set; README).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tf } from '@aikd/runtime';
import { fileSha256 } from '@aikd/core';
import { templateForSize } from '@aikd/alignment';
import type { Landmarks5, RawImage } from '@aikd/datasets';
import { faceapiModelDir } from '../constants.ts';
import { cropsToPixels, embedWithTensor } from '../preprocess.ts';
import type { Recognizer, TensorRecognizer } from '../types.ts';

const require = createRequire(import.meta.url);

export const FACEAPI_INPUT = 150;
/** ArcFace template scaled to 150 px, then scaled about the crop centre by this factor (< 1 = more context).
 * Measured on the demo set: zoom 1.0 AUC 0.911, 0.9 0.901, 0.8 0.892, 0.7 0.896, 0.6 0.893 — the plain template wins. */
export const FACEAPI_TEMPLATE_ZOOM = 1.0;

export function zoomTemplate(t: Landmarks5, size: number, zoom: number): Landmarks5 {
  const c = size / 2;
  return t.map(([x, y]) => [c + (x - c) * zoom, c + (y - c) * zoom]) as Landmarks5;
}

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
  return {
    id: 'faceapi-resnet',
    spec: {
      id: 'faceapi-resnet',
      description: `face-api FaceRecognitionNet (dlib ResNet-29), 128-d, 150×150, 0..255 RGB (mean subtraction in the net), ArcFace template ×150/112 zoomed ${zoom}`,
      engine: 'tfjs',
      inputSize: FACEAPI_INPUT,
      template: zoomTemplate(templateForSize(FACEAPI_INPUT), FACEAPI_INPUT, zoom),
      colour: 'RGB',
      normalisation: { mean: [122.782, 117.001, 104.298], std: [255, 255, 255], where: 'in-graph' },
      embeddingSize: 128,
      source: '@vladmandic/face-api/model/face_recognition_model.bin',
      weightsHash: (await fileSha256(join(dir, 'face_recognition_model.bin'))).slice(0, 16),
      conventionNote: `RGB, template zoom ${zoom}: demo-set verification AUC 0.911 (zoom 0.8: 0.892; BGR: 0.880)`,
    },
    tensor,
    embed: (crops: readonly RawImage[]) => embedWithTensor(tensor, crops, 128),
    dispose: () => {
      eye.dispose();
      net.dispose();
    },
  };
}
