/** MagFace: the norm of a MagFace-trained iResNet's embedding (implementation shared with embedding-norm: ../norm/). */
import { z } from '@aikd/core';
import type { MethodDescriptor } from '../../catalogue/types.ts';
import { officialWeightsRoute } from '../official.ts';

export const magface: MethodDescriptor = {
  id: 'magface',
  title: 'MagFace',
  paper: { cite: 'Meng et al., CVPR 2021', title: 'MagFace: A Universal Representation for Face Recognition and Quality Assessment', code: 'IrvingMeng/MagFace' },
  description: 'norm of the unnormalised embedding of a MagFace-trained iResNet (Meng et al. 2021)',
  // its own FR model (the MagFace preset), not one the user picks
  needs: { frModel: false, frFeatures: [], gradients: false, training: true, weights: `the official MagFace iResNet: ${officialWeightsRoute('magface')}; or your MagFace ONNX (FR-model preset magface)` },
  params: z.object({}),
  frModels: () => ['magface'],
  async status() {
    const { resolveOnnxModel } = await import('@aikd/fr-models');
    try {
      return { available: true, note: `weights: ${resolveOnnxModel('magface').path}` };
    } catch {
      return { available: false, note: `needs the MagFace weights: ${officialWeightsRoute('magface')}, or your MagFace ONNX file at $AIKD_MODELS/magface.onnx or under models: in models.yaml` };
    }
  },
  // without --onnx it runs on the magface FR-model preset: the user's file must be there
  missing: async () => (await import('@aikd/fr-models')).recognizerMissing('magface'),
  open: async (o) => (await import('../norm/norm.ts')).createMagface(o),
};
