/**
 * Opening a dataset: look up its datasets.yaml entry, resolve paths, run the format's loader, attach side files
 * (landmarks, attributes), generate pairs where the format has no pair file, and wrap it all in the `Dataset`
 * contract.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, MissingResourceError, aikdHome, dataRoot as defaultDataRoot, lock, log } from '@aikd/core';
import type { DatasetEntry, DatasetsFile } from '@aikd/core';
import { findEntry, optionReader, parseDatasetEntry, resolveConfig, resolveDataPath } from './config.ts';
import { formatLoaders } from './formats/index.ts';
import type { LoaderContext } from './formats/types.ts';
import { createProblemSink, type DatasetProblem } from './problems.ts';
import { attachAttributes, attachLandmarks, createImageMatcher } from './side-files.ts';
import type { Dataset, ImageRecord, PairRecord } from './types.ts';

export interface OpenOptions {
  /** datasets.yaml contents or its path; default `<workspace>/datasets.yaml`. */
  config?: DatasetsFile | string;
  /** Data root for relative paths; default AIKD_DATA (or ./data). */
  dataRoot?: string;
  /**
   * Collect problems instead of failing on the first error: each is passed here, bad records are skipped and
   * loading carries on (what `aikd datasets check` does).
   */
  onProblem?: (p: DatasetProblem) => void;
}

/** A dataset as opened here: the contract plus what validation and messages need. */
export interface OpenedDataset extends Dataset {
  readonly entry: DatasetEntry;
  /** The datasets.yaml the entry came from (for messages). */
  readonly configFile: string;
  /** Warnings found while loading (and, when collecting, the errors too). */
  readonly problems: readonly DatasetProblem[];
  /** Where pair i was defined, e.g. "…/pairs.txt line 17". */
  pairOrigin(index: number): string | undefined;
  /** The entry's paths resolved against the data root (side files as `landmarks` / `attributes`). */
  readonly paths: Readonly<Record<string, string>>;
}

export interface DatasetStatus {
  name: string;
  format: DatasetEntry['format'];
  builtin: boolean;
  /** All the paths the format needs exist. */
  present: boolean;
  /** Resolved paths by key. */
  paths: Record<string, string>;
  /** Needed paths that do not exist. */
  missing: string[];
  notes?: string;
}

function resolvedPaths(entry: DatasetEntry, root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(entry.paths).map(([k, p]) => [k, resolveDataPath(p, root)]));
}

/** Is the entry's data on disk? Checks only that the needed paths exist (fast). */
export function datasetStatus(entry: DatasetEntry, root: string = defaultDataRoot()): DatasetStatus {
  const loader = formatLoaders[entry.format];
  const paths = resolvedPaths(entry, root);
  const missing = loader.requiredPaths.map((k) => paths[k] ?? `paths.${k} (not set)`).filter((p) => !existsSync(p));
  return { name: entry.name, format: entry.format, builtin: entry.builtin, present: missing.length === 0, paths, missing, notes: entry.notes };
}

/** Every entry of datasets.yaml with whether its data is present. */
export function listDatasets(opts: { config?: DatasetsFile | string; dataRoot?: string } = {}): DatasetStatus[] {
  const config = resolveConfig(opts.config);
  return config.datasets.map((e) => datasetStatus(e, opts.dataRoot ?? defaultDataRoot()));
}

/** Builders of the datasets the workbench makes itself (`builtin: true`), registered by the CLI's composition root. */
const builders = new Map<string, () => Promise<unknown>>();

/** Let opening a built-in dataset build it first when it is not there (the demo set: `aikd datasets build demo`). */
export function registerDatasetBuilder(name: string, build: () => Promise<unknown>): void {
  builders.set(name, build);
}

/** Names of the built-in datasets a builder is registered for. */
export function datasetBuilders(): string[] {
  return [...builders.keys()];
}

/**
 * Build a built-in dataset that is not there yet (one process at a time: a second waits and finds it built).
 * Without a registered builder, a clear error names the command that builds it.
 */
export async function ensureDatasetBuilt(entry: DatasetEntry, root: string = defaultDataRoot()): Promise<void> {
  if (!entry.builtin || datasetStatus(entry, root).present) return;
  const build = builders.get(entry.name);
  if (!build) throw new MissingResourceError(`dataset "${entry.name}" is made by the workbench and is not built yet: run \`pnpm aikd datasets build ${entry.name}\` (missing ${datasetStatus(entry, root).missing.join(', ')})`);
  const held = await lock(join(aikdHome(), 'locks', `build-${entry.name}.lock`), { onWait: () => log.info(`another process is building the ${entry.name} dataset; waiting for it`) });
  try {
    if (datasetStatus(entry, root).present) return;
    log.info(`building the built-in ${entry.name} dataset (first use) …`);
    await build();
  } finally {
    held.release();
  }
}

/** Open a dataset by its datasets.yaml name. */
export async function openDataset(name: string, opts: OpenOptions = {}): Promise<OpenedDataset> {
  const config = resolveConfig(opts.config);
  return openDatasetEntry(findEntry(config, name), { ...opts, configFile: config.file });
}

/** Open a dataset from an entry (validated and defaulted like one read from datasets.yaml). */
export async function openDatasetEntry(
  rawEntry: DatasetEntry | Record<string, unknown>,
  opts: Omit<OpenOptions, 'config'> & { configFile?: string } = {},
): Promise<OpenedDataset> {
  const configFile = opts.configFile ?? '(dataset entry)';
  const entry = parseDatasetEntry(rawEntry, configFile);
  const root = opts.dataRoot ?? defaultDataRoot();
  await ensureDatasetBuilt(entry, root);
  const paths = resolvedPaths(entry, root);
  const loader = formatLoaders[entry.format];
  const sink = createProblemSink(opts.onProblem);
  const options = optionReader(entry, configFile);
  const ctx: LoaderContext = {
    entry,
    configFile,
    options,
    sink,
    path: (key) => paths[key],
    requirePath(key) {
      const p = paths[key];
      if (p === undefined) throw new InputError({ file: configFile, where: `dataset "${entry.name}", paths`, expected: `a "${key}" path for format ${entry.format}`, got: `keys ${Object.keys(paths).join(', ') || 'none'}` });
      return p;
    },
  };
  const unknownPaths = Object.keys(paths).filter((k) => !loader.requiredPaths.includes(k) && !loader.optionalPaths.includes(k));
  if (unknownPaths.length)
    sink.report({ severity: 'warning', file: configFile, where: `dataset "${entry.name}", paths`, expected: `keys among ${[...loader.requiredPaths, ...loader.optionalPaths].join(', ')}`, got: unknownPaths.join(', ') });

  const parts = await loader.load(ctx);
  const unknownOptions = options.unknownKeys();
  if (unknownOptions.length)
    sink.report({ severity: 'warning', file: configFile, where: `dataset "${entry.name}", options`, expected: `options format ${entry.format} reads`, got: `unknown ${unknownOptions.join(', ')}` });

  const images = parts.images;
  if (entry.landmarks || entry.attributes) {
    const matcher = createImageMatcher(images, parts.imageRoot);
    if (entry.attributes) attachAttributes(resolveDataPath(entry.attributes, root), matcher, sink);
    if (entry.landmarks) attachLandmarks(resolveDataPath(entry.landmarks, root), matcher, sink);
  }
  const pairs: PairRecord[] = parts.pairs ?? parts.generatePairs?.(images) ?? [];
  if (parts.pairs) checkPairLabels(parts.pairs, parts, sink);
  const byId = new Map<string, ImageRecord>(images.map((r) => [r.id, r]));
  const readRecord = parts.readImage ?? readImageFile;

  return {
    name: entry.name,
    format: entry.format,
    aligned: entry.aligned,
    cropSize: entry.crop_size,
    location: parts.location,
    entry,
    configFile,
    paths: {
      ...paths,
      ...(entry.landmarks ? { landmarks: resolveDataPath(entry.landmarks, root) } : {}),
      ...(entry.attributes ? { attributes: resolveDataPath(entry.attributes, root) } : {}),
    },
    problems: sink.problems,
    images: () => images,
    pairs: () => pairs,
    image: (id) => byId.get(id),
    pairOrigin: (i) => parts.pairOrigin?.(i),
    async readImage(id) {
      const rec = byId.get(id);
      if (!rec) throw new InputError({ file: parts.location, where: `dataset "${entry.name}"`, expected: `an image with id ${JSON.stringify(id)}`, got: 'no such image' });
      return readRecord(rec);
    },
    close: async () => {
      await parts.close?.();
    },
  };
}

/**
 * A protocol that lists one pair twice with opposite labels (mated and non-mated) makes every number computed on it
 * wrong: an error naming both places (a repeat with the same label is `aikd datasets check`'s warning).
 */
function checkPairLabels(pairs: readonly PairRecord[], parts: { location: string; pairOrigin?: (i: number) => string | undefined }, sink: ReturnType<typeof createProblemSink>): void {
  const seen = new Map<string, number>();
  pairs.forEach((p, i) => {
    const key = p.a < p.b ? `${p.a}\n${p.b}` : `${p.b}\n${p.a}`;
    const j = seen.get(key);
    if (j === undefined) return void seen.set(key, i);
    if (pairs[j]!.mated === p.mated) return;
    const at = (k: number) => parts.pairOrigin?.(k) ?? `pair ${k}`;
    sink.report({ severity: 'error', file: parts.pairOrigin?.(i) ? at(i) : parts.location, where: parts.pairOrigin?.(i) ? undefined : `pair ${i}`, expected: 'each pair labelled once', got: `${p.a} and ${p.b} ${p.mated ? 'mated' : 'non-mated'} here, ${pairs[j]!.mated ? 'mated' : 'non-mated'} at ${at(j)}` });
  });
}

async function readImageFile(rec: ImageRecord): Promise<Uint8Array> {
  try {
    const buf = await readFile(rec.path!);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new InputError({ file: rec.path ?? rec.id, expected: 'a readable image file', got: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
}
