/**
 * Pair lists as FIQA evaluation code writes them (CR-FIQA's extract_*.py): an image folder, an optional image
 * list (`image_path_list.txt`, one path per line) and `pair_list.txt` with lines `img1 img2 label [fold]`.
 * Pair names may be the image's path relative to the folder, that path or file name without extension, or the
 * file name (`00012` for `00012.jpg`, as extract_bin.py writes them); the label is 1/0 (`00001` from numpy's
 * savetxt counts), true/false. The optional 4th column is a 0-based fold; option `folds: k` instead splits the
 * pairs into k contiguous folds.
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ImageRecord, PairRecord } from '../types.ts';
import { contiguousFold } from '../pairs.ts';
import { createImageMatcher } from '../side-files.ts';
import { isDirectory, isFile, listImageFiles, parseCount, readTextLines, tokens } from '../text-files.ts';
import type { FormatLoader } from './types.ts';

function parseLabel(token: string): boolean | undefined {
  const t = token.toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  const n = parseCount(token);
  return n === undefined ? undefined : n > 0;
}

export const pairListFormat: FormatLoader = {
  requiredPaths: ['images', 'pairs'],
  optionalPaths: ['list'],
  load(ctx) {
    const root = ctx.requirePath('images');
    const pairsFile = ctx.requirePath('pairs');
    const listFile = ctx.path('list');
    const folds = ctx.options.optionalInt('folds', 1);
    if (!isDirectory(root)) ctx.sink.report({ severity: 'error', file: root, expected: 'a folder of images', got: 'no such folder' });

    const images: ImageRecord[] = [];
    const toId = (path: string) => {
      const rel = relative(root, path);
      return rel.startsWith('..') || isAbsolute(rel) ? path.split(sep).join('/') : rel.split(sep).join('/');
    };
    if (listFile) {
      const seen = new Set<string>();
      for (const { line, text } of readTextLines(listFile, 'a readable image list')) {
        const entry = text.trim();
        const candidates = [resolve(root, entry), resolve(dirname(listFile), entry), join(root, entry.split(/[\\/]/).pop()!)];
        const path = candidates.find(isFile);
        if (!path) {
          ctx.sink.report({ severity: 'error', file: listFile, where: `line ${line}`, expected: `an image file (tried ${candidates.join(', ')})`, got: 'no such file' });
          continue;
        }
        const id = toId(path);
        if (seen.has(id)) {
          ctx.sink.report({ severity: 'warning', file: listFile, where: `line ${line}`, expected: 'each image listed once', got: `${entry} again` });
          continue;
        }
        seen.add(id);
        images.push({ id, path });
      }
    } else if (isDirectory(root)) {
      for (const rel of listImageFiles(root)) images.push({ id: rel, path: join(root, rel) });
    }

    const matcher = createImageMatcher(images, root);
    const pairs: PairRecord[] = [];
    const lines: number[] = [];
    const data = readTextLines(pairsFile, 'a readable pair list');
    data.forEach(({ line, text }, k) => {
      const t = tokens(text);
      if (k === 0 && t.length >= 3 && parseLabel(t[2]!) === undefined) return; // a header line such as `img1 img2 label`
      const mated = t.length >= 3 ? parseLabel(t[2]!) : undefined;
      const fold = t.length === 4 ? parseCount(t[3]) : undefined;
      if ((t.length !== 3 && t.length !== 4) || mated === undefined || (t.length === 4 && fold === undefined)) {
        ctx.sink.report({ severity: 'error', file: pairsFile, where: `line ${line}`, expected: '`img1 img2 label [fold]` with label 1/0 or true/false', got: JSON.stringify(text.trim().slice(0, 80)) });
        return;
      }
      const ends = [t[0]!, t[1]!].map((name) => {
        const rec = matcher.match(name, dirname(pairsFile));
        if (rec === 'ambiguous') ctx.sink.report({ severity: 'error', file: pairsFile, where: `line ${line}`, expected: `image name ${name} to fit one image`, got: 'several images (give the relative path)' });
        else if (!rec) ctx.sink.report({ severity: 'error', file: pairsFile, where: `line ${line}`, expected: `image ${name} in ${listFile ?? root}`, got: 'no such image' });
        return rec === 'ambiguous' ? undefined : rec;
      });
      if (!ends[0] || !ends[1]) return;
      const pair: PairRecord = { a: ends[0].id, b: ends[1].id, mated };
      if (fold !== undefined) pair.fold = fold;
      pairs.push(pair);
      lines.push(line);
    });
    if (folds !== undefined) pairs.forEach((p, i) => (p.fold ??= contiguousFold(i, pairs.length, folds)));
    return { location: pairsFile, images, pairs, imageRoot: root, pairOrigin: (i) => (lines[i] !== undefined ? `${pairsFile} line ${lines[i]}` : undefined) };
  },
};
