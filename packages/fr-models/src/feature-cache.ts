/**
 * One forward pass per (crop, FR model): the features a recogniser computes for an aligned crop — its final
 * embedding, the activations before its last linear layer (`penultimate`: SER-FIQ's dropout point, a learned
 * head's `features` input) — cached by content, like the aligned crops they come from. An item's key hashes the
 * crop's pixels; its folder is the FR model's content key (id, engine, weights hash, input conventions and the
 * code of this package, which holds the ONNX conversion) and the feature's name. `embed` and every method that
 * reads features through a recogniser share it, so the second method on the same crops runs no FR model.
 * Input gradients (`gradients()`) and float pixels (`embedPixels`) pass through uncached. Reading an item marks it
 * used (its modification time), so `aikd cache prune` keeps the features in use under its size limit.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, configHash, packageCodeVersion, writeFileAtomic } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import type { PenultimateAccess, Recognizer } from './types.ts';

/** A feature of a crop an FR model computes: its embedding or its activations before the last linear layer. */
export type FrFeature = 'embedding' | 'penultimate';

/** Bumped when the item file format changes. */
const FEATURE_CACHE_VERSION = 1;

/** Everything an FR model's outputs depend on besides the crop: a changed weight, convention or conversion never
 * reuses old features. */
export function frModelContentKey(rec: Pick<Recognizer, 'spec'>): string {
  const s = rec.spec;
  return configHash({
    kind: 'fr-features',
    version: FEATURE_CACHE_VERSION,
    id: s.id,
    engine: s.engine,
    weights: s.weightsHash,
    size: s.inputSize,
    template: s.template,
    colour: s.colour,
    normalisation: s.normalisation,
    code: packageCodeVersion('fr-models'),
  });
}

/** The content key of a crop: its size and pixels. */
export function cropKey(crop: RawImage): string {
  return createHash('sha256').update(`${crop.width}x${crop.height}x${crop.channels}\0`).update(crop.data).digest('hex');
}

/** The folder of one FR model's cached features. */
export function featureCacheDir(rec: Pick<Recognizer, 'spec'>): string {
  return cacheDir('features', frModelContentKey(rec));
}

/** Counts of a cached recogniser's lookups (what a run reused and what it computed). */
export interface FeatureCacheStats {
  hits: number;
  misses: number;
}

/** A recogniser whose `embed` and `penultimate.features` go through the feature cache. */
export interface CachedRecognizer extends Recognizer {
  readonly featureCache: { dir: string; stats: Record<FrFeature, FeatureCacheStats> };
}

export function isCached(rec: Recognizer): rec is CachedRecognizer {
  return 'featureCache' in rec;
}

function touch(file: string, when: Date): void {
  try {
    utimesSync(file, when, when);
  } catch {
    // a read-only or shared cache: its items are still read, only their age is not updated
  }
}

// item file: a uint32 count of dims, the dims (uint32), the float32 values (little-endian, as written)
function encodeItem(shape: readonly number[], values: Float32Array): Uint8Array {
  const head = new Uint32Array([shape.length, ...shape]);
  const out = new Uint8Array(head.byteLength + values.byteLength);
  out.set(new Uint8Array(head.buffer), 0);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), head.byteLength);
  return out;
}

/** An item's shape and values, or undefined when the file is missing or not whole (a damaged entry is recomputed). */
function readItem(file: string): { shape: number[]; values: Float32Array } | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const buf = readFileSync(file);
    const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    if (bytes.byteLength < 4) return undefined;
    const rank = new Uint32Array(bytes.buffer, 0, 1)[0]!;
    const headBytes = 4 * (1 + rank);
    if (bytes.byteLength < headBytes) return undefined;
    const shape = Array.from(new Uint32Array(bytes.buffer, 4, rank));
    const size = shape.reduce((a, b) => a * b, 1);
    if (bytes.byteLength !== headBytes + 4 * size) return undefined;
    return { shape, values: new Float32Array(bytes.buffer, headBytes, size) };
  } catch {
    return undefined;
  }
}

/**
 * `rec` with its features cached per crop (`dir` defaults to `<cacheDir>/features/<model content key>`). Only the
 * crops not in the cache reach the model, as one batch; the values read back are the float32s it wrote, so scores
 * are the same with a cold or a warm cache. Disposing it disposes `rec`. A recogniser already cached is returned as is.
 */
export function withFeatureCache(rec: Recognizer, dir?: string): CachedRecognizer {
  if (isCached(rec) && (dir === undefined || rec.featureCache.dir === dir)) return rec;
  dir ??= featureCacheDir(rec);
  const stats: Record<FrFeature, FeatureCacheStats> = { embedding: { hits: 0, misses: 0 }, penultimate: { hits: 0, misses: 0 } };
  const fileOf = (feature: FrFeature, key: string) => join(dir, feature, key.slice(0, 2), `${key}.f32`);

  /** Per crop: its values of `feature`, from the cache or from one `compute` call over the missing crops. */
  async function lookup(feature: FrFeature, crops: readonly RawImage[], compute: (missing: RawImage[]) => Promise<{ shape: number[]; values: Float32Array }[]>) {
    const files = crops.map((c) => fileOf(feature, cropKey(c)));
    const found = files.map(readItem);
    const missing = found.flatMap((f, i) => (f ? [] : [i]));
    // an item's modification time is its last use: `aikd cache prune` evicts the least recently used first
    const now = new Date();
    found.forEach((f, i) => {
      if (f) touch(files[i]!, now);
    });
    stats[feature].hits += crops.length - missing.length;
    stats[feature].misses += missing.length;
    if (missing.length) {
      const computed = await compute(missing.map((i) => crops[i]!));
      missing.forEach((i, j) => {
        const item = computed[j]!;
        found[i] = item;
        writeFileAtomic(files[i]!, encodeItem(item.shape, item.values));
      });
    }
    return found as { shape: number[]; values: Float32Array }[];
  }

  const inner = rec.penultimate;
  const penultimate: PenultimateAccess | undefined = inner && {
    async features(crops) {
      const items = await lookup('penultimate', crops, async (missing) => {
        const f = await inner.features(missing);
        const shape = f.shape.slice(1);
        const F = shape.reduce((a, b) => a * b, 1);
        return missing.map((_, i) => ({ shape, values: f.data.slice(i * F, (i + 1) * F) }));
      });
      const shape = items[0]?.shape ?? [];
      const F = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(crops.length * F);
      items.forEach((it, i) => data.set(it.values, i * F));
      return { data, shape: [crops.length, ...shape] };
    },
    head: (features, shape) => inner.head(features, shape),
  };

  return {
    id: rec.id,
    spec: rec.spec,
    featureCache: { dir, stats },
    async embed(crops) {
      const items = await lookup('embedding', crops, async (missing) => (await rec.embed(missing)).map((values) => ({ shape: [values.length], values })));
      return items.map((it) => it.values);
    },
    embedPixels: (pixels, n) => rec.embedPixels(pixels, n),
    ...(penultimate ? { penultimate } : {}),
    ...(rec.gradients ? { gradients: () => rec.gradients!() } : {}),
    dispose: () => rec.dispose(),
  };
}
