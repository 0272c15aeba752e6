import { checkpointConvention, type OnnxConvention } from '../official.ts';

/** DifFIQA(R)'s regressor (fiqa-methods.md §1.7); its input convention is the diffiqa-r checkpoint kind's. */
export const DIFFIQA_R_ONNX: OnnxConvention = checkpointConvention('diffiqa-r', null, 'DifFIQA(R): CosFace iResNet-100 + Linear(512→1), RGB, (x/255 − 0.5)/0.5; may exceed 1 off its training data');
