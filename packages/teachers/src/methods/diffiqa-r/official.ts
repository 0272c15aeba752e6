import type { OnnxConvention } from '../official.ts';

/** DifFIQA(R)'s regressor (fiqa-methods.md §1.7). */
export const DIFFIQA_R_ONNX: OnnxConvention = { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', clip: null, note: 'DifFIQA(R): CosFace iResNet-100 + Linear(512→1), RGB, (x/255 − 0.5)/0.5; may exceed 1 off its training data' };
