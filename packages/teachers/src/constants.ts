/** Defaults of the methods (the papers' / official repos' values) and what the registry says about them. */

/** SER-FIQ (Terhörst et al. 2020, `pterhoer/FaceImageQuality`): T passes, dropout p = 0.4 (insightface `fc_type E`). */
export const SERFIQ_DEFAULTS = {
  /** Stochastic forward passes through the head. */
  T: 100,
  /** Dropout rate on the features before the last linear layer. */
  p: 0.4,
  /** Return the official repo's display rescale 1/(1+exp(−alpha·(s − r))) instead of s (ranking unchanged). */
  rescale: false,
  alpha: 130,
  r: 0.88,
} as const;

/** FaceQAN (Babnik et al. 2022, `LSIbabnikz/FaceQAN`): ε on a [0, 1] pixel scale, l BIM steps, k copies, exponent p. */
export const FACEQAN_DEFAULTS = {
  k: 10,
  l: 5,
  /** Noise spread and BIM step, as a fraction of the pixel range (0.001 of [0, 1] = 0.255 grey levels). */
  epsilon: 0.001,
  p: 5,
} as const;

/** The 0..255 pixel range the tfjs recognisers' `toPixels` gives; FaceQAN's ε is scaled to it. */
export const PIXEL_MAX = 255;

/**
 * FaceQAN's clamp of the attacked copies, in 0..255 units: the official code clamps its [0, 1] images
 * (`ToTensor`, normalised inside the model) to [−1, 1] (`util.batch_n_noise`, `bim_attack.py`), so copies may go
 * below black but not above white.
 */
export const FACEQAN_CLAMP: readonly [number, number] = [-PIXEL_MAX, PIXEL_MAX];

/**
 * FR model used when a method needs one and none is named. faceres, not the faster mobileface: on the demo set
 * its SER-FIQ / FaceQAN / norm qualities follow the degradations (ρ −0.31…−0.42, pAUC_norm 0.76–0.78), while
 * mobileface's do not (README, "Measured on the demo dataset").
 */
export const DEFAULT_FR_MODEL = 'faceres';

/**
 * Run kind of `aikd method train` / `trainMethod` in the run registry. The value keeps the command's former name
 * ("teacher train"), so runs already in results folders stay readable.
 */
export const METHOD_TRAIN_RUN_KIND = 'teacher-train';

/** DifFIQA (`LSIbabnikz/DifFIQA` diffiqa/configs/*.yaml, inference.py, diff_gauss.py). */
export const DIFFIQA_DEFAULTS = {
  /** Repeats of the stochastic forward/backward pass per image (and per flip). */
  R: 10,
  /** Forward-noising step of q_sample (0-based index into the 1000-step schedule). */
  t: 5,
  /** DDIM steps of the reconstruction: the original uses t + 1. */
  steps: 6,
  eta: 1,
  /** Steps of the cosine β schedule. */
  timesteps: 1000,
  /** Clip the predicted x0 to [−1, 1] (clip_denoised, the original's default). */
  clip: true,
} as const;

/** The small local UNet (`aikd method train --method diffiqa`): pred-x0 on the training split, few minutes on 2 cores. */
export const LOCAL_UNET_DEFAULTS = {
  /** Side of the diffusion images (the crops are area-averaged to it; the UNet's change is upsampled back). */
  size: 56,
  /** Channels per level (each next level halves the resolution). */
  channels: [8, 16, 32],
  timeDim: 32,
  /** Training: Adam steps, batch, learning rate, and t ~ U{0 … tMax − 1} (the original's time_bound [0, 100)). */
  trainSteps: 500,
  batchSize: 16,
  lr: 1e-3,
  tMax: 100,
} as const;

/** SDD-FIQA pseudo-labels (TFace `gen_pseudo_labels.py`). */
export const SDDFIQA_DEFAULTS = { m: 24, K: 12 } as const;

/** Score-table schema version (part of the scoring cache key). */
export const SCORES_CACHE_VERSION = 1;
