import { learnedMethod } from '../../train/learned.ts';
import { CRFIQA_ONNX } from './official.ts';
import { crfiqaTrainParams } from './params.ts';

export const crfiqa = learnedMethod({
  id: 'crfiqa',
  title: 'CR-FIQA',
  paper: { cite: 'Boutros et al., CVPR 2023', title: 'CR-FIQA: Face Image Quality Assessment by Learning Sample Relative Classifiability', code: 'fdbtrs/CR-FIQA' },
  description: 'certainty ratio CCS/NNCCS regressed by a head (Boutros et al. 2023); here on a frozen FR model',
  official: CRFIQA_ONNX,
  trainParams: crfiqaTrainParams,
  training: async () => (await import('./train.ts')).crfiqaTraining,
  runs: { description: 'a CR-FIQA head trained here on a frozen FR model (frozen-backbone variant: the original trains the head jointly with ArcFace)' },
});
