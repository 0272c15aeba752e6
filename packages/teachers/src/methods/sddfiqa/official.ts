import type { OnnxConvention } from '../official.ts';

/** SDD-FIQA's official regressor (TFace quality; fiqa-methods.md §1.4). */
export const SDDFIQA_ONNX: OnnxConvention = { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', clip: null, note: 'SDD-FIQA IR-50 regressor (TFace quality), RGB, (x/255 − 0.5)/0.5; labels were 0–100' };
