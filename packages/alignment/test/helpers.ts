import { Rng } from '@aikd/core';
import type { Landmarks5, RawImage } from '../src/index.ts';

/** A textured RGB image (smooth gradients + seeded noise), so any resampling difference shows in the bytes. */
export function texturedImage(width: number, height: number, seed = 1): RawImage {
  const r = new Rng([seed, 2, 3, 4]);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 255) / width;
      data[o + 1] = 128 + 100 * Math.sin(x / 7) * Math.cos(y / 5);
      data[o + 2] = Math.min(255, Math.max(0, 128 + r.normal() * 40));
    }
  return { data, width, height, channels: 3 };
}

/** Plausible face landmarks in a 200×200 image. */
export const FACE_200: Landmarks5 = [
  [72.4, 88.1],
  [128.9, 86.3],
  [101.2, 118.7],
  [77.5, 146.2],
  [124.8, 144.9],
];

export const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
