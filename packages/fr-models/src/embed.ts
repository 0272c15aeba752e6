/**
 * Embeddings of a whole dataset (aligned with a chosen procedure to the recogniser's own template and size),
 * batched, with progress, cached by content hash, and as an Arrow table
 * (image_id, embedding: fixed-size list<float32>, norm).
 */
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { cacheDir, configHash, packageCodeVersion, progress, sha256Hex } from '@aikd/core';
import { readCachedTable, writeCachedTable, type ProvenanceInput } from '@aikd/results';
import { datasetFingerprint, type Dataset, type RawImage } from '@aikd/datasets';
import { alignDatasetInBatches, createProcedure, type AlignmentProcedure } from '@aikd/alignment';
import type { Recognizer } from './types.ts';
import { flipHorizontal } from './preprocess.ts';
import { withFeatureCache } from './feature-cache.ts';

declare module '@aikd/results' {
  interface ResultRows {
    /** `embeddings`: one unnormalised embedding per image (a fixed-size list) and its norm. */
    embeddings: { image_id: string; embedding: number[]; norm: number };
  }
}

export interface EmbeddingSet {
  ids: string[];
  dim: number;
  /** Row-major [n, dim] unnormalised embeddings. */
  data: Float32Array;
  norms: Float32Array;
  /** The settings that produced them (also the cache key's content). */
  settings: EmbeddingSettings;
  cachePath?: string;
  fromCache: boolean;
}

export interface EmbeddingSettings {
  dataset: string;
  datasetKey: string;
  /** Content of the images (bytes and landmarks): a rebuilt dataset never reuses stale embeddings. */
  contentKey: string;
  model: string;
  modelWeights: string;
  inputSize: number;
  alignment: string;
  alignmentParams: Record<string, unknown>;
  seed: number | string;
  flipSum: boolean;
}

export interface EmbedDatasetOptions {
  alignment?: string | AlignmentProcedure;
  alignmentParams?: Record<string, unknown>;
  seed?: number | string;
  /** Sum the embeddings of the crop and its mirror image (insightface's verification convention). */
  flipSum?: boolean;
  batchSize?: number;
  /** Reuse and write the content-addressed cache (default true). */
  cache?: boolean;
  label?: string;
}

/**
 * A pass over a dataset's aligned crops (embedding, scoring): the alignment procedure, the seed, the fields that
 * identify the crops in cache keys and provenance (dataset, its image list, the fingerprint of its content —
 * bytes, landmarks, identities, from the file-hash cache —, alignment, seed), and the pass's cache file. The cache
 * key covers those, what the caller adds (model or method, weights, settings) and `code`: the code versions of the
 * packages that compute the pass, so neither a changed input nor changed code reuses a cached result.
 */
export async function alignedDatasetPass(
  ds: Dataset,
  opts: { alignment?: string | AlignmentProcedure; alignmentParams?: Record<string, unknown>; seed?: number | string },
  code: readonly string[],
): Promise<{
  procedure: AlignmentProcedure;
  seed: number | string;
  identity: { dataset: string; datasetKey: string; contentKey: string; alignment: string; alignmentParams: Record<string, unknown>; seed: number | string };
  cacheFile(kind: string, fields: Record<string, unknown>): string;
}> {
  const procedure = typeof opts.alignment === 'object' ? opts.alignment : createProcedure((opts.alignment ?? 'proper') as never, opts.alignmentParams);
  const seed = opts.seed ?? 0;
  const identity = { dataset: ds.name, datasetKey: datasetKey(ds), contentKey: (await datasetFingerprint(ds)).key, alignment: procedure.id, alignmentParams: procedure.params, seed };
  const cacheFile = (kind: string, fields: Record<string, unknown>) => join(cacheDir(kind), `${configHash({ kind, ...fields, code: code.join('+') })}.arrow`);
  return { procedure, seed, identity, cacheFile };
}

/** A key that changes whenever the dataset's image list changes. */
export function datasetKey(ds: Dataset): string {
  return sha256Hex(ds.name + '\0' + ds.location + '\0' + ds.images().map((r) => r.id).join('\n')).slice(0, 16);
}

export function embeddingsTable(set: Pick<EmbeddingSet, 'ids' | 'dim' | 'data' | 'norms'>): arrow.Table {
  const n = set.ids.length;
  const child = arrow.makeData({ type: new arrow.Float32(), length: n * set.dim, nullCount: 0, data: set.data });
  const listType = new arrow.FixedSizeList(set.dim, new arrow.Field('item', new arrow.Float32(), false));
  const emb = arrow.makeVector(arrow.makeData({ type: listType, length: n, nullCount: 0, child }));
  return new arrow.Table({
    image_id: arrow.vectorFromArray(set.ids, new arrow.Utf8()),
    embedding: emb,
    norm: arrow.makeVector(set.norms),
  });
}

export function tableToEmbeddings(t: arrow.Table): Pick<EmbeddingSet, 'ids' | 'dim' | 'data' | 'norms'> {
  const ids = t.getChild('image_id')!.toArray() as string[];
  const embCol = t.getChild('embedding')!;
  const dim = (embCol.type as arrow.FixedSizeList).listSize;
  const data = new Float32Array(ids.length * dim);
  let off = 0;
  for (const chunk of embCol.data) {
    const values = chunk.children[0]!.values as Float32Array;
    const start = chunk.offset * dim;
    data.set(values.subarray(start, start + chunk.length * dim), off);
    off += chunk.length * dim;
  }
  const norms = Float32Array.from(t.getChild('norm')!.toArray() as Float32Array);
  return { ids: Array.from(ids), dim, data, norms };
}

function l2(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Embed crops in batches (flip-sum optional). */
export async function embedCrops(rec: Recognizer, crops: RawImage[], flipSum: boolean): Promise<Float32Array[]> {
  const e = await rec.embed(crops);
  if (!flipSum) return e;
  const f = await rec.embed(crops.map(flipHorizontal));
  return e.map((v, i) => v.map((x, j) => x + f[i]![j]!));
}

export async function embedDataset(ds: Dataset, rec: Recognizer, opts: EmbedDatasetOptions = {}): Promise<EmbeddingSet> {
  // the code that computes them is part of the key: a changed model wrapper or warp never reuses old embeddings
  const { procedure, seed, identity, cacheFile } = await alignedDatasetPass(ds, opts, [packageCodeVersion('fr-models')]);
  const settings: EmbeddingSettings = { ...identity, model: rec.id, modelWeights: rec.spec.weightsHash, inputSize: rec.spec.inputSize, flipSum: !!opts.flipSum };
  const cachePath = cacheFile('embeddings', { ...settings, template: rec.spec.template, colour: rec.spec.colour, normalisation: rec.spec.normalisation });
  const cached = opts.cache !== false ? readCachedTable(cachePath) : undefined;
  if (cached) return { ...tableToEmbeddings(cached.table), settings, cachePath, fromCache: true };
  // per crop through the feature cache too: the methods that read this model's embedding of the same crops reuse it
  if (opts.cache !== false) rec = withFeatureCache(rec);
  const images = ds.images();
  const n = images.length;
  const batchSize = opts.batchSize ?? (rec.spec.engine === 'onnx' ? 32 : 16);
  const bar = progress(opts.label ?? `embed ${ds.name} ${rec.id}`, n);
  let dim = 0;
  let data = new Float32Array(0);
  await alignDatasetInBatches(ds, procedure, { size: rec.spec.inputSize, seed, template: rec.spec.template }, batchSize, async ({ indices, crops }) => {
    const e = await embedCrops(rec, crops, settings.flipSum);
    if (!dim) {
      dim = e[0]!.length;
      data = new Float32Array(n * dim);
    }
    indices.forEach((k, i) => data.set(e[i]!, k * dim));
    bar.tick(crops.length);
  });
  bar.done();
  const norms = new Float32Array(n);
  for (let i = 0; i < n; i++) norms[i] = l2(data.subarray(i * dim, (i + 1) * dim));
  const set: EmbeddingSet = { ids: images.map((r) => r.id), dim, data, norms, settings, cachePath, fromCache: false };
  if (opts.cache !== false) writeCachedTable(cachePath, embeddingsTable(set), embeddingProvenance(set, 'cache'));
  return set;
}

export function embeddingProvenance(set: EmbeddingSet, runId: string): ProvenanceInput {
  return {
    kind: 'embeddings',
    run_id: runId,
    fr_model: set.settings.model,
    alignment: set.settings.alignment,
    dataset: set.settings.dataset,
    seed: typeof set.settings.seed === 'number' ? set.settings.seed : undefined,
    config_hash: configHash(set.settings),
    params: { ...set.settings },
  };
}

/** Embedding of one image id as a view (no copy). */
export function embeddingOf(set: EmbeddingSet, index: number): Float32Array {
  return set.data.subarray(index * set.dim, (index + 1) * set.dim);
}
