import { AikdError } from '@aikd/core';
import { detectorNames, type DetectorName, type DetectorOptions, type FaceDetection, type FaceDetector } from '../types.ts';
import { createFaceApiDetector } from './faceapi/index.ts';
import { createFaceMeshDetector } from './facemesh/index.ts';

/**
 * A face detector returning boxes, 5 points and scores. `faceapi-ssd` (SSD-MobileNetV1 + 68-point net) is the
 * primary one; `faceapi-tiny` swaps in TinyFaceDetector for the boxes (same landmark net); `facemesh` (BlazeFace +
 * FaceMesh) is the independent second one that `detector-swap` uses.
 */
export async function createDetector(name: DetectorName, opts: DetectorOptions = {}): Promise<FaceDetector> {
  switch (name) {
    case 'faceapi-ssd':
      return createFaceApiDetector('ssd', opts);
    case 'faceapi-tiny':
      return createFaceApiDetector('tiny', opts);
    case 'facemesh':
      return createFaceMeshDetector(opts);
    default:
      throw new AikdError(`unknown detector "${String(name)}" (expected one of ${detectorNames.join(', ')})`, 'BAD_DETECTOR');
  }
}

export function isDetectorName(s: string): s is DetectorName {
  return (detectorNames as readonly string[]).includes(s);
}

/** Score threshold of the detectors the procedures use: the largest face wins anyway, and on degraded images
 * (blur, down-up scaling, noise) a 0.5 threshold loses the face far more often than it admits a false one. */
export const PROCEDURE_MIN_SCORE = 0.3;

const shared = new Map<DetectorName, Promise<FaceDetector>>();
/** One long-lived detector per name for the procedures (loading models per image would dominate the time). */
export function sharedDetector(name: DetectorName): Promise<FaceDetector> {
  let d = shared.get(name);
  if (!d) {
    d = createDetector(name, { minScore: PROCEDURE_MIN_SCORE });
    d.catch(() => shared.delete(name));
    shared.set(name, d);
  }
  return d;
}

/** Release the shared detectors (tests, long-lived processes). */
export async function disposeSharedDetectors(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  for (const d of all) (await d.catch(() => undefined))?.dispose();
}

/** The face with the largest box (the subject of a loose face crop); undefined when none. */
export function largestFace(dets: readonly FaceDetection[]): FaceDetection | undefined {
  let best: FaceDetection | undefined;
  for (const d of dets) if (!best || d.box[2] * d.box[3] > best.box[2] * best.box[3]) best = d;
  return best;
}
