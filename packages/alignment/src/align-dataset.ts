import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AikdError, cacheDir, configHash, log, progress, sha256Hex, stableStringify, writeFileAtomic, writeJsonAtomic, codeVersion, packageCodeVersion } from '@aikd/core';
import { decodeImage, encodePng, type Dataset } from '@aikd/datasets';
import { ALIGN_CACHE_VERSION } from './constants.ts';
import { squareToCropMatrix } from './geometry/affine.ts';
import { warpAffine } from './geometry/warp.ts';
import { NoFaceError } from './procedures/landmarks.ts';
import type { Affine, AlignmentProcedure, Landmarks5, RawImage } from './types.ts';

export interface AlignDatasetOptions {
  size: number;
  seed: number | string;
  template?: Landmarks5;
  epoch?: number;
}

export interface AlignedItem {
  id: string;
  image: RawImage;
  matrix: Affine;
  /** Came from the cache (nothing was detected or warped). */
  cached?: boolean;
  /** The procedure found no face, so the whole image (centred square, zero-padded) was resized instead. */
  fallback?: boolean;
}

interface ItemMeta {
  id: string;
  matrix: Affine;
  landmarks?: Landmarks5;
  params?: Record<string, unknown>;
  fallback?: string;
}

/** The cache folder of one (procedure, parameters, size, seed, template, epoch): `<cacheDir>/aligned/<hash>`. */
export function alignmentCacheDir(procedure: AlignmentProcedure, opts: AlignDatasetOptions): string {
  return cacheDir('aligned', configHash(cacheKeyConfig(procedure, opts)));
}

/** The per-dataset index of a cache folder: record id → item key, plus the ids that fell back to the whole image. */
export function alignmentIndexPath(dir: string, dataset: string): string {
  return join(dir, 'index', `${dataset.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`);
}

function cacheKeyConfig(procedure: AlignmentProcedure, opts: AlignDatasetOptions) {
  // the code is part of the key: a changed warp or detector never reuses old crops
  return { version: ALIGN_CACHE_VERSION, code: packageCodeVersion('alignment'), procedure: procedure.id, params: procedure.params, size: opts.size, seed: String(opts.seed), template: opts.template ?? 'arcface', epoch: opts.epoch ?? 0 };
}

/**
 * Align every image of a dataset with a procedure, through a content-addressed cache: an item's key hashes its
 * image bytes, record id and side-file landmarks (everything a procedure reads) under the folder of the procedure
 * configuration, so re-runs decode PNGs instead of detecting and warping, and a changed image is re-aligned.
 * Items come out in dataset order. Progress on a TTY; a summary line at the end (hits, fallbacks).
 */
export async function* alignDataset(ds: Dataset, procedure: AlignmentProcedure, opts: AlignDatasetOptions): AsyncGenerator<AlignedItem> {
  const dir = alignmentCacheDir(procedure, opts);
  const config = cacheKeyConfig(procedure, opts);
  if (!existsSync(join(dir, 'procedure.json'))) writeJsonAtomic(join(dir, 'procedure.json'), { ...config, codeVersion: codeVersion() });
  const records = ds.images();
  const bar = progress(`align ${ds.name} (${procedure.id})`, records.length);
  const index: Record<string, string> = {};
  const fallbacks: string[] = [];
  let hits = 0;
  for (const rec of records) {
    const bytes = await ds.readImage(rec.id);
    const key = sha256Hex(sha256Hex(bytes) + stableStringify({ id: rec.id, landmarks: rec.landmarks ?? null, aligned: ds.aligned }));
    const base = join(dir, 'items', key.slice(0, 2), key);
    index[rec.id] = key;
    const hit = existsSync(base + '.json') && existsSync(base + '.png') ? await readCachedItem(base) : undefined;
    if (hit) {
      const { meta, image } = hit;
      hits++;
      if (meta.fallback) fallbacks.push(rec.id);
      bar.tick();
      yield { id: rec.id, image, matrix: meta.matrix, cached: true, ...(meta.fallback ? { fallback: true } : {}) };
      continue;
    }
    const img = await decodeImage(bytes, `${ds.location}: ${rec.id}`);
    let item: AlignedItem;
    let meta: ItemMeta;
    try {
      const r = await procedure.align(img, rec, { size: opts.size, seed: opts.seed, template: opts.template, epoch: opts.epoch, aligned: ds.aligned });
      item = { id: rec.id, image: r.image, matrix: r.matrix };
      meta = { id: rec.id, matrix: r.matrix, landmarks: r.landmarks, params: r.params };
    } catch (e) {
      if (!(e instanceof NoFaceError)) throw e;
      // no face: the whole image, centred in a square and resized, so the item is still there and marked
      const side = Math.max(img.width, img.height);
      const matrix = squareToCropMatrix((img.width - side) / 2, (img.height - side) / 2, side, opts.size);
      item = { id: rec.id, image: warpAffine(img, matrix, opts.size, opts.size), matrix, fallback: true };
      meta = { id: rec.id, matrix, fallback: e.message };
      fallbacks.push(rec.id);
    }
    // the PNG first, the JSON last: an item counts as cached only when both are complete
    writeFileAtomic(base + '.png', await encodePng(item.image));
    writeJsonAtomic(base + '.json', meta);
    bar.tick();
    yield item;
  }
  // one index per dataset: the items themselves are shared by content across datasets
  writeJsonAtomic(alignmentIndexPath(dir, ds.name), { dataset: ds.name, location: ds.location, ...config, count: records.length, fallbacks, items: index });
  bar.done(`(${hits} cached${fallbacks.length ? `, ${fallbacks.length} without a face: whole image used` : ''}) → ${dir}`);
  if (fallbacks.length) log.warn(`${fallbacks.length} of ${records.length} images of ${ds.name} had no face for ${procedure.id}; first: ${fallbacks.slice(0, 3).join(', ')}`);
}

/** A cached crop, or undefined when it cannot be read back whole (a damaged cache entry is recomputed). */
async function readCachedItem(base: string): Promise<{ meta: ItemMeta; image: RawImage } | undefined> {
  try {
    const meta = JSON.parse(readFileSync(base + '.json', 'utf8')) as ItemMeta;
    return { meta, image: await decodeImage(readFileSync(base + '.png'), base + '.png') };
  } catch {
    return undefined;
  }
}

export interface AlignedBatch {
  ids: string[];
  /** Position of each item in `ds.images()`. */
  indices: number[];
  crops: RawImage[];
}

/**
 * `alignDataset` grouped into batches of at most `batchSize` crops, for the consumers that run a network on them
 * (embedding, scoring). `onBatch` sees each batch once, in dataset order; afterwards every image of the dataset
 * must have been seen, else the alignment lost items and this throws rather than leave holes in the output.
 */
export async function alignDatasetInBatches(
  ds: Dataset,
  procedure: AlignmentProcedure,
  opts: AlignDatasetOptions,
  batchSize: number,
  onBatch: (batch: AlignedBatch) => Promise<void>,
): Promise<void> {
  const records = ds.images();
  if (!records.length) throw new AikdError(`dataset ${ds.name} has no images`);
  if (!(batchSize >= 1)) throw new AikdError(`alignDatasetInBatches: batch size must be ≥ 1, got ${batchSize}`);
  const order = new Map(records.map((r, i) => [r.id, i]));
  const seen = new Uint8Array(records.length);
  let batch: AlignedBatch = { ids: [], indices: [], crops: [] };
  const flush = async () => {
    if (!batch.ids.length) return;
    const b = batch;
    batch = { ids: [], indices: [], crops: [] };
    await onBatch(b);
  };
  for await (const item of alignDataset(ds, procedure, opts)) {
    const k = order.get(item.id);
    if (k === undefined) throw new AikdError(`alignment of ${ds.name} returned id ${item.id}, which the dataset does not list`);
    seen[k] = 1;
    batch.ids.push(item.id);
    batch.indices.push(k);
    batch.crops.push(item.image);
    if (batch.ids.length >= batchSize) await flush();
  }
  await flush();
  const missing = records.filter((_, i) => !seen[i]).map((r) => r.id);
  if (missing.length) throw new AikdError(`alignment gave no crop for ${missing.length} image(s) of ${ds.name}, e.g. ${missing.slice(0, 3).join(', ')}`);
}
