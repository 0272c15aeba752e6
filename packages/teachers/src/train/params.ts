/**
 * What the learned methods' training parameters are built from (each method folder's `params.ts` has its schema;
 * `aikd method train --param k=v` / `trainMethod(…, { params })` fill the defaults). Every regressor defaults to one ReLU layer of 64 on the frozen embedding, with dropout 0.5
 * and weight decay 0.1: with a frozen backbone and a few hundred images, this generalised to unseen identities
 * better than the originals' head shapes (demo set, README). Those are `hidden=0` (CR-FIQA's qs and DifFIQA(R)'s
 * head: one Linear layer on the embedding) and `input=features hidden=0` (SDD-FIQA: Flatten → Dropout(0.5) →
 * Linear on the last feature map; its PReLU is left out).
 */
import { z } from '@aikd/core';
import { LOCAL_UNET_DEFAULTS } from '../constants.ts';

/** A regression head on frozen FR features; methods extend it with their label parameters. */
export const headParams = () =>
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

/** The parameters every head-trained method shares. */
export type HeadParams = z.output<ReturnType<typeof headParams>>;

/** The local UNet's training parameters (also used by diffiqa-r when it trains one itself, prefixed `unet`). */
export const unetTrain = {
  size: z.number().int().min(8).max(512).default(LOCAL_UNET_DEFAULTS.size),
  channels: z.array(z.number().int().positive()).min(1).max(5).default([...LOCAL_UNET_DEFAULTS.channels]),
  timeDim: z.number().int().min(2).default(LOCAL_UNET_DEFAULTS.timeDim),
  trainSteps: z.number().int().min(1).max(1000000).default(LOCAL_UNET_DEFAULTS.trainSteps),
  batchSize: z.number().int().min(1).max(1024).default(LOCAL_UNET_DEFAULTS.batchSize),
  lr: z.number().positive().default(LOCAL_UNET_DEFAULTS.lr),
  tMax: z.number().int().min(1).max(10000).default(LOCAL_UNET_DEFAULTS.tMax),
};
