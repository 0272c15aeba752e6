/**
 * Types of the EDC evaluator: comparisons in, curves and areas out. Everything numeric is a typed array so that
 * 10⁷ comparisons stay in a few hundred MB.
 */

/**
 * `iso`: ISO/IEC 29794-1-style fixed threshold, tie groups discarded whole. `recomputed`: CR-FIQA's ERC code, exactly.
 * Each mode's full definition: EDC_MODE_DEFINITIONS.
 */
export type EdcMode = 'iso' | 'recomputed';

/** FNM-EDC over mated comparisons (errors are `s < t`) or FM-EDC over non-mated ones (errors are `s ≥ t`). */
export type ErrorType = 'fnmr' | 'fmr';

/** How the two sample qualities of a comparison become its pair quality. */
export type PairQualityRule = 'min' | 'mean' | 'max';

/** How the comparison-score threshold is chosen. */
export type OperatingPoint =
  /** `t` such that the false-match rate over all non-mated comparisons is at most `value` (iso) or closest to it (recomputed). */
  | { kind: 'fmr'; value: number }
  /** A given threshold. */
  | { kind: 'threshold'; value: number }
  /** `t` = the `value`-quantile of mated similarities (FNMR), or the `1 − value`-quantile of non-mated ones (FMR). */
  | { kind: 'starting_error'; value: number };

/**
 * One method's comparisons. Give either `pairQuality`, or `qualityA` + `qualityB` (combined by
 * `EdcOptions.pairQuality`). Qualities are "higher = better" unless `EdcOptions.lowerIsBetter`; a non-finite quality
 * (NaN, ±Infinity) means the quality could not be assessed.
 */
export interface ComparisonSet {
  similarity: Float64Array;
  /** 1 = mated (genuine), 0 = non-mated (impostor). */
  mated: Uint8Array;
  pairQuality?: Float64Array;
  qualityA?: Float64Array;
  qualityB?: Float64Array;
  /**
   * Who is in each comparison, as codes (equal code = same identity), for the identity-cluster bootstrap. Without
   * them intervals come from a pair-level bootstrap (and say so).
   */
  identityA?: Int32Array;
  identityB?: Int32Array;
}

export interface EdcOptions {
  mode?: EdcMode;
  error?: ErrorType;
  /** Default `{ kind: 'fmr', value: 1e-3 }`. */
  operatingPoint?: OperatingPoint;
  /** pAUC discard limits, each in (0, 1]. Default `[0.2, 0.3]`. */
  discardLimits?: readonly number[];
  /** Default `min`. */
  pairQuality?: PairQualityRule;
  /** Quality scores are uncertainties (lower = better); they are negated before anything else. */
  lowerIsBetter?: boolean;
  /** `recomputed` mode: distance between grid points (default 0.05). */
  gridStep?: number;
  /** `recomputed` mode: last grid point (default 0.95, as CR-FIQA's `np.arange(0, 0.98, 0.05)`). */
  gridMax?: number;
}

/**
 * The points of one curve, column-wise. `remaining` counts the comparisons of the curve's type still kept
 * (mated ones for FNMR). In `recomputed` mode `threshold` and `fmr` are the threshold recomputed at each point
 * and the FMR it achieves on the kept non-mated comparisons; in `iso` mode `threshold` is the fixed threshold and
 * `fmr` is absent.
 */
export interface EdcPoints {
  discardFraction: Float64Array;
  /** FNMR or FMR (per `EdcResult.error`); NaN where undefined (nothing of the needed type left). */
  error: Float64Array;
  remaining: Int32Array;
  threshold: Float64Array;
  fmr?: Float64Array;
}

export interface EdcResult {
  method: string;
  mode: EdcMode;
  error: ErrorType;
  operatingPoint: OperatingPoint;
  pairQuality: PairQualityRule;
  lowerIsBetter: boolean;
  /** `step` (left-constant, iso) or `trapezoid` (recomputed). */
  interpolation: 'step' | 'trapezoid';
  /** Recomputed mode only. */
  gridStep: number | null;
  /** The threshold (iso), or the one at discard fraction 0 (recomputed). */
  threshold: number;
  /** FMR at `threshold` over all non-mated comparisons; null when there are none. */
  achievedFmr: number | null;
  /** FNMR at `threshold` over all mated comparisons (discard 0); null when there are none. */
  fnmrAt0: number | null;
  /** The curve's starting error (`fnmrAt0` for FNMR curves, `achievedFmr` for FMR curves). */
  errorAt0: number;
  discardLimits: number[];
  /** Keyed by `String(limit)`, e.g. "0.3". */
  pauc: Record<string, number | null>;
  /** pAUC / (L · errorAt0); null (with a warning) when errorAt0 = 0. */
  paucNorm: Record<string, number | null>;
  /** Area under the theoretical-best line max(0, errorAt0 − x) up to L. */
  theoreticalBest: Record<string, number>;
  nMated: number;
  nNonmated: number;
  /** Comparisons on the curve (mated for FNMR, non-mated for FMR, all in recomputed mode) whose pair quality was not assessed. */
  nFailedToAssess: number;
  points: EdcPoints;
  /**
   * `recomputed` mode: CR-FIQA's own summary, the trapezoidal area under the curve over the whole grid (0 … 0.95,
   * `sklearn.metrics.auc`); null in iso mode or when a grid point is undefined.
   */
  auc: number | null;
  /** This mode's exact definition (EDC_MODE_DEFINITIONS). */
  definition: string;
  /** Bootstrap intervals, when computed (`bootstrapEdc` / `withIntervals`). */
  intervals?: EdcIntervals;
  /** Problems the user should see (e.g. pAUC_norm undefined). */
  warnings: string[];
  /** The conventions this curve follows, in words (mode, ties, threshold, interpolation, failures). */
  notes: string[];
}

/** A method's comparisons as read from a file. */
export interface MethodComparisons extends ComparisonSet {
  method: string;
}

export type InputFormat = 'csv' | 'arrow' | 'parquet' | 'dasec-json';

export interface LoadedComparisons {
  file: string;
  format: InputFormat;
  methods: MethodComparisons[];
  /** Notes for the user (e.g. ignored columns). */
  notes: string[];
}

/** Percentile intervals of pAUC and pAUC_norm from bootstrap replicates. */
export interface EdcIntervals {
  /**
   * `identity`: identities drawn with replacement, each keeping its comparisons (identity-cluster bootstrap);
   * `pair`: comparisons drawn with replacement, mated and non-mated separately (used only where identities are
   * unknown; it ignores that comparisons of one identity are correlated, so its intervals are too narrow then).
   */
  unit: BootstrapUnit;
  replicates: number;
  seed: number | string;
  /** Coverage of the intervals, e.g. 0.95. */
  level: number;
  /** How many identities (or comparisons) were resampled. */
  units: number;
  /** [lo, hi] by discard limit key; null when too few replicates were defined. */
  pauc: Record<string, [number, number] | null>;
  paucNorm: Record<string, [number, number] | null>;
  /** Replicates in which pAUC_norm was defined, by discard limit key. */
  valid: Record<string, number>;
  /**
   * The replicate values themselves (NaN where undefined), by discard limit key: replicate r of every method on the
   * same comparisons comes from the same resample, so differences between methods pair up.
   */
  samples: { pauc: Record<string, Float64Array>; paucNorm: Record<string, Float64Array> };
  /** Pointwise percentile band of the curve (grid points in recomputed mode, every 0.01 of discard in iso mode). */
  band: { discardFraction: Float64Array; lo: Float64Array; hi: Float64Array };
}

export type BootstrapUnit = 'identity' | 'pair';
