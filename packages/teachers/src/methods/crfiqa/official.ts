import type { OnnxConvention } from '../official.ts';

/** CR-FIQA's official iResNet (fiqa-methods.md §1.3). */
export const CRFIQA_ONNX: OnnxConvention = { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', clip: null, note: 'CR-FIQA iResNet (official export: outputs embedding and qs; quality = qs, unbounded), RGB, (x/255 − 0.5)/0.5' };
