/**
 * The detection cache (detectors/detection-cache.ts): a detector-driven procedure aligning the same photo at a second
 * crop size runs no detector, and its crops equal those made with a cold cache byte for byte; a photo without a face
 * is cached as such; a changed pixel is detected again. Real detector, real photo (@vladmandic/face-api's sample).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '@aikd/datasets';
import { createProcedure, disposeSharedDetectors, NoFaceError, type RawImage } from '../src/index.ts';
import { detectionCacheStats } from '../src/detectors/detection-cache.ts';
import { sameBytes } from './helpers.ts';

const require = createRequire(import.meta.url);
const samplePath = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
const home = mkdtempSync(join(tmpdir(), 'aikd-detections-'));
const saved = process.env.AIKD_HOME;
let photo: RawImage;

beforeAll(async () => {
  process.env.AIKD_HOME = home;
  photo = await decodeImage(readFileSync(samplePath));
});
afterAll(async () => {
  await disposeSharedDetectors();
  if (saved === undefined) delete process.env.AIKD_HOME;
  else process.env.AIKD_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

describe('detection cache', () => {
  it('a second crop size runs no detection; its crops equal those made with a cold cache', async () => {
    const rec = { id: 'sample1' };
    const d0 = detectionCacheStats.detected;
    const bbox = createProcedure('bbox');
    const cold112 = await bbox.align(photo, rec, { size: 112, seed: 1 });
    expect(detectionCacheStats.detected).toBe(d0 + 1);
    const c0 = detectionCacheStats.cached;
    const warm224 = await bbox.align(photo, rec, { size: 224, seed: 1 });
    const warm112 = await bbox.align(photo, rec, { size: 112, seed: 1 });
    expect(detectionCacheStats.detected).toBe(d0 + 1);
    expect(detectionCacheStats.cached).toBe(c0 + 2);
    expect(sameBytes(warm112.image.data, cold112.image.data)).toBe(true);
    expect(warm112.matrix).toEqual(cold112.matrix);
    expect(warm224.image.width).toBe(224);
    // a cold cache (fresh home) makes the 224 crop from a new detection: the same bytes
    const other = mkdtempSync(join(tmpdir(), 'aikd-detections-cold-'));
    process.env.AIKD_HOME = other;
    try {
      const cold224 = await bbox.align(photo, rec, { size: 224, seed: 1 });
      expect(detectionCacheStats.detected).toBe(d0 + 2);
      expect(sameBytes(cold224.image.data, warm224.image.data)).toBe(true);
    } finally {
      process.env.AIKD_HOME = home;
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a photo without a face is cached as none (NoFaceError again, no detection); changed pixels are detected again', async () => {
    const blank: RawImage = { data: new Uint8Array(160 * 160 * 3).fill(90), width: 160, height: 160, channels: 3 };
    const bbox = createProcedure('bbox');
    const d0 = detectionCacheStats.detected;
    await expect(bbox.align(blank, { id: 'blank' }, { size: 112, seed: 1 })).rejects.toBeInstanceOf(NoFaceError);
    await expect(bbox.align(blank, { id: 'blank' }, { size: 96, seed: 1 })).rejects.toBeInstanceOf(NoFaceError);
    expect(detectionCacheStats.detected).toBe(d0 + 1);
    // the photo is cached by the first test; one changed pixel makes it a new image
    await bbox.align(photo, { id: 'sample1' }, { size: 112, seed: 1 });
    expect(detectionCacheStats.detected).toBe(d0 + 1);
    const changed = { ...photo, data: photo.data.slice() };
    changed.data[0] = (changed.data[0]! + 1) % 256;
    await bbox.align(changed, { id: 'sample1' }, { size: 112, seed: 1 });
    expect(detectionCacheStats.detected).toBe(d0 + 2);
  });
});
