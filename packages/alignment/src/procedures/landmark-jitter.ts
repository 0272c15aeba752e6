import { rngFor } from '@aikd/core';
import { DEFAULT_JITTER_PX } from '../constants.ts';
import type { AlignmentProcedure, AlignOptions, ImageRecord, Landmarks5, RawImage } from '../types.ts';
import { alignToTemplate } from '../geometry/template.ts';
import { readParams, detectorName, nonNegative, type DetectorName } from './params.ts';
import { referenceLandmarks } from './landmarks.ts';
import { runParams } from './common.ts';

/**
 * AI-KD's misalignment (dataset.py): each of the 10 reference-landmark coordinates + U[−p, p] source pixels, then
 * the same similarity fit and warp as `proper`. The draw comes from the stream (seed, 'landmark-jitter', epoch,
 * record id), so it is the same in every run and whatever order images are processed in; p = 0 is `proper`.
 */
export function createLandmarkJitter(given: Record<string, unknown> = {}): AlignmentProcedure {
  const params = readParams('landmark-jitter', given, { p: DEFAULT_JITTER_PX, detector: 'faceapi-ssd' as string }, { p: nonNegative, detector: detectorName });
  return {
    id: 'landmark-jitter',
    params,
    async align(img: RawImage, rec: ImageRecord, opts: AlignOptions) {
      const ref = await referenceLandmarks(img, rec, opts, params.detector as DetectorName);
      const rng = rngFor(opts.seed, 'landmark-jitter', opts.epoch ?? 0, rec.id);
      const p = params.p;
      const offsets: number[] = [];
      const landmarks = ref.landmarks.map(([x, y]) => {
        const dx = rng.uniform(-p, p), dy = rng.uniform(-p, p);
        offsets.push(dx, dy);
        return [x + dx, y + dy];
      }) as Landmarks5;
      const { image, matrix } = alignToTemplate(img, landmarks, opts.size, opts.template);
      return { image, matrix, landmarks, procedure: 'landmark-jitter', params: { ...params, ...runParams(opts), landmarkSource: ref.source, offsets } };
    },
  };
}
