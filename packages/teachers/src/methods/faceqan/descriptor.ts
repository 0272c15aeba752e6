import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import { DEFAULT_FR_MODEL } from '../../constants.ts';
import type { MethodDescriptor } from '../../catalogue/types.ts';
import { faceqanParams } from './faceqan.ts';

export const faceqan: MethodDescriptor = {
  id: 'faceqan',
  title: 'FaceQAN',
  paper: { cite: 'Babnik et al., ICPR 2022', title: 'FaceQAN: Face Image Quality Assessment Through Adversarial Noise Exploration', code: 'LSIbabnikz/FaceQAN' },
  description: 'robustness of the embedding to adversarial noise, BIM attack + flip symmetry (Babnik et al. 2022)',
  needs: { frModel: true, frFeatures: ['embedding'], gradients: true, training: false },
  params: faceqanParams,
  frModels: () => frModelCatalogue.tfjsIds(),
  status: () => ({
    available: true,
    note: `default FR model ${DEFAULT_FR_MODEL}; needs input gradients: tfjs models only (ONNX models cannot — import scores instead); ~50 gradient images per image`,
  }),
  open: async (o) => (await import('./faceqan.ts')).createFaceqan(o),
  cost: 1.5,
};
