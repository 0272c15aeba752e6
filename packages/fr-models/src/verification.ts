import { AikdError } from '@aikd/core';
import type { Dataset, PairRecord } from '@aikd/datasets';
import { cosine, eer, rocAuc, tarAtFar, tenFoldAccuracy, type TenFold } from './verify.ts';
import { embeddingOf, type EmbeddingSet } from './embed.ts';

declare module '@aikd/results' {
  interface ResultRows {
    /** `verification` (`aikd verify`): one row per dataset × FR model × alignment. */
    verification: {
      dataset: string;
      fr_model: string;
      alignment: string;
      flip_sum: boolean;
      n_pairs: number;
      /** Null when the pair list has a single fold (10-fold accuracy not applicable). */
      accuracy: number | null;
      accuracy_std: number | null;
      tar_far_1e3: number;
      tar_far_1e4: number;
      eer: number;
      auc: number;
    };
  }
}

export interface PairScores {
  pairs: readonly PairRecord[];
  similarity: Float64Array;
  mated: boolean[];
}

/** Cosine similarity of every protocol pair; a pair naming an image without an embedding is an error. */
export function scorePairs(ds: Dataset, set: EmbeddingSet): PairScores {
  const index = new Map(set.ids.map((id, i) => [id, i]));
  const pairs = ds.pairs();
  const similarity = new Float64Array(pairs.length);
  pairs.forEach((p, k) => {
    const a = index.get(p.a), b = index.get(p.b);
    if (a === undefined || b === undefined) throw new AikdError(`${ds.name}: pair ${k} (${p.a}, ${p.b}) names an image without an embedding`);
    similarity[k] = cosine(embeddingOf(set, a), embeddingOf(set, b));
  });
  return { pairs, similarity, mated: pairs.map((p) => p.mated) };
}

export interface VerificationReport {
  dataset: string;
  model: string;
  alignment: string;
  flip_sum: boolean;
  n_pairs: number;
  n_mated: number;
  n_nonmated: number;
  /** null when the pair list has a single fold (e.g. LFW's pairsDevTest.txt): there is no "other nine" to pick a threshold on. */
  accuracy: { mean: number; std: number; folds: TenFold['folds']; fold_source: TenFold['foldSource'] } | null;
  /** Why the accuracy is missing, when it is. */
  accuracy_note?: string;
  tar_at_far: Record<string, { tar: number; threshold: number; achieved_far: number }>;
  eer: number;
  auc: number;
}

export function verificationReport(ds: Dataset, set: EmbeddingSet, fars = [1e-3, 1e-4]): VerificationReport {
  const { pairs, similarity, mated } = scorePairs(ds, set);
  const nM = mated.filter(Boolean).length;
  if (!nM || nM === pairs.length) throw new AikdError(`${ds.name}: verification needs mated and non-mated pairs (has ${nM} mated of ${pairs.length})`);
  const folds = pairs.map((p) => p.fold);
  const protocolFolds = folds.every((f) => f !== undefined) ? new Set(folds).size : undefined;
  const tf = protocolFolds === 1 ? undefined : tenFoldAccuracy(similarity, mated, folds);
  const tar: VerificationReport['tar_at_far'] = {};
  for (const far of fars) {
    const r = tarAtFar(similarity, mated, far);
    tar[String(far)] = { tar: r.tar, threshold: r.threshold, achieved_far: r.achievedFar };
  }
  return {
    dataset: ds.name,
    model: set.settings.model,
    alignment: set.settings.alignment,
    flip_sum: set.settings.flipSum,
    n_pairs: pairs.length,
    n_mated: nM,
    n_nonmated: pairs.length - nM,
    accuracy: tf ? { mean: tf.mean, std: tf.std, folds: tf.folds, fold_source: tf.foldSource } : null,
    ...(tf ? {} : { accuracy_note: 'not applicable: the pair list has one fold (k-fold accuracy picks each fold\'s threshold on the others); AUC, EER and TAR@FAR use all pairs' }),
    tar_at_far: tar,
    eer: eer(similarity, mated).eer,
    auc: rocAuc(similarity, mated),
  };
}
