import { z } from '@aikd/core';
import { SDDFIQA_DEFAULTS } from '../../constants.ts';
import { headParams } from '../../train/params.ts';

export const sddfiqaTrainParams = headParams().extend({
  m: z.number().int().min(1).max(10000).default(SDDFIQA_DEFAULTS.m),
  K: z.number().int().min(1).max(1000).default(SDDFIQA_DEFAULTS.K),
  /** torch's SmoothL1Loss default, which the original regressor uses. */
  beta: z.number().positive().default(1),
});
export type SddfiqaTrainParams = z.output<typeof sddfiqaTrainParams>;
