/**
 * LFW layout: `<root>/<Name>/<Name>_<NNNN>.jpg` with a `pairs.txt`-style protocol file — a header `folds n`
 * (`10 300` for View 2) or just `n` (`pairsDevTrain.txt`: 1100, `pairsDevTest.txt`: 500), then per fold n mated
 * lines `name n1 n2` and n non-mated lines `name1 n1 name2 n2`, tokens split on any whitespace. The fold of a
 * line is its position: lines 1…2n after the header are fold 0, and so on. `people.txt` (`name count` lines
 * between per-fold counts) can list the images instead.
 */
import { join } from 'node:path';
import type { ImageRecord, PairRecord } from '../types.ts';
import type { ProblemSink } from '../problems.ts';
import { isDirectory, isFile, listImageFiles, parseCount, readTextLines, tokens } from '../text-files.ts';
import type { FormatLoader, LoadedParts, LoaderContext } from './types.ts';

export interface LfwNaming {
  /** Image file extension, default `.jpg`. */
  ext: string;
  /** Digits of the zero-padded image number, default 4. */
  digits: number;
}

export const LFW_NAMING: LfwNaming = { ext: '.jpg', digits: 4 };

export function lfwImageId(name: string, num: number, naming: LfwNaming = LFW_NAMING): string {
  return `${name}/${name}_${String(num).padStart(naming.digits, '0')}${naming.ext}`;
}

export interface LfwPairsFile {
  pairs: PairRecord[];
  /** Line number of each pair. */
  lines: number[];
  folds?: number;
  perClass?: number;
}

const HEADER_HELP = 'a header `<folds> <pairs per class>` (e.g. "10 300") or `<pairs per class>` (e.g. "1100")';

function validName(name: string): boolean {
  return name !== '.' && name !== '..' && !/[\\/]/.test(name);
}

/** Parse an LFW-style pairs file (pairs.txt, pairsDevTrain/Test.txt, xqlfw_pairs.txt). */
export function parseLfwPairs(file: string, sink: ProblemSink, naming: LfwNaming = LFW_NAMING): LfwPairsFile {
  const lines = readTextLines(file, 'a readable LFW-style pairs file');
  const out: LfwPairsFile = { pairs: [], lines: [] };
  if (!lines.length) {
    sink.report({ severity: 'error', file, expected: HEADER_HELP, got: 'an empty file' });
    return out;
  }
  const head = tokens(lines[0]!.text).map(parseCount);
  let data = lines.slice(1);
  if (head.length === 2 && head[0]! > 0 && head[1]! > 0) [out.folds, out.perClass] = [head[0]!, head[1]!];
  else if (head.length === 1 && head[0]! > 0) [out.folds, out.perClass] = [1, head[0]!];
  else {
    sink.report({ severity: 'error', file, where: `line ${lines[0]!.line}`, expected: HEADER_HELP, got: JSON.stringify(lines[0]!.text.slice(0, 60)) });
    data = lines; // collecting: read the rest without folds
  }
  if (out.folds !== undefined) {
    const expected = out.folds * 2 * out.perClass!;
    if (data.length !== expected)
      sink.report({
        severity: 'error',
        file,
        where: data.length > expected ? `line ${data[expected]!.line}` : `line ${lines.at(-1)!.line} (end of file)`,
        expected: `${expected} pair lines after the header "${lines[0]!.text.trim()}" (${out.folds} fold${out.folds > 1 ? 's' : ''} × (${out.perClass} mated + ${out.perClass} non-mated))`,
        got: `${data.length} lines`,
      });
  }
  data.forEach(({ line, text }, k) => {
    const t = tokens(text);
    const nums = t.length === 3 ? [t[1], t[2]] : t.length === 4 ? [t[1], t[3]] : [];
    const names = t.length === 3 ? [t[0]!, t[0]!] : t.length === 4 ? [t[0]!, t[2]!] : [];
    const counts = nums.map(parseCount);
    if (!names.length || counts.some((c) => !c) || !names.every(validName)) {
      sink.report({
        severity: 'error',
        file,
        where: `line ${line}`,
        expected: '3 tokens `name n1 n2` (mated) or 4 tokens `name1 n1 name2 n2` (non-mated), image numbers >= 1',
        got: JSON.stringify(text.trim().slice(0, 80)),
      });
      return;
    }
    const pair: PairRecord = { a: lfwImageId(names[0]!, counts[0]!, naming), b: lfwImageId(names[1]!, counts[1]!, naming), mated: t.length === 3 };
    if (out.folds !== undefined) pair.fold = Math.min(Math.floor(k / (2 * out.perClass!)), out.folds - 1);
    out.pairs.push(pair);
    out.lines.push(line);
  });
  return out;
}

/** people.txt / peopleDevTrain.txt: `name count` lines; lines holding one number (fold sizes) are skipped. */
export function parseLfwPeople(file: string, sink: ProblemSink): { name: string; count: number; line: number }[] {
  const out: { name: string; count: number; line: number }[] = [];
  for (const { line, text } of readTextLines(file, 'a readable LFW people file')) {
    const t = tokens(text);
    if (t.length === 1 && parseCount(t[0]) !== undefined) continue;
    const count = parseCount(t[1]);
    if (t.length !== 2 || count === undefined || !validName(t[0]!)) {
      sink.report({ severity: 'error', file, where: `line ${line}`, expected: '`name count` or a single number', got: JSON.stringify(text.trim().slice(0, 80)) });
      continue;
    }
    out.push({ name: t[0]!, count, line });
  }
  return out;
}

export const IMAGE_MODES = ['pairs', 'all', 'people'] as const;

/**
 * The LFW folder layout with an optional protocol file. Options: `images` = `pairs` (default: the images the pairs
 * use), `all` (every image in the folder) or `people` (the people file's images); `ext`, `digits` (file naming).
 */
export function loadLfwLayout(ctx: LoaderContext, pairsKey = 'pairs'): LoadedParts {
  const root = ctx.requirePath('images');
  const naming: LfwNaming = { ext: ctx.options.string('ext', LFW_NAMING.ext), digits: ctx.options.int('digits', LFW_NAMING.digits, 1) };
  const mode = ctx.options.choice('images', IMAGE_MODES, 'pairs');
  const pairsFile = ctx.path(pairsKey);
  const parsed = pairsFile ? parseLfwPairs(pairsFile, ctx.sink, naming) : undefined;
  if (!isDirectory(root)) ctx.sink.report({ severity: 'error', file: root, expected: 'a folder of <Name>/<Name>_NNNN images', got: 'no such folder' });

  const images = new Map<string, ImageRecord>();
  const missing = new Set<string>();
  const add = (id: string, identity: string | undefined, origin: () => { file: string; where?: string }, mustExist: boolean) => {
    if (images.has(id) || missing.has(id)) return;
    const path = join(root, id);
    if (mustExist && !isFile(path)) {
      missing.add(id);
      ctx.sink.report({ severity: 'error', ...origin(), expected: `image file ${path}`, got: 'no such file' });
      return;
    }
    images.set(id, { id, identity, path });
  };

  if (mode === 'all') {
    if (isDirectory(root))
      for (const rel of listImageFiles(root)) {
        const slash = rel.indexOf('/');
        add(rel, slash > 0 ? rel.slice(0, slash) : undefined, () => ({ file: root }), false);
      }
  } else if (mode === 'people') {
    const peopleFile = ctx.requirePath('people');
    for (const p of parseLfwPeople(peopleFile, ctx.sink))
      for (let k = 1; k <= p.count; k++) add(lfwImageId(p.name, k, naming), p.name, () => ({ file: peopleFile, where: `line ${p.line}` }), true);
  }

  const pairs: PairRecord[] = [];
  const lines: number[] = [];
  if (parsed && pairsFile) {
    parsed.pairs.forEach((p, i) => {
      const where = () => ({ file: pairsFile, where: `line ${parsed.lines[i]}` });
      for (const id of [p.a, p.b]) {
        if (mode === 'pairs') add(id, id.slice(0, id.indexOf('/')), where, true);
        else if (!images.has(id) && !missing.has(id)) {
          missing.add(id);
          ctx.sink.report({ severity: 'error', ...where(), expected: `image ${id} in the dataset's images`, got: isFile(join(root, id)) ? 'a file outside the listed images' : 'no such file' });
        }
      }
      if (images.has(p.a) && images.has(p.b)) {
        pairs.push(p);
        lines.push(parsed.lines[i]!);
      }
    });
  }
  return {
    location: root,
    images: [...images.values()],
    pairs: parsed ? pairs : undefined,
    pairOrigin: (i) => (pairsFile && lines[i] !== undefined ? `${pairsFile} line ${lines[i]}` : undefined),
    imageRoot: root,
  };
}

export const lfwFormat: FormatLoader = {
  requiredPaths: ['images'],
  optionalPaths: ['pairs', 'people'],
  load: (ctx) => loadLfwLayout(ctx),
};
