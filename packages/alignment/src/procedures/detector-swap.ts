import type { AlignmentProcedure, AlignOptions, ImageRecord, RawImage } from '../types.ts';
import { alignToTemplate } from '../geometry/template.ts';
import { readParams, detectorName, type DetectorName } from './params.ts';
import { detectLargest } from './landmarks.ts';
import { runParams } from './common.ts';

/** Landmarks from another, independent detector (FaceMesh by default) instead of the reference ones — the
 * misalignment a deployment gets when its landmarker differs from the one the FR model was trained with. Side-file
 * landmarks are ignored on purpose. */
export function createDetectorSwap(given: Record<string, unknown> = {}): AlignmentProcedure {
  const params = readParams('detector-swap', given, { detector: 'facemesh' as string }, { detector: detectorName });
  return {
    id: 'detector-swap',
    params,
    async align(img: RawImage, rec: ImageRecord, opts: AlignOptions) {
      const face = await detectLargest(img, rec, params.detector as DetectorName);
      const { image, matrix } = alignToTemplate(img, face.landmarks, opts.size, opts.template);
      return { image, matrix, landmarks: face.landmarks, procedure: 'detector-swap', params: { ...params, ...runParams(opts), landmarkSource: `detector:${params.detector}`, score: face.score } };
    },
  };
}
