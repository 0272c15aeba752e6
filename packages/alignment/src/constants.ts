import type { Landmarks5 } from './types.ts';

/** The ArcFace / insightface 112×112 template (left eye, right eye, nose tip, left and right mouth corner). */
export const ARCFACE_TEMPLATE_112: Landmarks5 = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** AI-KD's misalignment: each landmark coordinate + U[−p, p] source pixels (dataset.py, p = 3). */
export const DEFAULT_JITTER_PX = 3;

/** Bumped whenever the bytes an alignment produces could change, so old cache entries are not reused. */
export const ALIGN_CACHE_VERSION = 1;
