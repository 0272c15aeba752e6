/**
 * `aikd datasets check NAME`: every problem in one pass — bad lines in the protocol and side files, pairs that do
 * not resolve to an image, images that do not decode (or are not the expected crop size), counts that differ from
 * `expected:`, duplicate pairs and images, mated flags that contradict identity labels, and unbalanced folds.
 */
import { AikdError, errorLine, progress as makeProgress, sha256Hex } from '@aikd/core';
import type { DatasetEntry } from '@aikd/core';
import { decodeImage } from './image-codec.ts';
import { openDataset, openDatasetEntry, type OpenOptions, type OpenedDataset } from './open.ts';
import type { DatasetProblem } from './problems.ts';
import { countDataset, type DatasetCounts } from './summary.ts';

export interface FoldCount {
  fold: number;
  mated: number;
  nonMated: number;
}

export interface CheckReport {
  name: string;
  format: string;
  location: string;
  counts: DatasetCounts;
  expected: DatasetEntry['expected'];
  folds: FoldCount[];
  /** Image sizes seen when decoding, e.g. { "112x112": 12000 }. */
  sizes: Record<string, number>;
  decoded: number;
  problems: DatasetProblem[];
  errors: number;
  warnings: number;
  /** Facts worth knowing that are not problems. */
  notes: string[];
  ok: boolean;
}

export interface CheckOptions extends Omit<OpenOptions, 'onProblem'> {
  /** Decode every image (default true); false checks only files and records. */
  decode?: boolean;
  /** Images decoded at once (default 4). */
  concurrency?: number;
}

const EMPTY_COUNTS: DatasetCounts = { images: 0, identities: null, pairs: 0, mated: 0, nonMated: 0, folds: null };

export async function checkDataset(nameOrEntry: string | DatasetEntry | Record<string, unknown>, opts: CheckOptions = {}): Promise<CheckReport> {
  const problems: DatasetProblem[] = [];
  const onProblem = (p: DatasetProblem) => problems.push(p);
  let ds: OpenedDataset;
  try {
    ds = typeof nameOrEntry === 'string' ? await openDataset(nameOrEntry, { ...opts, onProblem }) : await openDatasetEntry(nameOrEntry, { ...opts, onProblem });
  } catch (e) {
    if (!(e instanceof AikdError)) throw e;
    // problems that stop loading altogether (unreadable .bin, missing config path): report them as the result
    problems.push({ severity: 'error', expected: 'a loadable dataset', got: errorLine(e) });
    const name = typeof nameOrEntry === 'string' ? nameOrEntry : String(nameOrEntry.name);
    return finish({ name, format: '', location: '', counts: EMPTY_COUNTS, expected: undefined, folds: [], sizes: {}, decoded: 0, problems, errors: 0, warnings: 0, notes: [], ok: false });
  }
  try {
    return finish(await checkOpened(ds, problems, opts));
  } finally {
    await ds.close();
  }
}

function finish(r: CheckReport): CheckReport {
  r.errors = r.problems.filter((p) => p.severity === 'error').length;
  r.warnings = r.problems.length - r.errors;
  r.ok = r.errors === 0;
  return r;
}

async function checkOpened(ds: OpenedDataset, problems: DatasetProblem[], opts: CheckOptions): Promise<CheckReport> {
  const notes: string[] = [];
  const err = (p: Omit<DatasetProblem, 'severity'>) => problems.push({ severity: 'error', ...p });
  const warn = (p: Omit<DatasetProblem, 'severity'>) => problems.push({ severity: 'warning', ...p });
  const pairs = ds.pairs();
  const origin = (i: number) => {
    const o = ds.pairOrigin(i);
    return o ? { file: o, where: undefined } : { file: ds.location, where: `pair ${i}` };
  };

  // pairs: resolve, self-pairs, duplicates, labels vs identities, folds
  const seenPairs = new Map<string, number>();
  const foldMap = new Map<number, FoldCount>();
  let withoutFold = 0;
  const used = new Set<string>();
  pairs.forEach((p, i) => {
    const a = ds.image(p.a);
    const b = ds.image(p.b);
    for (const [id, rec] of [[p.a, a], [p.b, b]] as const) if (!rec) err({ ...origin(i), expected: `image ${id} in the dataset`, got: 'no such image' });
    used.add(p.a).add(p.b);
    if (p.a === p.b) warn({ ...origin(i), expected: 'two different images', got: `${p.a} paired with itself` });
    const key = p.a < p.b ? `${p.a}\n${p.b}` : `${p.b}\n${p.a}`;
    const first = seenPairs.get(key);
    // (the same pair with the opposite label is the loader's error)
    if (first !== undefined && pairs[first]!.mated === p.mated) warn({ ...origin(i), expected: 'each pair once', got: `the same images as ${ds.pairOrigin(first) ?? `pair ${first}`}` });
    else seenPairs.set(key, i);
    if (a?.identity !== undefined && b?.identity !== undefined && (a.identity === b.identity) !== p.mated)
      err({ ...origin(i), expected: p.mated ? 'a mated pair to show one identity' : 'a non-mated pair to show two identities', got: `${a.identity} and ${b.identity}` });
    if (p.fold === undefined) withoutFold++;
    else {
      const f = foldMap.get(p.fold) ?? { fold: p.fold, mated: 0, nonMated: 0 };
      if (p.mated) f.mated++;
      else f.nonMated++;
      foldMap.set(p.fold, f);
    }
  });
  const folds = [...foldMap.values()].sort((x, y) => x.fold - y.fold);
  if (folds.length) {
    if (withoutFold) warn({ file: ds.location, expected: 'a fold for every pair', got: `${withoutFold} pairs without one` });
    const sig = (f: FoldCount) => `${f.mated}/${f.nonMated}`;
    if (folds.some((f) => sig(f) !== sig(folds[0]!)))
      warn({ file: ds.location, expected: 'balanced folds (the same mated/non-mated counts in each)', got: folds.map((f) => `fold ${f.fold}: ${sig(f)}`).join(', ') });
  }
  const counts = countDataset(ds);
  if (pairs.length && used.size < counts.images) notes.push(`${counts.images - used.size} of ${counts.images} images are in no pair`);

  // counts against the protocol
  const ex = ds.entry.expected;
  if (ex) {
    const actual: Record<string, number | null> = { images: counts.images, pairs: counts.pairs, folds: counts.folds ?? 0, mated: counts.mated };
    for (const [key, want] of Object.entries(ex))
      if (want !== undefined && actual[key] !== want) err({ file: ds.configFile, where: `dataset "${ds.name}", expected.${key}`, expected: `${want} ${key}`, got: String(actual[key]) });
  }

  // images: read, decode, size, duplicate content
  const sizes: Record<string, number> = {};
  const byHash = new Map<string, string[]>();
  let decoded = 0;
  const images = ds.images();
  const decode = opts.decode ?? true;
  const bar = makeProgress(`check ${ds.name}`, images.length);
  let next = 0;
  const worker = async () => {
    while (next < images.length) {
      const rec = images[next++]!;
      const file = rec.path ?? ds.location;
      const where = rec.path ? undefined : `image ${rec.id}`;
      try {
        const bytes = await ds.readImage(rec.id);
        const h = sha256Hex(bytes);
        byHash.set(h, [...(byHash.get(h) ?? []), rec.id]);
        if (decode) {
          const img = await decodeImage(bytes, rec.path ?? `${ds.location} image ${rec.id}`);
          const size = `${img.width}x${img.height}`;
          sizes[size] = (sizes[size] ?? 0) + 1;
          decoded++;
          if (ds.aligned && ds.cropSize && (img.width !== ds.cropSize || img.height !== ds.cropSize))
            err({ file, where, expected: `an aligned ${ds.cropSize}×${ds.cropSize} crop (aligned: true, crop_size: ${ds.cropSize})`, got: `${img.width}×${img.height}` });
        }
      } catch (e) {
        if (!(e instanceof AikdError)) throw e;
        err({ file, where, expected: decode ? 'a readable, decodable image' : 'a readable image', got: errorLine(e) });
      }
      bar.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  bar.done();
  const dupGroups = [...byHash.values()].filter((g) => g.length > 1);
  if (dupGroups.length) {
    const extra = dupGroups.reduce((s, g) => s + g.length - 1, 0);
    const text = `${extra} images repeat the bytes of another (${dupGroups.length} groups, e.g. ${dupGroups[0]!.slice(0, 3).join(' = ')})`;
    // .bin releases store an image once per pair it is in, so repeats are part of the format there
    if (ds.format === 'insightface-bin') notes.push(`${text}; expected in .bin files, which store an image once per pair`);
    else warn({ file: ds.location, expected: 'distinct image files', got: text });
  }

  return { name: ds.name, format: ds.format, location: ds.location, counts, expected: ex, folds, sizes, decoded, problems, errors: 0, warnings: 0, notes, ok: false };
}
