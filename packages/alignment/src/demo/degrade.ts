/**
 * Graded image degradations for the demo dataset. Each takes a severity s ∈ [0, 1] and a seeded stream, returns
 * the degraded image, the geometric map it applied (for the landmarks; identity unless it moves pixels) and the
 * one number that says how strong it was (recorded in attributes.csv). Strength ranges are for 256-px loose crops
 * whose face box is ~128 px wide.
 */
import type { Rng } from '@aikd/core';
import { decodeImage, encodeJpeg, vips } from '@aikd/datasets';
import type { Affine, RawImage } from '../types.ts';
import { IDENTITY, similarityAbout } from '../geometry/affine.ts';
import { warpAffine } from '../geometry/warp.ts';

/** The demo set's degradations (its images: one variant of each per face). */
export const degradationNames = ['blur', 'noise', 'jpeg', 'downup', 'exposure', 'occlusion', 'rotation'] as const;
/** Every degradation family: the demo set's, plus motion blur and small pose-like warps (AI-KD's label bank). */
export const degradationFamilies = [...degradationNames, 'motion-blur', 'pose'] as const;
export type DegradationName = (typeof degradationFamilies)[number];

export interface Degraded {
  image: RawImage;
  /** Maps the input's pixels to the output's (landmarks follow it). */
  geometry: Affine;
  /** The strength parameter's name and value (e.g. sigma = 2.3 px). */
  param: string;
  value: number;
}

const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

function gaussianBlur(img: RawImage, sigma: number): RawImage {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const kern = k.map((v) => v / ks);
  const { width: w, height: h } = img;
  const tmp = new Float32Array(w * h * 3);
  const out = new Uint8Array(w * h * 3);
  // separable, edge pixels replicated
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += kern[i + r]! * img.data[(y * w + Math.min(w - 1, Math.max(0, x + i))) * 3 + c]!;
        tmp[(y * w + x) * 3 + c] = s;
      }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += kern[i + r]! * tmp[(Math.min(h - 1, Math.max(0, y + i)) * w + x) * 3 + c]!;
        out[(y * w + x) * 3 + c] = clamp255(s);
      }
  return { data: out, width: w, height: h, channels: 3 };
}

/**
 * Linear motion blur: the mean of `length` samples along a line through each pixel at `angle` (radians), spaced one
 * pixel apart and bilinearly interpolated, edge pixels replicated.
 */
function motionBlur(img: RawImage, length: number, angle: number): RawImage {
  const { width: w, height: h } = img;
  const n = Math.max(1, Math.round(length));
  const dx = Math.cos(angle), dy = Math.sin(angle);
  const out = new Uint8Array(w * h * 3);
  const at = (x: number, y: number, c: number) => img.data[(Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * 3 + c]!;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const t = i - (n - 1) / 2;
          const sx = x + t * dx, sy = y + t * dy;
          const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
          sum += (1 - fy) * ((1 - fx) * at(x0, y0, c) + fx * at(x0 + 1, y0, c)) + fy * ((1 - fx) * at(x0, y0 + 1, c) + fx * at(x0 + 1, y0 + 1, c));
        }
        out[(y * w + x) * 3 + c] = clamp255(sum / n);
      }
  return { data: out, width: w, height: h, channels: 3 };
}

function map(img: RawImage, f: (v: number, i: number) => number): RawImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp255(f(img.data[i]!, i));
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

async function resize(img: RawImage, width: number, height: number, kernel: 'lanczos3' | 'cubic'): Promise<RawImage> {
  const { data, info } = await (await vips())(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { kernel, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

/**
 * Apply one degradation at severity s. `face` is the face box [x, y, w, h] in the image (where occluders go).
 */
export async function degrade(name: DegradationName, img: RawImage, s: number, rng: Rng, face: [number, number, number, number]): Promise<Degraded> {
  const same = { geometry: IDENTITY };
  switch (name) {
    case 'blur': {
      const sigma = 0.5 + 4.5 * s; // 0.5 … 5 px
      return { image: gaussianBlur(img, sigma), ...same, param: 'sigma_px', value: sigma };
    }
    case 'noise': {
      const std = 3 + 37 * s; // 3 … 40 grey levels
      return { image: map(img, (v) => v + std * rng.normal()), ...same, param: 'noise_std', value: std };
    }
    case 'jpeg': {
      const quality = Math.round(75 - 70 * s); // 75 … 5
      return { image: await decodeImage(await encodeJpeg(img, quality)), ...same, param: 'jpeg_quality', value: quality };
    }
    case 'downup': {
      const factor = 2 ** (1 + 2.5 * s); // 2× … 11× smaller, then back up
      const w = Math.max(4, Math.round(img.width / factor)), h = Math.max(4, Math.round(img.height / factor));
      return { image: await resize(await resize(img, w, h, 'lanczos3'), img.width, img.height, 'cubic'), ...same, param: 'down_factor', value: factor };
    }
    case 'exposure': {
      const stops = (rng.next() < 0.5 ? -1 : 1) * (0.5 + 2 * s); // ± 0.5 … 2.5 stops: crushed shadows or clipped highlights
      const gain = 2 ** stops;
      return { image: map(img, (v) => 255 * ((v / 255) ** 2.2 * gain) ** (1 / 2.2)), ...same, param: 'exposure_stops', value: stops };
    }
    case 'occlusion': {
      const area = (0.05 + 0.35 * s) * face[2] * face[3]; // 5 … 40 % of the face box
      const aspect = Math.exp(rng.uniform(Math.log(0.5), Math.log(2)));
      const rw = Math.min(face[2], Math.sqrt(area * aspect)), rh = Math.min(face[3], area / rw);
      const cx = face[0] + rng.uniform(rw / 2, face[2] - rw / 2), cy = face[1] + rng.uniform(rh / 2, face[3] - rh / 2);
      const colour = [rng.int(256), rng.int(256), rng.int(256)];
      const x0 = Math.round(cx - rw / 2), x1 = Math.round(cx + rw / 2), y0 = Math.round(cy - rh / 2), y1 = Math.round(cy + rh / 2);
      const out = new Uint8Array(img.data);
      for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++)
        for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++) for (let c = 0; c < 3; c++) out[(y * img.width + x) * 3 + c] = colour[c]!;
      return { image: { ...img, data: out }, ...same, param: 'occluded_fraction', value: ((x1 - x0) * (y1 - y0)) / (face[2] * face[3]) };
    }
    case 'motion-blur': {
      const length = 2 + 16 * s; // 2 … 18 px streaks at a random angle
      return { image: motionBlur(img, length, rng.uniform(0, Math.PI)), ...same, param: 'motion_px', value: length };
    }
    case 'pose': {
      // a small pose-like warp about the face centre: one side foreshortened (yaw-like), a vertical shear (roll-like
      // tilt of the features) and a slight vertical squash (pitch-like); all affine, so landmarks follow exactly
      const cx = face[0] + face[2] / 2 - 0.5, cy = face[1] + face[3] / 2 - 0.5;
      const sx = 1 - 0.3 * s, shear = (rng.next() < 0.5 ? -1 : 1) * 0.15 * s, sy = 1 - 0.1 * s * rng.next();
      const m: Affine = [
        [sx, 0, cx - sx * cx],
        [shear, sy, cy - shear * cx - sy * cy],
      ];
      return { image: warpAffine(img, m, img.width, img.height), geometry: m, param: 'foreshortening', value: 1 - sx };
    }
    case 'rotation': {
      const deg = (rng.next() < 0.5 ? -1 : 1) * (5 + 40 * s); // in-plane, about the face centre, ± 5 … 45°
      const m = similarityAbout([face[0] + face[2] / 2 - 0.5, face[1] + face[3] / 2 - 0.5], 1, (deg * Math.PI) / 180);
      return { image: warpAffine(img, m, img.width, img.height), geometry: m, param: 'rotation_deg', value: deg };
    }
  }
}
