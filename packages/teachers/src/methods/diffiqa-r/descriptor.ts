import { learnedMethod } from '../../train/learned.ts';
import { DIFFIQA_R_ONNX } from './official.ts';
import { diffiqaRTrainParams } from './params.ts';

export const diffiqaR = learnedMethod({
  id: 'diffiqa-r',
  title: 'DifFIQA(R)',
  paper: { cite: 'Babnik et al., IJCB 2023', title: 'DifFIQA: Face Image Quality Assessment Using Denoising Diffusion Probabilistic Models', code: 'LSIbabnikz/DifFIQA' },
  description: 'regressor distilled from min-max-normalised DifFIQA scores, L1 loss (Babnik et al. 2023)',
  official: DIFFIQA_R_ONNX,
  trainParams: diffiqaRTrainParams,
  training: async () => (await import('./train.ts')).diffiqaRTraining,
  runs: { description: 'a DifFIQA(R) head trained here on a frozen FR model' },
});
