import { checkpointConvention, type OnnxConvention } from '../official.ts';

/** CR-FIQA's official iResNet (fiqa-methods.md §1.3); its input convention is the crfiqa checkpoint kind's. */
export const CRFIQA_ONNX: OnnxConvention = checkpointConvention('crfiqa', null, 'CR-FIQA iResNet (official: outputs embedding and qs; quality = qs, unbounded), RGB, (x/255 − 0.5)/0.5');
