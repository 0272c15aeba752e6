import { rngFor } from '@aikd/core';
import type { AlignmentProcedure, AlignOptions, ImageRecord, RawImage } from '../types.ts';
import { composeAffine, similarityAbout } from '../geometry/affine.ts';
import { estimateSimilarity } from '../geometry/similarity.ts';
import { templateForSize } from '../geometry/template.ts';
import { warpAffine } from '../geometry/warp.ts';
import { readParams, detectorName, nonNegative, type DetectorName } from './params.ts';
import { referenceLandmarks } from './landmarks.ts';
import { runParams } from './common.ts';

/**
 * `proper`, followed by a random similarity about the crop centre: rotation U[−rotation, rotation] degrees, scale
 * U[1 − scale, 1 + scale], shift U[−shift, shift]·size in x and y. Seeded by (seed, 'affine-jitter', epoch, id).
 */
export function createAffineJitter(given: Record<string, unknown> = {}): AlignmentProcedure {
  const params = readParams(
    'affine-jitter',
    given,
    { rotation: 10, scale: 0.1, shift: 0.05, detector: 'faceapi-ssd' as string },
    { rotation: nonNegative, scale: (v: number) => (v >= 0 && v < 1 ? undefined : 'must be in [0, 1)'), shift: nonNegative, detector: detectorName },
  );
  return {
    id: 'affine-jitter',
    params,
    async align(img: RawImage, rec: ImageRecord, opts: AlignOptions) {
      const ref = await referenceLandmarks(img, rec, opts, params.detector as DetectorName);
      const proper = estimateSimilarity(ref.landmarks, opts.template ?? templateForSize(opts.size));
      const rng = rngFor(opts.seed, 'affine-jitter', opts.epoch ?? 0, rec.id);
      const angleDeg = rng.uniform(-params.rotation, params.rotation);
      const scale = rng.uniform(1 - params.scale, 1 + params.scale);
      const tx = rng.uniform(-params.shift, params.shift) * opts.size;
      const ty = rng.uniform(-params.shift, params.shift) * opts.size;
      const c = (opts.size - 1) / 2;
      const matrix = composeAffine(similarityAbout([c, c], scale, (angleDeg * Math.PI) / 180, tx, ty), proper);
      return {
        image: warpAffine(img, matrix, opts.size, opts.size),
        matrix,
        landmarks: ref.landmarks,
        procedure: 'affine-jitter',
        params: { ...params, ...runParams(opts), landmarkSource: ref.source, drawn: { rotationDeg: angleDeg, scale, tx, ty } },
      };
    },
  };
}
