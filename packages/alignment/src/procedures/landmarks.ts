import { AikdError } from '@aikd/core';
import type { AlignOptions, DetectorName, FaceDetection, ImageRecord, Landmarks5, RawImage } from '../types.ts';
import { largestFaceCached } from '../detectors/detection-cache.ts';
import { templateForSize } from '../geometry/template.ts';

/** No face was found where a procedure needed one. `alignDataset` falls back to the whole image and records it. */
export class NoFaceError extends AikdError {
  constructor(what: string, detector: string) {
    super(`${what}: ${detector} found no face`, 'NO_FACE');
    this.name = 'NoFaceError';
  }
}

export type LandmarkSource = 'side-file' | 'aligned-template' | `detector:${DetectorName}`;

/** The largest face the named detector finds, or NoFaceError (detections cached by the image's pixels). */
export async function detectLargest(img: RawImage, rec: ImageRecord, detector: DetectorName): Promise<FaceDetection> {
  const face = await largestFaceCached(img, detector);
  if (!face) throw new NoFaceError(`image ${rec.id}`, detector);
  return face;
}

/**
 * The reference landmarks of an image: the record's side-file landmarks when present; else, for an already-aligned
 * crop, the template scaled to the crop's size (the crop is where the template says it is); else the largest face
 * of `detector`.
 */
export async function referenceLandmarks(
  img: RawImage,
  rec: ImageRecord,
  opts: AlignOptions,
  detector: DetectorName,
): Promise<{ landmarks: Landmarks5; source: LandmarkSource }> {
  if (rec.landmarks) return { landmarks: rec.landmarks, source: 'side-file' };
  if (opts.aligned) {
    if (img.width !== img.height) throw new AikdError(`image ${rec.id}: marked as an aligned crop but is ${img.width}×${img.height}, not square`);
    return { landmarks: templateForSize(img.width), source: 'aligned-template' };
  }
  return { landmarks: (await detectLargest(img, rec, detector)).landmarks, source: `detector:${detector}` };
}
