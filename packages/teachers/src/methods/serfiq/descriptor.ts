import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import { DEFAULT_FR_MODEL } from '../../constants.ts';
import type { MethodDescriptor } from '../../catalogue/types.ts';
import { serfiqParams } from './serfiq.ts';

export const serfiq: MethodDescriptor = {
  id: 'serfiq',
  title: 'SER-FIQ',
  paper: { cite: 'Terhörst et al., CVPR 2020', title: 'SER-FIQ: Unsupervised Estimation of Face Image Quality Based on Stochastic Embedding Robustness', code: 'pterhoer/FaceImageQuality' },
  description: 'stability of T dropout passes through the FR model head (Terhörst et al. 2020); backbone once, head T times',
  needs: { frModel: true, frFeatures: ['penultimate'], gradients: false, training: false },
  params: serfiqParams,
  frModels: () => [...frModelCatalogue.tfjsIds(), 'ONNX models split before their last linear layer'],
  status: () => ({ available: true, note: `default FR model ${DEFAULT_FR_MODEL}` }),
  open: async (o) => (await import('./serfiq.ts')).createSerfiq(o),
  cost: 0.05,
};
