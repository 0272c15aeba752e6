/** DifFIQA's scoring parameters (light: no tensor code, so `methods list` can show them). */
import { z } from '@aikd/core';
import { DIFFIQA_DEFAULTS } from '../../constants.ts';

export const diffiqaScoreParams = z.object({
  R: z.number().int().min(1).max(100).default(DIFFIQA_DEFAULTS.R),
  t: z.number().int().min(1).max(999).default(DIFFIQA_DEFAULTS.t),
  steps: z.number().int().min(1).max(1000).default(DIFFIQA_DEFAULTS.steps),
  eta: z.number().min(0).max(1).default(DIFFIQA_DEFAULTS.eta),
  timesteps: z.number().int().min(2).max(10000).default(DIFFIQA_DEFAULTS.timesteps),
  clip: z.boolean().default(DIFFIQA_DEFAULTS.clip),
});
export type DiffiqaScoreParams = z.output<typeof diffiqaScoreParams>;
