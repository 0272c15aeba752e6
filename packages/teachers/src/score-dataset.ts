/**
 * Quality scores of a whole dataset: aligned with a chosen procedure to the method's input (size and template),
 * batched, with progress, cached by content hash, and as an Arrow table (image_id, quality) with provenance.
 * The same shape as fr-models' `embedDataset`, whose dataset key it shares.
 */
import * as arrow from 'apache-arrow';
import { configHash, packageCodeVersion, progress, AikdError, InputError } from '@aikd/core';
import { readCachedTable, writeCachedTable, type ProvenanceInput } from '@aikd/results';
import type { Dataset } from '@aikd/datasets';
import { alignDatasetInBatches, type AlignmentProcedure } from '@aikd/alignment';
import { alignedDatasetPass } from '@aikd/fr-models';
import { SCORES_CACHE_VERSION } from './constants.ts';
import type { QualityMethod } from './types.ts';

export interface ScoreSettings {
  dataset: string;
  datasetKey: string;
  /** Hash of every image's id, bytes and side-file landmarks (a rebuilt dataset with the same ids gets a new key). */
  contentKey?: string;
  method: string;
  params: Record<string, unknown>;
  frModel?: string;
  weightsHash?: string;
  inputSize: number;
  alignment: string;
  alignmentParams: Record<string, unknown>;
  /** Seed of alignment and method randomness (absent for imported scores). */
  seed?: number | string;
  range: QualityMethod['range'];
}

export interface ScoreSet {
  ids: string[];
  /** Higher = better; NaN where the quality could not be assessed. */
  quality: Float64Array;
  settings: ScoreSettings;
  cachePath?: string;
  fromCache: boolean;
  /** Wall time of the scoring itself (0 from the cache). */
  seconds: number;
}

export interface ScoreDatasetOptions {
  alignment?: string | AlignmentProcedure;
  alignmentParams?: Record<string, unknown>;
  /** Seed of the alignment procedure and of the method's random draws. */
  seed?: number | string;
  batchSize?: number;
  /** Reuse and write the content-addressed cache (default true). */
  cache?: boolean;
  label?: string;
}

/** The Arrow table of a score set: image_id (utf8), quality (float64). */
export function scoresTable(set: Pick<ScoreSet, 'ids' | 'quality'>): arrow.Table {
  if (set.ids.length !== set.quality.length) throw new AikdError(`scoresTable: ${set.ids.length} ids but ${set.quality.length} qualities`);
  return new arrow.Table({
    image_id: arrow.vectorFromArray(set.ids, new arrow.Utf8()),
    quality: arrow.makeVector(set.quality),
  });
}

/** image ids and qualities from a scores table (ours, or any with those two columns). */
export function tableToScores(t: arrow.Table, file = 'scores table'): Pick<ScoreSet, 'ids' | 'quality'> {
  const id = t.getChild('image_id');
  const q = t.getChild('quality');
  if (!id || !q) throw new InputError({ file, expected: 'columns image_id and quality', got: `columns ${t.schema.fields.map((f) => f.name).join(', ')}` });
  const ids = Array.from(id.toArray() as ArrayLike<string>, String);
  const quality = Float64Array.from(q.toArray() as ArrayLike<number>, (x) => (x === null ? NaN : Number(x)));
  return { ids, quality };
}

export function scoresProvenance(set: Pick<ScoreSet, 'settings'>, runId: string): ProvenanceInput {
  const s = set.settings;
  return {
    kind: 'scores',
    run_id: runId,
    method: s.method,
    fr_model: s.frModel,
    alignment: s.alignment,
    dataset: s.dataset,
    seed: typeof s.seed === 'number' ? s.seed : undefined,
    config_hash: configHash(s),
    params: { ...s },
  };
}

export async function scoreDataset(ds: Dataset, method: QualityMethod, opts: ScoreDatasetOptions = {}): Promise<ScoreSet> {
  // the code that computes them is part of the key (this package's and, for methods other packages register, theirs)
  const code = [packageCodeVersion('teachers'), method.codeVersion].filter((v): v is string => !!v);
  const { procedure, seed, identity, cacheFile } = await alignedDatasetPass(ds, opts, code);
  const settings: ScoreSettings = { ...identity, method: method.id, params: method.params, frModel: method.frModel, weightsHash: method.weightsHash, inputSize: method.input.size, range: method.range };
  const cachePath = cacheFile('scores', { version: SCORES_CACHE_VERSION, ...settings, template: method.input.template });
  const useCache = opts.cache !== false && !!method.weightsHash;
  const cached = useCache ? readCachedTable(cachePath) : undefined;
  if (cached) return { ...tableToScores(cached.table, cachePath), settings, cachePath, fromCache: true, seconds: 0 };
  const images = ds.images();
  const n = images.length;
  const batchSize = opts.batchSize ?? method.batchSize ?? 16;
  const quality = new Float64Array(n).fill(NaN);
  const bar = progress(opts.label ?? `score ${ds.name} ${method.id}${method.frModel ? ` (${method.frModel})` : ''}`, n);
  const t0 = performance.now();
  await alignDatasetInBatches(ds, procedure, { size: method.input.size, seed, template: method.input.template }, batchSize, async ({ ids, indices, crops }) => {
    const q = await method.score(crops, { ids, seed });
    indices.forEach((k, i) => (quality[k] = q[i]!));
    bar.tick(crops.length);
  });
  bar.done();
  const seconds = (performance.now() - t0) / 1000;
  const set: ScoreSet = { ids: images.map((r) => r.id), quality, settings, cachePath: useCache ? cachePath : undefined, fromCache: false, seconds };
  if (useCache) writeCachedTable(cachePath, scoresTable(set), scoresProvenance(set, 'cache'));
  return set;
}
