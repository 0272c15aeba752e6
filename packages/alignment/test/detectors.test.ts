/**
 * The real detectors on a real photo shipped in @vladmandic/face-api (demo/sample1.jpg: three faces):
 * boxes, 5 points inside the boxes in the template's order, agreement between the two independent detectors,
 * the measured colour convention, and the detector-driven procedures.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '@aikd/datasets';
import {
  applyAffine,
  createDetector,
  createProcedure,
  disposeSharedDetectors,
  iou,
  looseCrop,
  NoFaceError,
  type FaceDetection,
  type FaceDetector,
  type RawImage,
} from '../src/index.ts';

const require = createRequire(import.meta.url);
const samplePath = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');

let photo: RawImage;
let ssd: FaceDetector, mesh: FaceDetector;
let ssdFaces: FaceDetection[], meshFaces: FaceDetection[];

beforeAll(async () => {
  photo = await decodeImage(readFileSync(samplePath));
  ssd = await createDetector('faceapi-ssd');
  mesh = await createDetector('facemesh');
  ssdFaces = await ssd.detect(photo);
  meshFaces = await mesh.detect(photo);
});
afterAll(async () => {
  ssd?.dispose();
  mesh?.dispose();
  await disposeSharedDetectors();
});

function checkFace(d: FaceDetection) {
  const [x, y, w, h] = d.box;
  const [le, re, nose, lm, rm] = d.landmarks;
  for (const [px, py] of d.landmarks) {
    expect(px).toBeGreaterThan(x);
    expect(px).toBeLessThan(x + w);
    expect(py).toBeGreaterThan(y);
    expect(py).toBeLessThan(y + h);
  }
  // template order: image-left eye, image-right eye, nose below the eyes, mouth corners below the nose
  expect(le[0]).toBeLessThan(re[0]);
  expect(lm[0]).toBeLessThan(rm[0]);
  expect(nose[1]).toBeGreaterThan(Math.min(le[1], re[1]));
  expect(Math.min(lm[1], rm[1])).toBeGreaterThan(Math.min(le[1], re[1]));
  expect(d.score).toBeGreaterThan(0.5);
}

const iod = (d: { landmarks: FaceDetection['landmarks'] }) => Math.hypot(d.landmarks[1][0] - d.landmarks[0][0], d.landmarks[1][1] - d.landmarks[0][1]);

describe('faceapi-ssd (SSD-MobileNetV1 + 68-point net → 5 points)', () => {
  it('finds the three faces of sample1.jpg with 5 points inside each box', () => {
    expect(ssdFaces).toHaveLength(3);
    for (const d of ssdFaces) {
      checkFace(d);
      expect(d.points).toHaveLength(68);
      expect(Math.min(d.box[2], d.box[3])).toBeGreaterThan(150);
    }
  });

  it('expects RGB: the same photo as BGR scores lower (measured convention)', async () => {
    const bgr = new Uint8Array(photo.data.length);
    for (let i = 0; i < bgr.length; i += 3) [bgr[i], bgr[i + 1], bgr[i + 2]] = [photo.data[i + 2]!, photo.data[i + 1]!, photo.data[i]!];
    const swapped = await ssd.detect({ ...photo, data: bgr });
    const mean = (ds: FaceDetection[]) => ds.reduce((s, d) => s + d.score, 0) / 3;
    expect(mean(swapped)).toBeLessThan(mean(ssdFaces) - 0.05);
  });

  it('TinyFaceDetector finds the same faces', async () => {
    const tiny = await createDetector('faceapi-tiny', { minScore: 0.4, inputSize: 608 });
    try {
      const found = await tiny.detect(photo);
      for (const d of ssdFaces) expect(found.some((t) => iou(t.box, d.box) > 0.4)).toBe(true);
    } finally {
      tiny.dispose();
    }
  });
});

describe('facemesh (BlazeFace + FaceMesh 468 → 5 points)', () => {
  it('finds the same three faces independently, 5 points inside the boxes', () => {
    expect(meshFaces).toHaveLength(3);
    for (const d of meshFaces) {
      checkFace(d);
      expect(d.points).toHaveLength(468);
    }
  });

  it('agrees with face-api to a fraction of the eye distance (and is not the same landmarks)', () => {
    let maxErr = 0, sumErr = 0;
    for (const a of ssdFaces) {
      const b = meshFaces.find((m) => iou(m.box, a.box) > 0.3);
      expect(b, `no facemesh face near ${a.box}`).toBeDefined();
      a.landmarks.forEach((p, i) => {
        const e = Math.hypot(p[0] - b!.landmarks[i]![0], p[1] - b!.landmarks[i]![1]) / iod(a);
        maxErr = Math.max(maxErr, e);
        sumErr += e;
      });
    }
    expect(maxErr).toBeLessThan(0.3);
    expect(sumErr / 15).toBeGreaterThan(0.005); // independent detectors: not identical points
  });
});

describe('detector-driven procedures', () => {
  it('proper without landmarks uses faceapi-ssd; detector-swap uses facemesh; bbox uses the box', async () => {
    const big = ssdFaces.reduce((a, b) => (a.box[2] * a.box[3] > b.box[2] * b.box[3] ? a : b));
    const { image: crop, matrix } = looseCrop(photo, big.box, 256, 2);
    const rec = { id: 'sample1-face' };
    const proper = await createProcedure('proper').align(crop, rec, { size: 112, seed: 0 });
    expect(proper.params.landmarkSource).toBe('detector:faceapi-ssd');
    // the crop's landmarks are the photo's, moved by the crop matrix (detection is not exactly equivariant)
    proper.landmarks.forEach((p, i) => {
      const q = applyAffine(matrix, big.landmarks[i]!);
      expect(Math.hypot(p[0] - q[0], p[1] - q[1])).toBeLessThan(0.12 * iod(proper));
    });
    const swap = await createProcedure('detector-swap').align(crop, rec, { size: 112, seed: 0 });
    expect(swap.params.landmarkSource).toBe('detector:facemesh');
    expect(swap.landmarks).not.toEqual(proper.landmarks);
    const bbox = await createProcedure('bbox').align(crop, rec, { size: 112, seed: 0 });
    const box = bbox.params.box as number[];
    // the box's centre maps to the crop's centre
    const c = applyAffine(bbox.matrix, [box[0]! + box[2]! / 2 - 0.5, box[1]! + box[3]! / 2 - 0.5]);
    expect(c[0]).toBeCloseTo(55.5, 6);
    expect(c[1]).toBeCloseTo(55.5, 6);
  });

  it('raises NoFaceError on an image without a face', async () => {
    const blank: RawImage = { data: new Uint8Array(128 * 128 * 3).fill(127), width: 128, height: 128, channels: 3 };
    await expect(createProcedure('proper').align(blank, { id: 'blank' }, { size: 112, seed: 0 })).rejects.toBeInstanceOf(NoFaceError);
    await expect(createProcedure('detector-swap').align(blank, { id: 'blank' }, { size: 112, seed: 0 })).rejects.toThrow(/blank: facemesh found no face/);
  });
});
