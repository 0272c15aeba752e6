import { learnedMethod } from '../../train/learned.ts';
import { FACEQNET_ONNX } from './official.ts';
import { faceqnetTrainParams } from './params.ts';

export const faceqnet = learnedMethod({
  id: 'faceqnet',
  title: 'FaceQnet',
  paper: { cite: 'Hernandez-Ortega et al., ICB 2019', title: 'FaceQnet: Quality Assessment for Face Recognition based on Deep Learning', code: 'javier-hernandezo/FaceQnet' },
  description: "regressor of the similarity to the identity's ICAO-style reference image (Hernandez-Ortega et al. 2019)",
  official: FACEQNET_ONNX,
  trainParams: faceqnetTrainParams,
  training: async () => (await import('./train.ts')).faceqnetTraining,
  runs: { description: 'a FaceQnet head trained here on a frozen FR model' },
});
