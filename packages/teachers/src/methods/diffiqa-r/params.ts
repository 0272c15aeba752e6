import { z } from '@aikd/core';
import { headParams, unetTrain } from '../../train/params.ts';
import { diffiqaScoreParams } from '../diffiqa/params.ts';

export const diffiqaRTrainParams = headParams().extend({
  ...diffiqaScoreParams.shape,
  /** The denoiser of the labels: an ONNX UNet file, or a `diffiqa:<run-id>`; neither = train a local UNet first. */
  unet: z.string().optional(),
  diffiqa: z.string().optional(),
  unetSize: unetTrain.size,
  unetChannels: unetTrain.channels,
  unetSteps: unetTrain.trainSteps,
  unetBatchSize: unetTrain.batchSize,
  unetLr: unetTrain.lr,
});
export type DiffiqaRTrainParams = z.output<typeof diffiqaRTrainParams>;
