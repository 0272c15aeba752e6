/**
 * The largest face a procedure's detector finds in an image, cached by the image's pixels. Detection does not depend
 * on the crop size, template or seed a procedure aligns to, but the aligned-crop cache is keyed by all of them, so
 * without this every new crop size (a teacher on faceres at 224 px, a student on mobileface at 112 px) ran the
 * detector again on every image. The key covers the decoded pixels, the detector, its score threshold and the
 * alignment package's code (its detectors and their model files' versions), as the aligned-crop cache does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, configHash, packageCodeVersion, sha256Hex, writeJsonAtomic } from '@aikd/core';
import { ALIGN_CACHE_VERSION } from '../constants.ts';
import type { DetectorName, FaceDetection, RawImage } from '../types.ts';
import { largestFace, PROCEDURE_MIN_SCORE, sharedDetector } from './index.ts';

/** How many detector calls this process made through the cache (tests count them). */
export const detectionCacheStats = { detected: 0, cached: 0 };

function cachePath(img: RawImage, detector: DetectorName): string {
  const folder = configHash({ version: ALIGN_CACHE_VERSION, code: packageCodeVersion('alignment'), detector, minScore: PROCEDURE_MIN_SCORE });
  const key = sha256Hex(`${img.width}x${img.height}x${img.channels}:${sha256Hex(img.data)}`);
  return join(cacheDir('detections', folder), key.slice(0, 2), `${key}.json`);
}

/** `largestFace(detector.detect(img))` of the shared procedure detector, through the cache (`undefined`: no face). */
export async function largestFaceCached(img: RawImage, detector: DetectorName): Promise<FaceDetection | undefined> {
  const file = cachePath(img, detector);
  if (existsSync(file)) {
    try {
      const hit = JSON.parse(readFileSync(file, 'utf8')) as { face: FaceDetection | null };
      detectionCacheStats.cached++;
      return hit.face ?? undefined;
    } catch {
      // a damaged entry is detected again and rewritten
    }
  }
  const face = largestFace(await (await sharedDetector(detector)).detect(img));
  detectionCacheStats.detected++;
  writeJsonAtomic(file, { face: face ?? null });
  return face;
}
