import { learnedMethod } from '../../train/learned.ts';
import { SDDFIQA_ONNX } from './official.ts';
import { sddfiqaTrainParams } from './params.ts';

export const sddfiqa = learnedMethod({
  id: 'sddfiqa',
  title: 'SDD-FIQA',
  paper: { cite: 'Ou et al., CVPR 2021', title: 'SDD-FIQA: Unsupervised Face Image Quality Assessment with Similarity Distribution Distance', code: 'Tencent/TFace' },
  description: 'regressor of Wasserstein distances between mated and non-mated similarities (Ou et al. 2021)',
  official: SDDFIQA_ONNX,
  trainParams: sddfiqaTrainParams,
  training: async () => (await import('./train.ts')).sddfiqaTraining,
  runs: { description: 'a SDD-FIQA head trained here on a frozen FR model' },
});
