import type { ResultKind } from '@aikd/results';
import type { OperatingPoint, PairQualityRule, EdcMode, ErrorType, InputFormat } from './types.ts';

export const DEFAULT_FMR = 1e-3;
export const DEFAULT_OPERATING_POINT: OperatingPoint = { kind: 'fmr', value: DEFAULT_FMR };
/** pAUC limits reported by default: 0.3 (the AI-KD/DifFIQA convention) and 0.2. */
export const DEFAULT_DISCARD_LIMITS: readonly number[] = [0.2, 0.3];
export const DEFAULT_PAIR_QUALITY: PairQualityRule = 'min';
export const DEFAULT_MODE: EdcMode = 'iso';
export const DEFAULT_ERROR: ErrorType = 'fnmr';
/** CR-FIQA's grid: `np.arange(0, 0.98, 0.05)` = 0, 0.05, …, 0.95. */
export const DEFAULT_GRID_STEP = 0.05;
export const DEFAULT_GRID_MAX = 0.95;
/**
 * At most this many recomputed-mode grid points (a step ≥ 1e-5 over [0, 0.95]): a step like 1e-9 would ask for
 * ~10⁹ of them (V8 runs out of memory).
 */
export const MAX_GRID_POINTS = 100_001;
/** Bootstrap defaults: 1000 replicates, seed 0, 95 % percentile intervals (`--bootstrap 0` turns them off). */
export const DEFAULT_BOOTSTRAP_REPLICATES = 1000;
export const DEFAULT_BOOTSTRAP_SEED = 0;
export const DEFAULT_BOOTSTRAP_LEVEL = 0.95;

/** Slack for float grid arithmetic (0.05 · 19 = 0.9500000000000001 is still on the grid up to 0.95). */
export const GRID_EPS = 1e-9;

/**
 * Each mode's exact definition, recorded with every result (`EdcResult.definition`, the runs' params), so a number
 * says which convention made it.
 */
export const EDC_MODE_DEFINITIONS: Readonly<Record<EdcMode, string>> = {
  iso:
    'iso (ISO/IEC 29794-1 style, dasec/Schlett edc.py): threshold fixed once on all comparisons before discarding ' +
    '(at an FMR target: the smallest non-mated similarity t with #(non-mated s >= t)/N <= target); ' +
    'only the comparisons of the curve type (mated for FNMR) are discarded, by pair quality ascending, a run of equal ' +
    'qualities at once; FNMR = #(mated s < t)/#mated kept; x = discarded/#mated; point (1, 0) appended; ' +
    'stepwise (left-constant) pAUC up to L; pauc_norm = pAUC/(L*FNMR(0)); failed qualities discarded first',
  recomputed:
    'recomputed (CR-FIQA ERC/erc.py + ERC/roc.py, exactly): all pairs in one list stable-sorted by pair quality ' +
    'ascending; at u = k*0.05 (k = 0..19, float64) keep sorted[floor(u*N):]; distance d = arccos(clip(s,-1,1))/pi; ' +
    'threshold recomputed at each u among the distinct kept distances of genuine and impostor pairs, FMR(t) = ' +
    '#(kept impostors d <= t)/#kept impostors, argmin |FMR - target| with ties to the largest distance; ' +
    'FNMR = 1 - #(kept genuine d < threshold)/#kept genuine; pAUC up to L by trapezoids over the grid; ' +
    'auc = trapezoids over the whole grid 0..0.95 (sklearn.metrics.auc, the reference\'s summary); ' +
    'ties in quality in input order (the reference\'s quicksort is not stable), failed qualities first',
};

export const EDC_MODES: readonly EdcMode[] = ['iso', 'recomputed'];
export const ERROR_TYPES: readonly ErrorType[] = ['fnmr', 'fmr'];
export const PAIR_QUALITY_RULES: readonly PairQualityRule[] = ['min', 'mean', 'max'];
export const INPUT_FORMATS: readonly InputFormat[] = ['csv', 'arrow', 'parquet', 'dasec-json'];

/** Method name for files without a `method` column. */
export const DEFAULT_METHOD = 'default';

/** Result kinds (catalogue view names) written by `aikd edc --out`; their rows are declared in tables.ts. */
export const EDC_POINTS_KIND = 'edc_points' satisfies ResultKind;
export const EDC_SUMMARY_KIND = 'edc_summary' satisfies ResultKind;
export const EDC_BOOTSTRAP_KIND = 'edc_bootstrap' satisfies ResultKind;
export const EDC_BAND_KIND = 'edc_band' satisfies ResultKind;
/** Run kind of `aikd edc` runs. */
export const EDC_RUN_KIND = 'edc';

/**
 * Columns of `edc_points`: one row per curve point. A curve is identified by
 * (run_id, dataset, fr_model, condition, method, mode, error_type, operating_point, operating_value).
 * Arrow types: strings are dictionary-encoded Utf8, `point` and `remaining` Int32, `lower_is_better` Bool, the rest
 * Float64; `dataset`, `fr_model`, `condition`, `fmr` may be null.
 */
export const EDC_POINTS_COLUMNS = [
  'dataset', // Utf8, null when not given
  'fr_model', // Utf8, null when not given
  'condition', // Utf8 (e.g. "aligned", "misaligned"), null when not given
  'method', // Utf8: the quality method
  'mode', // Utf8: "iso" | "recomputed"
  'error_type', // Utf8: "fnmr" | "fmr"
  'operating_point', // Utf8: "fmr" | "threshold" | "starting_error"
  'operating_value', // Float64: the target FMR, the threshold or the starting error
  'pair_quality', // Utf8: "min" | "mean" | "max"
  'lower_is_better', // Bool
  'point', // Int32: 0-based index along the curve
  'discard_fraction', // Float64: x
  'error', // Float64: y (FNMR or FMR per error_type); null where undefined
  'remaining', // Int32: comparisons of the curve's type still kept
  'threshold', // Float64: threshold in force at this point (iso: a similarity, constant; recomputed: an angular distance arccos(s)/π)
  'fmr', // Float64: recomputed mode: FMR on the kept non-mated comparisons at `threshold`; null in iso mode
] as const;

/**
 * Columns of `edc_summary`: one row per curve and pAUC discard limit (long format, so any set of limits fits the
 * same schema: `where discard_limit = 0.3`). Arrow types: strings Utf8, counts Int32, `lower_is_better` Bool, the rest
 * Float64; nullable as noted.
 */
export const EDC_SUMMARY_COLUMNS = [
  'dataset', // Utf8 | null
  'fr_model', // Utf8 | null
  'condition', // Utf8 | null
  'method', // Utf8
  'mode', // Utf8: "iso" | "recomputed"
  'error_type', // Utf8: "fnmr" | "fmr"
  'operating_point', // Utf8: "fmr" | "threshold" | "starting_error"
  'operating_value', // Float64
  'pair_quality', // Utf8
  'lower_is_better', // Bool
  'interpolation', // Utf8: "step" (iso) | "trapezoid" (recomputed)
  'grid_step', // Float64 | null (recomputed mode only)
  'discard_limit', // Float64: L
  'pauc', // Float64 | null: area under the curve on [0, L]
  'pauc_norm', // Float64 | null: pauc / (L · error_at_0); null when error_at_0 = 0
  'pauc_lo', // Float64 | null: bootstrap percentile interval of pauc (null without a bootstrap)
  'pauc_hi', // Float64 | null
  'pauc_norm_lo', // Float64 | null: bootstrap percentile interval of pauc_norm
  'pauc_norm_hi', // Float64 | null
  'theoretical_best', // Float64: area under max(0, error_at_0 − x) on [0, L]
  'auc', // Float64 | null: recomputed mode: CR-FIQA's trapezoidal AUC over the whole grid 0 … 0.95; null in iso mode
  'threshold', // Float64: fixed similarity threshold (iso) or the angular-distance threshold at discard 0 (recomputed)
  'achieved_fmr', // Float64 | null: FMR at `threshold` over all non-mated comparisons
  'fnmr_at_0', // Float64 | null: FNMR at `threshold` over all mated comparisons
  'error_at_0', // Float64: the curve's starting error
  'n_mated', // Int32
  'n_nonmated', // Int32
  'n_failed_to_assess', // Int32: comparisons on the curve whose pair quality could not be assessed
  'n_points', // Int32: points on the curve
  'bootstrap_unit', // Utf8 | null: "identity" (identity-cluster) or "pair" (identities unknown); null without a bootstrap
  'bootstrap_replicates', // Int32 | null
  'bootstrap_seed', // Utf8 | null
  'bootstrap_level', // Float64 | null: coverage of the intervals (0.95)
  'bootstrap_units', // Int32 | null: identities (or comparisons) resampled
] as const;

/**
 * Columns of `edc_bootstrap`: the replicate values behind the intervals, one row per curve and discard limit (the
 * curve key of `edc_summary` + `discard_limit`). Replicate r of every curve of a run (and of the same comparisons)
 * was computed on the same resample, so paired differences between methods are `pauc_norm[r] − pauc_norm[r]`.
 */
export const EDC_BOOTSTRAP_COLUMNS = [
  'dataset', 'fr_model', 'condition', 'method', 'mode', 'error_type', 'operating_point', 'operating_value', 'pair_quality', 'lower_is_better',
  'discard_limit', // Float64
  'bootstrap_unit', // Utf8
  'bootstrap_seed', // Utf8
  'pauc', // List<Float64>: replicate values, null where undefined in that resample
  'pauc_norm', // List<Float64>
] as const;

/**
 * Columns of `edc_band`: the pointwise bootstrap band of each curve with intervals (curve key + one row per band
 * point: the grid in recomputed mode, every 0.01 of discard in iso mode).
 */
export const EDC_BAND_COLUMNS = [
  'dataset', 'fr_model', 'condition', 'method', 'mode', 'error_type', 'operating_point', 'operating_value', 'pair_quality', 'lower_is_better',
  'discard_fraction', // Float64
  'error_lo', // Float64 | null
  'error_hi', // Float64 | null
] as const;

export type EdcPointsColumn = (typeof EDC_POINTS_COLUMNS)[number];
export type EdcSummaryColumn = (typeof EDC_SUMMARY_COLUMNS)[number];
