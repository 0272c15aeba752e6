/** DifFIQA's scoring parameters (light: no tensor code, so `methods list` can show them). */
import { z } from '@aikd/core';
import { DIFFIQA_DEFAULTS } from '../../constants.ts';
import { unetTrain } from '../../train/params.ts';

export const diffiqaScoreParams = z.object({
  R: z.number().int().min(1).max(100).default(DIFFIQA_DEFAULTS.R),
  t: z.number().int().min(1).max(999).default(DIFFIQA_DEFAULTS.t),
  steps: z.number().int().min(1).max(1000).default(DIFFIQA_DEFAULTS.steps),
  eta: z.number().min(0).max(1).default(DIFFIQA_DEFAULTS.eta),
  timesteps: z.number().int().min(2).max(10000).default(DIFFIQA_DEFAULTS.timesteps),
  clip: z.boolean().default(DIFFIQA_DEFAULTS.clip),
});
export type DiffiqaScoreParams = z.output<typeof diffiqaScoreParams>;

/** Training of the small local UNet (`aikd method train --method diffiqa`); the scoring defaults are stored with the run. */
export const diffiqaTrainParams = z.object({
  ...unetTrain,
  timesteps: z.number().int().min(2).max(10000).default(DIFFIQA_DEFAULTS.timesteps),
  evalEvery: z.number().int().min(1).default(50),
  valFraction: z.number().min(0).lt(1).default(0.2),
  alignment: z.string().default('proper'),
  // scoring defaults stored with the run (overridable when scoring diffiqa:<run-id>)
  R: diffiqaScoreParams.shape.R,
  t: diffiqaScoreParams.shape.t,
  steps: diffiqaScoreParams.shape.steps,
  eta: diffiqaScoreParams.shape.eta,
  clip: diffiqaScoreParams.shape.clip,
});
export type DiffiqaTrainParams = z.output<typeof diffiqaTrainParams>;
