/**
 * Adience as released: `faces/<user_id>/coarse_tilt_aligned_face.<face_id>.<original_image>` (faces.tar.gz; the
 * aligned.tar.gz copies are `aligned/<user_id>/landmark_aligned_face.<face_id>.<original_image>`) plus the fold
 * files `fold_0_data.txt` … `fold_4_data.txt`: tab-separated, with a header naming the columns user_id,
 * original_image, face_id, age, gender, x, y, dx, dy, tilt_ang, fiducial_yaw_angle, fiducial_score (the box and
 * pose refer to the original Flickr photo, so they are not used as a box here).
 *
 * Assumptions (Adience has no verification protocol): the subject is `face_id` — how CR-FIQA's extract_adience.py
 * groups faces (`person = name.split('.')[1]`); option `identity: user_face` uses `<user_id>/<face_id>` instead.
 * Pairs are all-vs-all over the kept images (mated = same subject), as FIQA papers do; `non_mated`, `max_mated`
 * and `seed` subsample them, which the full set (~26.5k faces, ~350 M pairs) needs. Kept images: all listed in the
 * fold files (or, without them, every `*_face.<face_id>.<name>` file found), optionally only `adience_folds`, and
 * only those named in the optional `keep` file (e.g. faces a detector found).
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ImageRecord } from '../types.ts';
import { createImageMatcher } from '../side-files.ts';
import { isDirectory, isFile, listImageFiles, readTextLines } from '../text-files.ts';
import { pairGenerator } from './generated-pairs.ts';
import type { FormatLoader, LoaderContext } from './types.ts';

const PREFIXES = ['coarse_tilt_aligned_face', 'landmark_aligned_face'];
const REQUIRED_COLUMNS = ['user_id', 'original_image', 'face_id'];
const FACE_FILE = /^(.+_face)\.(\d+)\.(.+)$/;

/** The fold files in a folder (fold_<k>_data.txt, not the fold_frontal_* variants), or a single file. */
function foldFiles(path: string): { file: string; fold: number | undefined }[] {
  if (!isDirectory(path)) {
    const k = /fold_(\d+)_data\.txt$/.exec(path)?.[1];
    return [{ file: path, fold: k === undefined ? undefined : Number(k) }];
  }
  return readdirSync(path)
    .map((f) => /^fold_(\d+)_data\.txt$/.exec(f))
    .filter((m): m is RegExpExecArray => !!m)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => ({ file: join(path, m[0]), fold: Number(m[1]) }));
}

function readFoldFiles(ctx: LoaderContext, root: string, foldsPath: string, only: number[] | undefined, identityOf: (user: string, face: string) => string): ImageRecord[] {
  const images = new Map<string, ImageRecord>();
  const files = foldFiles(foldsPath).filter((f) => !only || (f.fold !== undefined && only.includes(f.fold)));
  if (!files.length) ctx.sink.report({ severity: 'error', file: foldsPath, expected: 'fold_<k>_data.txt files', got: 'none' });
  for (const { file, fold } of files) {
    const lines = readTextLines(file, 'a readable Adience fold file');
    if (!lines.length) continue;
    const header = lines[0]!.text.split('\t').map((h) => h.trim());
    const col = Object.fromEntries(header.map((h, i) => [h, i]));
    const missingCols = REQUIRED_COLUMNS.filter((c) => col[c] === undefined);
    if (missingCols.length) {
      ctx.sink.report({ severity: 'error', file, where: `line ${lines[0]!.line}`, expected: `a tab-separated header with ${REQUIRED_COLUMNS.join(', ')}`, got: JSON.stringify(lines[0]!.text.slice(0, 80)) });
      continue;
    }
    for (const { line, text } of lines.slice(1)) {
      const cells = text.split('\t').map((c) => c.trim());
      const user = cells[col.user_id!];
      const orig = cells[col.original_image!];
      const face = cells[col.face_id!];
      if (!user || !orig || !face || !/^\d+$/.test(face)) {
        ctx.sink.report({ severity: 'error', file, where: `line ${line}`, expected: 'user_id, original_image and a numeric face_id', got: JSON.stringify(text.slice(0, 80)) });
        continue;
      }
      const candidates = PREFIXES.map((p) => `${user}/${p}.${face}.${orig}`);
      const id = candidates.find((c) => isFile(join(root, c)));
      if (!id) {
        ctx.sink.report({ severity: 'error', file, where: `line ${line}`, expected: `image file ${join(root, candidates[0]!)}`, got: 'no such file' });
        continue;
      }
      if (images.has(id)) {
        ctx.sink.report({ severity: 'warning', file, where: `line ${line}`, expected: 'each face listed once', got: `${id} again` });
        continue;
      }
      const attributes: Record<string, string | number> = { user_id: user };
      for (const key of ['age', 'gender'] as const) {
        const v = col[key] !== undefined ? cells[col[key]!] : undefined;
        if (v && v !== 'None') attributes[key] = /^\d+$/.test(v) ? Number(v) : v;
      }
      if (fold !== undefined) attributes.adience_fold = fold;
      images.set(id, { id, identity: identityOf(user, face), path: join(root, id), attributes });
    }
  }
  return [...images.values()];
}

function scanFaces(ctx: LoaderContext, root: string, identityOf: (user: string, face: string) => string): ImageRecord[] {
  const images: ImageRecord[] = [];
  const odd: string[] = [];
  for (const rel of listImageFiles(root)) {
    const m = FACE_FILE.exec(basename(rel));
    const user = dirname(rel);
    if (!m || user === '.') odd.push(rel);
    else images.push({ id: rel, identity: identityOf(user, m[2]!), path: join(root, rel), attributes: { user_id: user } });
  }
  if (odd.length)
    ctx.sink.report({ severity: 'warning', file: root, expected: 'files named <user_id>/<prefix>_face.<face_id>.<image>', got: `${odd.length} other image(s), ignored (e.g. ${odd[0]})` });
  return images;
}

export const adienceFormat: FormatLoader = {
  requiredPaths: ['images'],
  optionalPaths: ['folds', 'keep'],
  load(ctx) {
    const root = ctx.requirePath('images');
    const foldsPath = ctx.path('folds');
    const keepFile = ctx.path('keep');
    const identity = ctx.options.choice('identity', ['face_id', 'user_face'] as const, 'face_id');
    const only = ctx.options.intList('adience_folds');
    const generate = pairGenerator(ctx, 'all');
    const identityOf = identity === 'face_id' ? (_u: string, f: string) => f : (u: string, f: string) => `${u}/${f}`;
    if (!isDirectory(root)) {
      ctx.sink.report({ severity: 'error', file: root, expected: 'the Adience faces folder (<user_id>/…_face.<face_id>.<image>)', got: 'no such folder' });
      return { location: root, images: [], pairs: [] };
    }
    let images = foldsPath ? readFoldFiles(ctx, root, foldsPath, only, identityOf) : scanFaces(ctx, root, identityOf);
    if (keepFile) {
      const matcher = createImageMatcher(images, root);
      const keep = new Set<ImageRecord>();
      for (const { line, text } of readTextLines(keepFile, 'a readable list of kept images')) {
        const rec = matcher.match(text.trim(), dirname(keepFile));
        if (rec && rec !== 'ambiguous') keep.add(rec);
        else ctx.sink.report({ severity: 'warning', file: keepFile, where: `line ${line}`, expected: 'an image of the dataset', got: JSON.stringify(text.trim()) });
      }
      images = images.filter((r) => keep.has(r));
    }
    return { location: root, images, generatePairs: generate, imageRoot: root };
  },
};
