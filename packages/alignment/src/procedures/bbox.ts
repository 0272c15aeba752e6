import type { AlignmentProcedure, AlignOptions, ImageRecord, Landmarks5, RawImage } from '../types.ts';
import { applyAffineToLandmarks, invertAffine, squareToCropMatrix } from '../geometry/affine.ts';
import { templateForSize } from '../geometry/template.ts';
import { warpAffine } from '../geometry/warp.ts';
import { readParams, detectorName, positive, type DetectorName } from './params.ts';
import { detectLargest } from './landmarks.ts';
import { runParams } from './common.ts';

/** No landmarks: the detector's box, padded to a square of side max(w, h)·scale around its centre, resized to
 * size × size (zero outside the image). The returned landmarks are where the template lands in the source image. */
export function createBbox(given: Record<string, unknown> = {}): AlignmentProcedure {
  const params = readParams('bbox', given, { detector: 'faceapi-ssd' as string, scale: 1 }, { detector: detectorName, scale: positive });
  return {
    id: 'bbox',
    params,
    async align(img: RawImage, rec: ImageRecord, opts: AlignOptions) {
      const face = await detectLargest(img, rec, params.detector as DetectorName);
      const [x, y, w, h] = face.box;
      const side = Math.max(w, h) * params.scale;
      const matrix = squareToCropMatrix(x + w / 2 - side / 2, y + h / 2 - side / 2, side, opts.size);
      const landmarks = applyAffineToLandmarks(invertAffine(matrix), (opts.template ?? templateForSize(opts.size)) as Landmarks5);
      return {
        image: warpAffine(img, matrix, opts.size, opts.size),
        matrix,
        landmarks,
        procedure: 'bbox',
        params: { ...params, ...runParams(opts), box: face.box, score: face.score },
      };
    },
  };
}
