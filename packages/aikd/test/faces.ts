/**
 * Real faces for parity tests: face-api's demo photos (shipped in the installed package, not committed), faces found
 * with the alignment package's detector, then aligned to any recogniser's template.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, type Dataset, type ImageRecord, type Landmarks5, type RawImage } from '@aikd/datasets';
import { sharedDetector } from '@aikd/alignment';
import { faceapiModelDir } from '@aikd/fr-models';

export interface SourceFace {
  id: string;
  photo: RawImage;
  landmarks: Landmarks5;
}

let cached: Promise<SourceFace[]> | undefined;

/** The faces of face-api's sample1..2.jpg (3 + 3), largest photos first; cached per test file. */
export function sourceFaces(): Promise<SourceFace[]> {
  cached ??= (async () => {
    const det = await sharedDetector('faceapi-ssd');
    const out: SourceFace[] = [];
    for (const f of ['sample1.jpg', 'sample2.jpg']) {
      const path = join(faceapiModelDir(), '..', 'demo', f);
      const photo = await decodeImage(readFileSync(path), path);
      const faces = await det.detect(photo);
      faces.forEach((d, i) => out.push({ id: `${f}#${i}`, photo, landmarks: d.landmarks }));
    }
    return out;
  })();
  return cached;
}

/** The faces as a tiny dataset: one record per face (its own identity), landmarks from the detector, the photo as bytes. */
export async function facesDataset(): Promise<Dataset> {
  const faces = await sourceFaces();
  const files = new Map(['sample1.jpg', 'sample2.jpg'].map((f) => [f, readFileSync(join(faceapiModelDir(), '..', 'demo', f))]));
  const records: ImageRecord[] = faces.map((f) => ({ id: f.id, identity: f.id, landmarks: f.landmarks }));
  return {
    name: 'faceapi-samples',
    format: 'folder',
    aligned: false,
    location: join(faceapiModelDir(), '..', 'demo'),
    images: () => records,
    pairs: () => [],
    image: (id) => records.find((r) => r.id === id),
    readImage: async (id) => new Uint8Array(files.get(id.split('#')[0]!)!),
    close: async () => {},
  };
}
