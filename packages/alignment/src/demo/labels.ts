import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError, describeValue } from '@aikd/core';
import { iou } from '../geometry/box.ts';

/** The reviewed label file committed with the package. */
export const DEMO_LABELS_PATH = fileURLToPath(new URL('./labels.json', import.meta.url));

export interface DemoLabelFace {
  /** Left-to-right index of the face in its photo (stable part of the face id). */
  face: number;
  /** [x, y, w, h] in source pixels, as reviewed; detections are matched to it by IoU ≥ 0.5. */
  box: [number, number, number, number];
  identity?: string;
  /** Why this face is not used (mask, painting, composite, duplicate …). */
  exclude?: string;
  note?: string;
}

export interface DemoLabelFile {
  skip?: string;
  note?: string;
  faces?: DemoLabelFace[];
}

export interface DemoLabels {
  files: Record<string, DemoLabelFile>;
}

const SLUG = /^[a-z0-9][a-z0-9._-]*$/;

export function loadDemoLabels(path = DEMO_LABELS_PATH): DemoLabels {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError({ file: path, expected: 'a JSON label file', got: (e as Error).message });
  }
  const files = (raw as { files?: unknown })?.files;
  if (!files || typeof files !== 'object' || Array.isArray(files)) throw new InputError({ file: path, where: 'key files', expected: 'an object of <package path>: entry' });
  for (const [key, entry] of Object.entries(files as Record<string, DemoLabelFile>)) {
    const where = `files["${key}"]`;
    if (!entry || typeof entry !== 'object') throw new InputError({ file: path, where, expected: 'an object', got: describeValue(entry) });
    if (entry.skip !== undefined) {
      if (typeof entry.skip !== 'string' || entry.faces) throw new InputError({ file: path, where, expected: '"skip": "<reason>" and no faces', got: describeValue(entry) });
      continue;
    }
    if (!Array.isArray(entry.faces)) throw new InputError({ file: path, where, expected: '"faces": [...] or "skip": "<reason>"', got: describeValue(entry) });
    const seen = new Set<number>();
    entry.faces.forEach((f, i) => {
      const w = `${where}.faces[${i}]`;
      if (!Number.isInteger(f?.face) || f.face < 0 || seen.has(f.face)) throw new InputError({ file: path, where: `${w}.face`, expected: 'a unique face index ≥ 0', got: describeValue(f?.face) });
      seen.add(f.face);
      if (!Array.isArray(f.box) || f.box.length !== 4 || !f.box.every(Number.isFinite) || !(f.box[2] > 0 && f.box[3] > 0))
        throw new InputError({ file: path, where: `${w}.box`, expected: '[x, y, width, height] with positive size', got: describeValue(f.box) });
      if ((f.identity === undefined) === (f.exclude === undefined)) throw new InputError({ file: path, where: w, expected: 'exactly one of "identity" or "exclude"', got: describeValue(f) });
      if (f.identity !== undefined && (typeof f.identity !== 'string' || !SLUG.test(f.identity)))
        throw new InputError({ file: path, where: `${w}.identity`, expected: 'a folder-safe name of lower-case letters, digits, ".", "_" or "-"', got: describeValue(f.identity) });
      if (f.exclude !== undefined && (typeof f.exclude !== 'string' || !f.exclude)) throw new InputError({ file: path, where: `${w}.exclude`, expected: 'the reason as text', got: describeValue(f.exclude) });
    });
  }
  return raw as DemoLabels;
}

/** The labelled face a detection is (best box overlap, IoU ≥ 0.5), if any. */
export function matchLabel(faces: readonly DemoLabelFace[], box: readonly number[]): DemoLabelFace | undefined {
  let best: DemoLabelFace | undefined;
  let bestIou = 0.5;
  for (const f of faces) {
    const v = iou(f.box, box);
    if (v >= bestIou) {
      best = f;
      bestIou = v;
    }
  }
  return best;
}
