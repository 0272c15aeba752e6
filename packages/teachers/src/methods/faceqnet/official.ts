import type { OnnxConvention } from '../official.ts';

/** FaceQnet v1 (fiqa-methods.md §1.5). */
export const FACEQNET_ONNX: OnnxConvention = { size: 224, colour: 'BGR', mean: 0, std: 1, layout: 'NHWC', clip: [0, 1], note: 'FaceQnet v1 Keras ResNet-50 (exported to ONNX), 224×224 BGR 0..255 without normalisation, output clipped to [0, 1]' };
