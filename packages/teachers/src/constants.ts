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

/** The 0..255 pixel range the tfjs recognisers' `toPixels` gives; FaceQAN's ε is scaled to it and copies clamped to it. */
export const PIXEL_MAX = 255;

/**
 * FR model used when a method needs one and none is named. faceres, not the faster mobileface: on the demo set
 * its SER-FIQ / FaceQAN / norm qualities follow the degradations (ρ −0.31…−0.42, pAUC_norm 0.76–0.78), while
 * mobileface's do not (README, "Measured on the demo dataset").
 */
export const DEFAULT_FR_MODEL = 'faceres';

/** The tfjs (gradient-capable) built-in recognisers. */
export const TFJS_FR_MODELS = ['faceres', 'faceres-deep', 'faceapi-resnet', 'mobileface'] as const;

/** Methods of the paper that issue 8 implements; until then their scores can be imported. */
export const LATER_METHODS: Record<string, { title: string; description: string }> = {
  crfiqa: { title: 'CR-FIQA', description: 'certainty ratio regressed by a head on a jointly trained iResNet (Boutros et al. 2023)' },
  sddfiqa: { title: 'SDD-FIQA', description: 'regressor on Wasserstein distances of mated vs non-mated similarities (Ou et al. 2021)' },
  faceqnet: { title: 'FaceQnet', description: 'ResNet-50 regressor of ICAO-template similarity (Hernandez-Ortega et al. 2019)' },
  diffiqa: { title: 'DifFIQA', description: 'embedding stability under diffusion forward/backward passes (Babnik et al. 2023)' },
  'diffiqa-r': { title: 'DifFIQA(R)', description: 'regressor distilled from DifFIQA scores (Babnik et al. 2023)' },
};

/** Score-table schema version (part of the scoring cache key). */
export const SCORES_CACHE_VERSION = 1;
