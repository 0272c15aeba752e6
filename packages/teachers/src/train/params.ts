/**
 * Training parameters of the learned methods (`aikd teacher train --param k=v` / `trainTeacher(…, { params })`),
 * with their defaults. Every regressor defaults to one ReLU layer of 64 on the frozen embedding, with dropout 0.5
 * and weight decay 0.1: with a frozen backbone and a few hundred images, this generalised to unseen identities
 * better than the originals' head shapes (demo set, README). Those are `hidden=0` (CR-FIQA's qs and DifFIQA(R)'s
 * head: one Linear layer on the embedding) and `input=features hidden=0` (SDD-FIQA: Flatten → Dropout(0.5) →
 * Linear on the last feature map; its PReLU is left out).
 */
import { z } from '@aikd/core';
import { DIFFIQA_DEFAULTS, LOCAL_UNET_DEFAULTS, SDDFIQA_DEFAULTS, type LearnedMethodId } from '../constants.ts';
import { diffiqaScoreParams } from '../methods/diffiqa/params.ts';

const headParams = () =>
  z.object({
    /** Frozen FR output the head reads: the embedding, or the activations before the FR model's last layer. */
    input: z.enum(['embedding', 'features']).default('embedding'),
    /** 0 = linear head; > 0 = one ReLU layer of this width (a 1×1 conv + pooling on a feature map). */
    hidden: z.number().int().min(0).max(4096).default(64),
    dropout: z.number().min(0).lt(1).default(0.5),
    epochs: z.number().int().min(1).max(100000).default(200),
    batchSize: z.number().int().min(1).max(100000).default(32),
    lr: z.number().positive().default(1e-3),
    weightDecay: z.number().min(0).default(0.1),
    patience: z.number().int().min(0).default(50),
    /** Fraction of the training identities held out for validation (best epoch). */
    valFraction: z.number().min(0).lt(1).default(0.2),
    /** Alignment procedure of the training crops. */
    alignment: z.string().default('proper'),
  });

/** The local UNet's training parameters (also used by diffiqa-r when it trains one itself, prefixed `unet`). */
const unetTrain = {
  size: z.number().int().min(8).max(512).default(LOCAL_UNET_DEFAULTS.size),
  channels: z.array(z.number().int().positive()).min(1).max(5).default([...LOCAL_UNET_DEFAULTS.channels]),
  timeDim: z.number().int().min(2).default(LOCAL_UNET_DEFAULTS.timeDim),
  trainSteps: z.number().int().min(1).max(1000000).default(LOCAL_UNET_DEFAULTS.trainSteps),
  batchSize: z.number().int().min(1).max(1024).default(LOCAL_UNET_DEFAULTS.batchSize),
  lr: z.number().positive().default(LOCAL_UNET_DEFAULTS.lr),
  tMax: z.number().int().min(1).max(10000).default(LOCAL_UNET_DEFAULTS.tMax),
};

export const TRAIN_PARAMS = {
  crfiqa: headParams().extend({ beta: z.number().positive().default(0.5) }),
  sddfiqa: headParams().extend({
    m: z.number().int().min(1).max(10000).default(SDDFIQA_DEFAULTS.m),
    K: z.number().int().min(1).max(1000).default(SDDFIQA_DEFAULTS.K),
    /** torch's SmoothL1Loss default, which the original regressor uses. */
    beta: z.number().positive().default(1),
  }),
  faceqnet: headParams().extend({ loss: z.enum(['l2', 'l1']).default('l2') }),
  'diffiqa-r': headParams().extend({
    ...diffiqaScoreParams.shape,
    /** The denoiser of the labels: an ONNX UNet file, or a `diffiqa:<run-id>`; neither = train a local UNet first. */
    unet: z.string().optional(),
    diffiqa: z.string().optional(),
    unetSize: unetTrain.size,
    unetChannels: unetTrain.channels,
    unetSteps: unetTrain.trainSteps,
    unetBatchSize: unetTrain.batchSize,
    unetLr: unetTrain.lr,
  }),
  diffiqa: z.object({
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
  }),
} satisfies Record<LearnedMethodId, z.ZodObject>;

export type TrainParams<M extends LearnedMethodId> = z.output<(typeof TRAIN_PARAMS)[M]>;

/** Default training parameters of a learned method (for `methods list`). */
export function trainDefaults(m: LearnedMethodId): Record<string, unknown> {
  return TRAIN_PARAMS[m].parse({}) as Record<string, unknown>;
}
