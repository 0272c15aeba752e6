/** Small real datasets on disk for the tests: temp folders, real JPEG/PNG files made with the codec. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll } from 'vitest';
import { encodeJpeg, encodePng } from '../../src/image-codec.ts';
import type { RawImage } from '../../src/types.ts';

/** A temp folder removed after the test file. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `aikd-datasets-${label}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A deterministic picture (gradients + a seeded pattern), so every image differs and encodes to a real JPEG. */
export function testImage(seed: number, width = 32, height = 32): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 8 + seed * 37) & 255;
      data[i + 1] = (y * 8 + seed * 91) & 255;
      data[i + 2] = ((x ^ y) * 4 + seed * 13) & 255;
    }
  return { data, width, height, channels: 3 };
}

export async function jpeg(seed: number, size = 32): Promise<Uint8Array> {
  return encodeJpeg(testImage(seed, size, size), 90);
}

export async function png(seed: number, size = 32): Promise<Uint8Array> {
  return encodePng(testImage(seed, size, size));
}

export function writeFile(path: string, data: string | Uint8Array): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}

/** `python3` on PATH, or undefined (the tests that need it then skip, saying so). */
export const python3: string | undefined = (() => {
  const r = spawnSync('python3', ['-c', 'import pickle,sys; print(sys.version_info[0])'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === '3' ? 'python3' : undefined;
})();
