/** Real faces for the tests: the face-api demo photo sample1.jpg (three people), detected and aligned per model. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeImage, type Landmarks5, type RawImage } from '@aikd/datasets';
import { alignToTemplate, sharedDetector, type FaceDetection } from '@aikd/alignment';
import type { Recognizer } from '../src/index.ts';

const require = createRequire(import.meta.url);
export const samplePhoto = (n: number) => join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', `sample${n}.jpg`);

let cache: { img: RawImage; faces: FaceDetection[] } | undefined;
export async function sampleFaces(): Promise<{ img: RawImage; faces: FaceDetection[] }> {
  if (!cache) {
    const img = await decodeImage(new Uint8Array(readFileSync(samplePhoto(1))));
    const faces = await (await sharedDetector('faceapi-ssd')).detect(img);
    cache = { img, faces };
  }
  return cache;
}

export async function cropsFor(rec: Recognizer): Promise<RawImage[]> {
  const { img, faces } = await sampleFaces();
  return faces.map((f) => alignToTemplate(img, f.landmarks, rec.spec.inputSize, rec.spec.template).image);
}

export interface SourceFace {
  id: string;
  photo: RawImage;
  landmarks: Landmarks5;
}

let sources: Promise<SourceFace[]> | undefined;
/** The faces of face-api's sample1..2.jpg (3 + 3), each with its photo and detected landmarks; cached per test file. */
export function sourceFaces(): Promise<SourceFace[]> {
  sources ??= (async () => {
    const det = await sharedDetector('faceapi-ssd');
    const out: SourceFace[] = [];
    for (const n of [1, 2]) {
      const photo = await decodeImage(new Uint8Array(readFileSync(samplePhoto(n))));
      (await det.detect(photo)).forEach((d, i) => out.push({ id: `sample${n}.jpg#${i}`, photo, landmarks: d.landmarks }));
    }
    return out;
  })();
  return sources;
}

export function alignFaces(faces: readonly SourceFace[], size: number, template: Landmarks5): RawImage[] {
  return faces.map((f) => alignToTemplate(f.photo, f.landmarks, size, template).image);
}
