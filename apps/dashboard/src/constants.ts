/** Defaults and limits of the dashboard server. */
import type { ResultKind } from '@aikd/results';
import type {} from '@aikd/edc'; // declares the EDC result kinds

export const DEFAULT_PORT = 8787;
/** Loopback only unless the user asks for more: the dashboard has no authentication. */
export const DEFAULT_HOST = '127.0.0.1';
/** Rebuild the catalogue's views at most this often (new runs and result files appear after this delay). */
export const DEFAULT_REFRESH_MS = 2000;

/** Page size of `/api/runs` when none is given, and the largest one accepted. */
export const DEFAULT_RUNS_LIMIT = 100;
export const MAX_RUNS_LIMIT = 1000;
/** Points per EDC curve sent to the browser (thinned along the discard axis; areas come from the stored summary). */
export const EDC_POINTS_PER_CURVE = 400;
export const MAX_EDC_POINTS_PER_CURVE = 5000;
/** Points per metric series sent to the browser (evenly sampled by step, the last step always kept). */
export const METRIC_POINTS_PER_SERIES = 1000;
export const MAX_METRIC_POINTS_PER_SERIES = 20000;
/** Most methods one EDC request may ask for. */
export const MAX_METHODS = 64;

/** What to run when there is nothing to show. */
export const EMPTY_HINT = 'no results yet — run `pnpm aikd run experiments/quickstart.yaml`';

/** The setting the paper's numbers were read at (experiments/reference/README.md): FNMR EDC, FMR 1e-3, L = 0.3. */
export const PAPER_SETTING = { error_type: 'fnmr', operating_point: 'fmr', operating_value: 1e-3, discard_limit: 0.3 } as const;

/** Run kinds with a meaning for the views. */
export const EXPERIMENT_KIND = 'experiment';
/** Result kinds the views read (results' kinds.ts and the edc package declare their rows). */
export const EDC_SUMMARY_VIEW = 'edc_summary' satisfies ResultKind;
export const EDC_POINTS_VIEW = 'edc_points' satisfies ResultKind;
export const EDC_BOOTSTRAP_VIEW = 'edc_bootstrap' satisfies ResultKind;
export const EDC_BAND_VIEW = 'edc_band' satisfies ResultKind;
export const SENSITIVITY_VIEW = 'sensitivity' satisfies ResultKind;
export const ALIGNMENT_STABILITY_VIEW = 'alignment_stability' satisfies ResultKind;
