import { z } from '@aikd/core';
import { headParams } from '../../train/params.ts';

export const faceqnetTrainParams = headParams().extend({ loss: z.enum(['l2', 'l1']).default('l2') });
export type FaceqnetTrainParams = z.output<typeof faceqnetTrainParams>;
