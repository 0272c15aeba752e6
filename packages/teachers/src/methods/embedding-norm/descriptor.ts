/** The norm of any FR model's embedding: MagFace's computation, named as what it is on other models (../norm/). */
import { z } from '@aikd/core';
import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import { DEFAULT_FR_MODEL } from '../../constants.ts';
import type { MethodDescriptor } from '../../catalogue/types.ts';

export const embeddingNorm: MethodDescriptor = {
  id: 'embedding-norm',
  title: 'embedding norm',
  description: "norm of any FR model's unnormalised embedding (MagFace's computation on a model not trained for it)",
  needs: { frModel: true, frFeatures: ['embedding'], gradients: false, training: false },
  params: z.object({}),
  frModels: () => [...frModelCatalogue.tfjsIds(), 'any ONNX model'],
  status: () => ({ available: true, note: `default FR model ${DEFAULT_FR_MODEL}` }),
  open: async (o) => (await import('../norm/norm.ts')).createEmbeddingNorm(o),
};
