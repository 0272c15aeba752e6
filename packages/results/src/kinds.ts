/**
 * Result kinds: one row type per Arrow table kind, shared by the writers (`Run.writeTable` checks a table has the
 * kind's columns), the catalogue (its views are named after the kinds; `ViewRow<K>` is a view's row) and the
 * dashboard. Kinds used by several packages are declared here; a package that owns a kind adds it by declaration
 * merging — a type only, nothing is registered at run time:
 *
 *   declare module '@aikd/results' { interface ResultRows { edc_summary: EdcSummaryRow } }
 */
import type * as arrow from 'apache-arrow';

/** `scores`: one quality per image (NaN = not assessed), higher = better. */
export interface ScoreRow {
  image_id: string;
  quality: number;
}

/** `comparisons`: the dataset's verification pairs with the FR model's cosine similarity. */
export interface ComparisonRow {
  pair: number;
  a: string;
  b: string;
  mated: boolean;
  fold: number | null;
  similarity: number;
  /** Who is in the pair (null where the dataset does not say, or in results written before these columns). */
  identity_a: string | null;
  identity_b: string | null;
}

/** `sensitivity`: how a method's scores and pAUC_norm move under one misalignment (experiments' sweep). */
export interface SensitivityRow {
  dataset: string;
  fr_model: string;
  method: string;
  condition: string;
  procedure: string;
  /** Landmark-jitter p in px (0 for proper alignment; null for procedures without a strength). */
  strength: number | null;
  /** Spearman ρ between the method's scores on aligned and on these images. */
  spearman_rho: number | null;
  pauc_norm: number | null;
  mode: string;
  fmr: number;
  discard_limit: number;
}

/**
 * `alignment_stability`: how one method's quality moves between the aligned crop x and the misaligned crop x̃ of the
 * same test image, beside what the misalignment does to its pAUC_norm (experiments' evaluation, every experiment with
 * a proper and a misaligned condition). A student (AI-KD) is measured against its teacher's quality of x; a method
 * that is not a student is its own reference. One row per dataset × FR model × method × misaligned condition × EDC
 * setting (the quality numbers do not depend on the FR model and repeat).
 */
export interface AlignmentStabilityRow {
  dataset: string;
  fr_model: string;
  method: string;
  /** `student` (distils a teacher), `teacher` (some student in the experiment distils it) or `method`. */
  role: string;
  /** A student's teacher (its label in the experiment); null for non-students. */
  teacher: string | null;
  /** The misaligned condition. */
  condition: string;
  procedure: string;
  strength: number | null;
  /** Images with a finite quality in both conditions (and the teacher's, for students). */
  images: number;
  /** Spearman(q(x̃), t(x)): t = the teacher for a student, the method itself otherwise. */
  spearman_teacher: number | null;
  /** Spearman(q(x̃), q(x)). */
  spearman_self: number | null;
  /** mean |q(x̃) − q(x)| divided by `shift_scale` (teacher-normalised units). */
  mean_abs_shift: number | null;
  /** `teacher σ`: the teacher's quality std on the aligned crops (a student's shift mapped into the teacher's scale
   * by its label normalisation); `own σ`: the method's own std on the aligned crops. */
  shift_scale: string;
  pauc_norm_proper: number | null;
  pauc_norm_misaligned: number | null;
  /** pAUC_norm misaligned − proper (> 0: misalignment hurts). */
  delta_pauc_norm: number | null;
  /** Percentile interval of the paired bootstrap difference (both cells resampled alike); null without one. */
  delta_lo: number | null;
  delta_hi: number | null;
  mode: string;
  fmr: number;
  discard_limit: number;
}

/** Every result kind and its row (packages add theirs by declaration merging). */
export interface ResultRows {
  scores: ScoreRow;
  comparisons: ComparisonRow;
  sensitivity: SensitivityRow;
  alignment_stability: AlignmentStabilityRow;
}

export type ResultKind = keyof ResultRows & string;

/** A row of a kind's catalogue view: the table's columns and the id of the run that wrote it. */
export type ViewRow<K extends ResultKind> = ResultRows[K] & { run_id: string };

type MissingColumns<T, R> = Exclude<keyof R, keyof T>;
/** `unknown` when a table with columns `T` has every column of row `R`; else a type naming the missing ones. */
export type HasColumns<T extends arrow.TypeMap, R> = [MissingColumns<T, R>] extends [never] ? unknown : { 'missing columns': MissingColumns<T, R> };
