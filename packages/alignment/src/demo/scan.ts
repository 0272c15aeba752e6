import { readFileSync } from 'node:fs';
import { decodeImage } from '@aikd/datasets';
import type { FaceDetection, FaceDetector, RawImage } from '../types.ts';
import { warpAffine } from '../geometry/warp.ts';
import type { DemoSource } from './sources.ts';

/** Faces smaller than this (shorter box side, source pixels) are not used. */
export const DEMO_MIN_FACE = 64;
export const DEMO_MIN_SCORE = 0.5;
/** Small photos are tight face crops; SSD misses or cuts faces that fill the frame, so they are detected inside a
 * zero border of 25 % (measured: recovers two missed faces and raises the scores of the other crops). */
const PAD_BELOW = 1000;
const PAD_FRACTION = 0.25;

export interface ScannedFace extends FaceDetection {
  /** Index in left-to-right order within the photo. */
  index: number;
}

export interface ScannedSource {
  source: DemoSource;
  image: RawImage;
  faces: ScannedFace[];
}

/** Detect the faces of one demo photo (≥ DEMO_MIN_FACE px, score ≥ DEMO_MIN_SCORE), in source pixels, left to right. */
export async function scanSource(source: DemoSource, detector: FaceDetector): Promise<ScannedSource> {
  const image = await decodeImage(readFileSync(source.path), source.path);
  const side = Math.max(image.width, image.height);
  const pad = side <= PAD_BELOW ? Math.round(PAD_FRACTION * side) : 0;
  const input = pad ? warpAffine(image, [[1, 0, pad], [0, 1, pad]], image.width + 2 * pad, image.height + 2 * pad) : image;
  const shift = (p: readonly [number, number]): [number, number] => [p[0] - pad, p[1] - pad];
  const faces = (await detector.detect(input))
    .filter((d) => d.score >= DEMO_MIN_SCORE && Math.min(d.box[2], d.box[3]) >= DEMO_MIN_FACE)
    .map((d) => ({
      box: [d.box[0] - pad, d.box[1] - pad, d.box[2], d.box[3]] as [number, number, number, number],
      landmarks: d.landmarks.map(shift) as FaceDetection['landmarks'],
      score: d.score,
      ...(d.points ? { points: d.points.map(shift) } : {}),
    }))
    .sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1])
    .map((d, index) => ({ ...d, index }));
  return { source, image, faces };
}
