import { z } from '@aikd/core';
import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import { learnedMethod } from '../../train/learned.ts';
import { diffiqaScoreParams, diffiqaTrainParams } from './params.ts';

const anyModel = () => [...frModelCatalogue.tfjsIds(), 'any ONNX model'];

export const diffiqa = learnedMethod({
  id: 'diffiqa',
  title: 'DifFIQA',
  paper: { cite: 'Babnik et al., IJCB 2023', title: 'DifFIQA: Face Image Quality Assessment Using Denoising Diffusion Probabilistic Models', code: 'LSIbabnikz/DifFIQA' },
  description: 'embedding stability under diffusion forward (t = 5) and DDIM backward passes, with flips (Babnik et al. 2023)',
  // a denoiser of its own (the user's ONNX UNet, or the small local one trained here) around any FR model
  needs: { weights: 'your UNet as ONNX (--onnx UNET.onnx)' },
  params: diffiqaScoreParams.extend({ unetSize: z.number().int().positive().optional() }),
  open: async (o) => (await import('./diffiqa.ts')).createDiffiqa(o),
  frModels: anyModel,
  note: 'needs a denoiser: your UNet as ONNX (--onnx UNET.onnx) or a local one (aikd method train --method diffiqa → diffiqa:<run-id>)',
  trainParams: diffiqaTrainParams,
  training: async () => (await import('./train.ts')).diffiqaTraining,
  runs: {
    description: "DifFIQA with the small local UNet of a `method train --method diffiqa` run (any FR model; the run's by default)",
    open: async (d, runId, opts) => (await import('./runs.ts')).openDiffiqaRun(d, runId, opts),
  },
  cost: 3,
});
