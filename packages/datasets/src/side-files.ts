/**
 * Side files that add to any format's images: 5-point landmarks (IJB-C style text) and an attributes CSV.
 * Images are matched by id, by path (relative to the side file or to the image folder), by id without extension,
 * or by a unique file name.
 */
import { basename, dirname, resolve } from 'node:path';
import { InputError, duplicateColumnProblem, parseCsv, type CsvRecord } from '@aikd/core';
import { readText, readTextLines, tokens } from './text-files.ts';
import type { ProblemSink } from './problems.ts';
import type { ImageRecord, Landmarks5, Point } from './types.ts';

const AMBIGUOUS = Symbol('ambiguous');

export interface ImageMatcher {
  /** The record a side file's image name refers to; `ambiguous` when a bare file name fits several images. */
  match(name: string, sideFileDir: string): ImageRecord | 'ambiguous' | undefined;
}

function stripExt(p: string): string {
  const slash = p.lastIndexOf('/');
  const dot = p.lastIndexOf('.');
  return dot > slash + 1 ? p.slice(0, dot) : p;
}

export function createImageMatcher(images: readonly ImageRecord[], imageRoot?: string): ImageMatcher {
  const byId = new Map<string, ImageRecord>();
  const byPath = new Map<string, ImageRecord>();
  const loose = new Map<string, ImageRecord | typeof AMBIGUOUS>();
  const addLoose = (key: string, r: ImageRecord) => {
    const prev = loose.get(key);
    loose.set(key, prev === undefined || prev === r ? r : AMBIGUOUS);
  };
  for (const r of images) {
    byId.set(r.id, r);
    if (r.path) byPath.set(resolve(r.path), r);
  }
  for (const r of images) {
    const stem = stripExt(r.id);
    if (!byId.has(stem)) addLoose(stem, r);
    addLoose(basename(r.id), r);
    addLoose(stripExt(basename(r.id)), r);
  }
  return {
    match(name, sideFileDir) {
      const n = name.replace(/\\/g, '/');
      const direct = byId.get(n) ?? byPath.get(resolve(sideFileDir, n)) ?? (imageRoot ? byPath.get(resolve(imageRoot, n)) : undefined);
      if (direct) return direct;
      const l = loose.get(n) ?? loose.get(stripExt(n)) ?? (n.includes('/') ? undefined : loose.get(basename(n)));
      return l === AMBIGUOUS ? 'ambiguous' : l;
    },
  };
}

function unmatchedWarning(sink: ProblemSink, file: string, unmatched: string[], ambiguous: string[]): void {
  if (unmatched.length)
    sink.report({
      severity: 'warning',
      file,
      expected: 'every image named to be in the dataset',
      got: `${unmatched.length} name${unmatched.length === 1 ? '' : 's'} not found, e.g. ${unmatched.slice(0, 3).join(', ')}`,
    });
  if (ambiguous.length)
    sink.report({ severity: 'warning', file, expected: 'image names that fit one image', got: `${ambiguous.length} ambiguous, e.g. ${ambiguous.slice(0, 3).join(', ')} (give the relative path)` });
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Landmarks file: `<image> x1 y1 x2 y2 x3 y3 x4 y4 x5 y5 [score]` per line (left eye, right eye, nose, left and
 * right mouth corner, in image pixels), `#` starts a comment. The score, when present, becomes the attribute
 * `landmark_score`.
 */
export function attachLandmarks(file: string, matcher: ImageMatcher, sink: ProblemSink): void {
  const dir = dirname(file);
  const unmatched: string[] = [];
  const ambiguous: string[] = [];
  const seen = new Map<ImageRecord, number>();
  for (const { line, text } of readTextLines(file, 'a readable landmarks file')) {
    const body = text.replace(/#.*/, '').trim();
    if (!body) continue;
    const t = tokens(body);
    if ((t.length !== 11 && t.length !== 12) || !t.slice(1).every((x) => NUMBER.test(x))) {
      sink.report({ severity: 'error', file, where: `line ${line}`, expected: '`<image> x1 y1 … x5 y5 [score]`: an image name and 10 or 11 numbers', got: JSON.stringify(body.slice(0, 80)) });
      continue;
    }
    const rec = matcher.match(t[0]!, dir);
    if (rec === 'ambiguous') ambiguous.push(t[0]!);
    if (!rec || rec === 'ambiguous') {
      if (rec === undefined) unmatched.push(t[0]!);
      continue;
    }
    if (seen.has(rec)) {
      sink.report({ severity: 'warning', file, where: `line ${line}`, expected: 'one landmark line per image', got: `a second line for ${rec.id} (first on line ${seen.get(rec)}); the last one is used` });
    }
    seen.set(rec, line);
    const v = t.slice(1).map(Number);
    const pts = [0, 1, 2, 3, 4].map((k) => [v[2 * k]!, v[2 * k + 1]!] as Point) as Landmarks5;
    rec.landmarks = pts;
    if (v.length === 11) rec.attributes = { ...rec.attributes, landmark_score: v[10]! };
  }
  unmatchedWarning(sink, file, unmatched, ambiguous);
}

/** Columns that set the face box instead of becoming attributes. */
const BOX_COLUMNS = ['box_x', 'box_y', 'box_w', 'box_h'] as const;

/**
 * Attributes CSV: a header whose first column is `image`; each other column becomes an attribute (numbers parsed
 * as numbers, empty cells left out). An `identity` column sets the identity label; `box_x, box_y, box_w, box_h`
 * set the face box.
 */
export function attachAttributes(file: string, matcher: ImageMatcher, sink: ProblemSink): void {
  let rows: CsvRecord[];
  try {
    rows = parseCsv(readText(file, 'a readable attributes CSV'), { file });
  } catch (e) {
    if (!(e instanceof InputError) || !sink.collecting) throw e;
    sink.report({ severity: 'error', file, where: e.where, expected: 'well-formed CSV', got: e.message.replace(/^.*?: expected /, 'expected ') });
    return;
  }
  if (!rows.length) return;
  const header = rows[0]!.cells.map((c) => c.trim());
  if (header[0] !== 'image') {
    sink.report({ severity: 'error', file, where: `line ${rows[0]!.line}`, expected: 'a header whose first column is `image`', got: JSON.stringify(header.join(',').slice(0, 80)) });
    return;
  }
  const duplicate = duplicateColumnProblem(header);
  if (duplicate) {
    sink.report({ severity: 'error', file, where: `line ${rows[0]!.line}`, ...duplicate });
    return;
  }
  const boxCols = BOX_COLUMNS.map((c) => header.indexOf(c));
  const hasBox = boxCols.every((k) => k > 0);
  const dir = dirname(file);
  const unmatched: string[] = [];
  const ambiguous: string[] = [];
  for (const { line, cells } of rows.slice(1)) {
    if (cells.length !== header.length) {
      sink.report({ severity: 'error', file, where: `line ${line}`, expected: `${header.length} columns as in the header`, got: `${cells.length}` });
      continue;
    }
    const name = cells[0]!.trim();
    const rec = matcher.match(name, dir);
    if (rec === 'ambiguous') ambiguous.push(name);
    if (!rec || rec === 'ambiguous') {
      if (rec === undefined) unmatched.push(name);
      continue;
    }
    const attrs: Record<string, string | number> = { ...rec.attributes };
    for (let k = 1; k < header.length; k++) {
      const raw = cells[k]!.trim();
      const key = header[k]!;
      if (raw === '' || (hasBox && boxCols.includes(k))) continue;
      if (key === 'identity') rec.identity = raw;
      else attrs[key] = NUMBER.test(raw) ? Number(raw) : raw;
    }
    if (hasBox) {
      const b = boxCols.map((k) => cells[k]!.trim());
      if (b.every((x) => NUMBER.test(x))) rec.box = b.map(Number) as [number, number, number, number];
      else if (b.some((x) => x !== '')) sink.report({ severity: 'error', file, where: `line ${line}`, expected: 'numbers in box_x, box_y, box_w, box_h', got: b.join(',') });
    }
    if (Object.keys(attrs).length) rec.attributes = attrs;
  }
  unmatchedWarning(sink, file, unmatched, ambiguous);
}
