import { AikdError } from '@aikd/core';
import { ARCFACE_TEMPLATE_112 } from '../constants.ts';
import type { Affine, Landmarks5, RawImage } from '../types.ts';
import { estimateSimilarity } from './similarity.ts';
import { warpAffine } from './warp.ts';

/** The template for a `size` × `size` crop: `base` (a 112×112 template) scaled by size/112, as insightface does
 * for 224 (the 112 template ×2). */
export function templateForSize(size: number, base: Landmarks5 = ARCFACE_TEMPLATE_112): Landmarks5 {
  if (!(size > 0 && Number.isFinite(size))) throw new AikdError(`templateForSize: size must be a positive number (got ${size})`);
  const s = size / 112;
  return base.map(([x, y]) => [x * s, y * s]) as Landmarks5;
}

/** Fit the similarity from `landmarks` (source pixels) to the template and warp: the reference ("proper") alignment. */
export function alignToTemplate(img: RawImage, landmarks: Landmarks5, size = 112, template?: Landmarks5): { image: RawImage; matrix: Affine } {
  const matrix = estimateSimilarity(landmarks, template ?? templateForSize(size));
  return { image: warpAffine(img, matrix, size, size), matrix };
}
