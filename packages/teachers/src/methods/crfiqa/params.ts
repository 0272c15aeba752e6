import { z } from '@aikd/core';
import { headParams } from '../../train/params.ts';

/** CR-FIQA's head: SmoothL1 on the certainty ratio (β = 0.5, the original's). */
export const crfiqaTrainParams = headParams().extend({ beta: z.number().positive().default(0.5) });
export type CrfiqaTrainParams = z.output<typeof crfiqaTrainParams>;
