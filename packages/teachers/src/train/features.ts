/**
 * The frozen FR model's outputs for every image of a dataset, computed once and cached by content: the embedding
 * (fr-models' `embedDataset` cache) or the activations before the model's last layer (`features`, cached here under
 * `.aikd/cache/features/`). Heads train on these, so an epoch costs no FR forward pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AikdError, cacheDir, configHash, fileHash, packageCodeVersion, progress, sha256Hex, writeFileAtomic, writeJsonAtomic } from '@aikd/core';
import { datasetFingerprint, type Dataset, type RawImage } from '@aikd/datasets';
import { alignDataset, type AlignmentProcedure } from '@aikd/alignment';
import { datasetKey, embedDataset, type Recognizer } from '@aikd/fr-models';

export type FeatureInput = 'embedding' | 'features';

export interface FrozenFeatures {
  ids: string[];
  /** Per-image shape: [d] for embeddings, the activation shape (e.g. [7, 7, 1024]) for features. */
  featureShape: number[];
  /** Row-major [n, …featureShape]. */
  X: Float32Array;
  fromCache: boolean;
  seconds: number;
}

/** Activations before the last linear layer for a batch of crops. */
export async function featuresOf(rec: Recognizer, crops: readonly RawImage[]): Promise<{ data: Float32Array; shape: number[] }> {
  if (rec.penultimate) return rec.penultimate.features(crops);
  throw new AikdError(`head input "features" needs the activations before ${rec.id}'s last linear layer, and it exposes none; use input=embedding`);
}

export async function frozenFeatures(ds: Dataset, rec: Recognizer, o: { input: FeatureInput; procedure: AlignmentProcedure; seed: number | string; batchSize?: number }): Promise<FrozenFeatures> {
  const t0 = performance.now();
  if (o.input === 'embedding') {
    const set = await embedDataset(ds, rec, { alignment: o.procedure, seed: o.seed, label: `embed ${ds.name} ${rec.id}` });
    return { ids: set.ids, featureShape: [set.dim], X: set.data, fromCache: set.fromCache, seconds: (performance.now() - t0) / 1000 };
  }
  const key = configHash({
    kind: 'features',
    version: 1,
    datasetKey: datasetKey(ds),
    contentKey: (await datasetFingerprint(ds)).key,
    code: packageCodeVersion('teachers'),
    model: rec.id,
    weights: rec.spec.weightsHash,
    alignment: o.procedure.id,
    alignmentParams: o.procedure.params,
    seed: o.seed,
    size: rec.spec.inputSize,
    template: rec.spec.template,
  });
  const base = join(cacheDir('features'), key);
  const cached = readFeatureCache(base);
  if (cached) return { ...cached, fromCache: true, seconds: (performance.now() - t0) / 1000 };
  const images = ds.images();
  const n = images.length;
  const bar = progress(`features ${ds.name} ${rec.id}`, n);
  let X = new Float32Array(0), F = 0, featureShape: number[] = [];
  let k = 0, batch: RawImage[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const f = await featuresOf(rec, batch);
    if (!F) {
      featureShape = f.shape.slice(1);
      F = featureShape.reduce((a, b) => a * b, 1);
      X = new Float32Array(n * F);
    }
    X.set(f.data, k * F);
    k += batch.length;
    bar.tick(batch.length);
    batch = [];
  };
  for await (const item of alignDataset(ds, o.procedure, { size: rec.spec.inputSize, seed: o.seed, template: rec.spec.template })) {
    batch.push(item.image);
    if (batch.length >= (o.batchSize ?? 16)) await flush();
  }
  await flush();
  bar.done();
  if (k !== n) throw new AikdError(`features of ${ds.name}: alignment gave ${k} crops for ${n} images`);
  // the data first, the JSON last: a cache entry counts only when both are complete
  const bytes = new Uint8Array(X.buffer, X.byteOffset, X.byteLength);
  writeFileAtomic(base + '.f32', bytes);
  writeJsonAtomic(base + '.json', { ids: images.map((r) => r.id), featureShape, model: rec.id, dataset: ds.name, sha256: sha256Hex(bytes) });
  return { ids: images.map((r) => r.id), featureShape, X, fromCache: false, seconds: (performance.now() - t0) / 1000 };
}

/** A cache entry whose data still has the hash recorded with it; anything else (missing, modified) is a miss. */
function readFeatureCache(base: string): { ids: string[]; featureShape: number[]; X: Float32Array } | undefined {
  try {
    if (!existsSync(base + '.json') || !existsSync(base + '.f32')) return undefined;
    const meta = JSON.parse(readFileSync(base + '.json', 'utf8')) as { ids: string[]; featureShape: number[]; sha256?: string };
    if (!meta.sha256 || fileHash(base + '.f32') !== meta.sha256) return undefined;
    const buf = readFileSync(base + '.f32');
    return { ids: meta.ids, featureShape: meta.featureShape, X: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
  } catch {
    return undefined;
  }
}

/** Aligned crops of every image, in dataset order (alignment's cache makes this a PNG decode per image). */
export async function alignedCrops(ds: Dataset, procedure: AlignmentProcedure, size: number, template: Recognizer['spec']['template'], seed: number | string): Promise<RawImage[]> {
  const out: RawImage[] = [];
  for await (const item of alignDataset(ds, procedure, { size, seed, template })) out.push(item.image);
  if (out.length !== ds.images().length) throw new AikdError(`${ds.name}: alignment gave ${out.length} crops for ${ds.images().length} images`);
  return out;
}
