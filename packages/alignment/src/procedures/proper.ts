import type { AlignmentProcedure, AlignOptions, ImageRecord, RawImage } from '../types.ts';
import { alignToTemplate } from '../geometry/template.ts';
import { readParams, detectorName, type DetectorName } from './params.ts';
import { referenceLandmarks } from './landmarks.ts';
import { runParams } from './common.ts';

/** The reference alignment: the similarity from the reference landmarks (side file, aligned-crop template, or the
 * primary detector) to the template. */
export function createProper(given: Record<string, unknown> = {}): AlignmentProcedure {
  const params = readParams('proper', given, { detector: 'faceapi-ssd' as string }, { detector: detectorName });
  return {
    id: 'proper',
    params,
    async align(img: RawImage, rec: ImageRecord, opts: AlignOptions) {
      const { landmarks, source } = await referenceLandmarks(img, rec, opts, params.detector as DetectorName);
      const { image, matrix } = alignToTemplate(img, landmarks, opts.size, opts.template);
      return { image, matrix, landmarks, procedure: 'proper', params: { ...params, ...runParams(opts), landmarkSource: source } };
    },
  };
}
