/**
 * Images from files, as a researcher has them: detect the largest face and align it to the recogniser's template,
 * or (`aligned`) take the file as an aligned crop and resize it to the recogniser's input size.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { InputError, errorLine } from '@aikd/core';
import { decodeImage, type RawImage } from '@aikd/datasets';
import { alignToTemplate, createDetector, warpAffine, type FaceDetector } from '@aikd/alignment';
import type { Recognizer } from './types.ts';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp']);

/** Image files under a folder (recursively), sorted, as paths relative to it. */
export function listImageFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXT.has(extname(e.name).toLowerCase())) out.push(relative(dir, p));
    }
  };
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new InputError({ file: dir, expected: 'a folder of images' });
  walk(dir);
  return out;
}

/** Resize a square crop to `size` with the same pixel-centre convention as the warps. */
export function resizeCrop(img: RawImage, size: number): RawImage {
  if (img.width === size && img.height === size) return img;
  const sx = size / img.width, sy = size / img.height;
  return warpAffine(img, [[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5]], size, size);
}

export interface FileCrop {
  file: string;
  crop?: RawImage;
  /** Why there is no crop (no face found, undecodable file). */
  error?: string;
  score?: number;
}

export class FileCropper {
  private detector?: Promise<FaceDetector>;
  constructor(private readonly rec: Recognizer, private readonly aligned: boolean) {}

  async crop(path: string, label = path): Promise<FileCrop> {
    let img: RawImage;
    try {
      img = await decodeImage(new Uint8Array(readFileSync(path)), path);
    } catch (e) {
      return { file: label, error: errorLine(e) };
    }
    const size = this.rec.spec.inputSize;
    if (this.aligned) return { file: label, crop: resizeCrop(img, size) };
    this.detector ??= createDetector('faceapi-ssd');
    const faces = await (await this.detector).detect(img);
    if (!faces.length) return { file: label, error: 'no face found' };
    const face = faces.reduce((a, b) => (a.box[2] * a.box[3] >= b.box[2] * b.box[3] ? a : b));
    return { file: label, crop: alignToTemplate(img, face.landmarks, size, this.rec.spec.template).image, score: face.score };
  }

  async dispose(): Promise<void> {
    if (this.detector) (await this.detector).dispose();
  }
}
