/**
 * The frozen FR model's outputs for every image of a dataset, computed once and cached by content: the embedding
 * (fr-models' `embedDataset`) or the activations before the model's last layer (`features`), each through fr-models'
 * per-crop feature cache. Heads train on these, so an epoch costs no FR forward pass.
 */
import { AikdError, progress } from '@aikd/core';
import type { Dataset, RawImage } from '@aikd/datasets';
import { alignDataset, alignDatasetInBatches, type AlignmentProcedure } from '@aikd/alignment';
import { embedDataset, withFeatureCache, type Recognizer } from '@aikd/fr-models';

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
  // the activations before the last layer, per crop through the feature cache (SER-FIQ and scoring share them)
  const cached = withFeatureCache(rec);
  const missesBefore = cached.featureCache.stats.penultimate.misses;
  const images = ds.images();
  const n = images.length;
  const bar = progress(`features ${ds.name} ${rec.id}`, n);
  let X = new Float32Array(0), F = 0, featureShape: number[] = [];
  await alignDatasetInBatches(ds, o.procedure, { size: rec.spec.inputSize, seed: o.seed, template: rec.spec.template }, o.batchSize ?? 16, async ({ indices, crops }) => {
    const f = await featuresOf(cached, crops);
    if (!F) {
      featureShape = f.shape.slice(1);
      F = featureShape.reduce((a, b) => a * b, 1);
      X = new Float32Array(n * F);
    }
    indices.forEach((k, i) => X.set(f.data.subarray(i * F, (i + 1) * F), k * F));
    bar.tick(crops.length);
  });
  bar.done();
  const fromCache = cached.featureCache.stats.penultimate.misses === missesBefore;
  return { ids: images.map((r) => r.id), featureShape, X, fromCache, seconds: (performance.now() - t0) / 1000 };
}

/** Aligned crops of every image, in dataset order (alignment's cache makes this a PNG decode per image). */
export async function alignedCrops(ds: Dataset, procedure: AlignmentProcedure, size: number, template: Recognizer['spec']['template'], seed: number | string): Promise<RawImage[]> {
  const out: RawImage[] = [];
  for await (const item of alignDataset(ds, procedure, { size, seed, template })) out.push(item.image);
  if (out.length !== ds.images().length) throw new AikdError(`${ds.name}: alignment gave ${out.length} crops for ${ds.images().length} images`);
  return out;
}
