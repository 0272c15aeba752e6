import { textTable } from '@aikd/core';
import { limitKey } from './compute.ts';
import { thinPoints } from './chart.ts';
import type { EdcResult } from './types.ts';

/** One point in the JSON output; the error is named by its type ("fnmr" or "fmr"). */
export type EdcPointJson = { discard_fraction: number; remaining: number } & { [error: string]: number | null };

/** The JSON form of one result (`aikd edc --json` prints `{"results": [...]}`). */
export interface EdcResultJson {
  method: string;
  mode: string;
  error: string;
  operating_point: { kind: string; value: number };
  pair_quality: string;
  lower_is_better: boolean;
  interpolation: string;
  grid_step: number | null;
  threshold: number;
  achieved_fmr: number | null;
  fnmr_at_0: number | null;
  error_at_0: number;
  pauc: Record<string, number | null>;
  pauc_norm: Record<string, number | null>;
  /** Bootstrap percentile intervals by discard limit (present when intervals were computed). */
  pauc_ci?: Record<string, [number, number] | null>;
  pauc_norm_ci?: Record<string, [number, number] | null>;
  /** How the intervals were made. */
  bootstrap?: { unit: string; replicates: number; seed: number | string; level: number; units: number };
  theoretical_best: Record<string, number>;
  /** recomputed mode: CR-FIQA's own summary, the trapezoidal AUC over the whole grid (sklearn.metrics.auc). */
  auc: number | null;
  /** The mode's exact definition. */
  definition: string;
  n_mated: number;
  n_nonmated: number;
  n_failed_to_assess: number;
  points: EdcPointJson[];
  notes: string[];
  warnings: string[];
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** `maxPoints` thins the printed points like the chart does (the stored tables always keep every point). */
export function edcResultJson(r: EdcResult, maxPoints = Infinity): EdcResultJson {
  const p = r.points;
  const keep = maxPoints < p.discardFraction.length ? thinPoints(p.discardFraction, maxPoints) : [...p.discardFraction.keys()];
  const points: EdcPointJson[] = new Array(keep.length);
  for (let k = 0; k < keep.length; k++) {
    const i = keep[k]!;
    const pt: EdcPointJson = { discard_fraction: p.discardFraction[i]!, [r.error]: finiteOrNull(p.error[i]!), remaining: p.remaining[i]! } as EdcPointJson;
    if (r.mode === 'recomputed') {
      pt['threshold'] = finiteOrNull(p.threshold[i]!);
      if (p.fmr) pt['fmr'] = finiteOrNull(p.fmr[i]!);
    }
    points[k] = pt;
  }
  return {
    method: r.method,
    mode: r.mode,
    error: r.error,
    operating_point: { ...r.operatingPoint },
    pair_quality: r.pairQuality,
    lower_is_better: r.lowerIsBetter,
    interpolation: r.interpolation,
    grid_step: r.gridStep,
    threshold: r.threshold,
    achieved_fmr: r.achievedFmr,
    fnmr_at_0: r.fnmrAt0,
    error_at_0: r.errorAt0,
    pauc: r.pauc,
    pauc_norm: r.paucNorm,
    ...(r.intervals
      ? {
          pauc_ci: r.intervals.pauc,
          pauc_norm_ci: r.intervals.paucNorm,
          bootstrap: { unit: r.intervals.unit, replicates: r.intervals.replicates, seed: r.intervals.seed, level: r.intervals.level, units: r.intervals.units },
        }
      : {}),
    theoretical_best: r.theoreticalBest,
    auc: r.auc,
    definition: r.definition,
    n_mated: r.nMated,
    n_nonmated: r.nNonmated,
    n_failed_to_assess: r.nFailedToAssess,
    points,
    notes: r.notes,
    warnings: r.warnings,
  };
}

/** A readable table: one row per curve with the threshold, starting error and areas at each discard limit. */
export function edcTableText(results: readonly EdcResult[]): string {
  const rows = results.map((r) => {
    const row: Record<string, unknown> = {
      method: r.method,
      mode: r.mode,
      error: r.error,
      at: `${r.operatingPoint.kind}=${r.operatingPoint.value}`,
      threshold: r.threshold,
      achieved_fmr: r.achievedFmr,
      [`${r.error}@0`]: r.errorAt0,
    };
    for (const l of r.discardLimits) {
      row[`pauc@${l}`] = r.pauc[limitKey(l)];
      row[`norm@${l}`] = r.paucNorm[limitKey(l)];
      const ci = r.intervals?.paucNorm[limitKey(l)];
      if (r.intervals) row[`norm@${l} ${Math.round(r.intervals.level * 100)}% CI`] = ci ? `[${ci[0].toFixed(4)}, ${ci[1].toFixed(4)}]` : '—';
    }
    if (r.mode === 'recomputed') row['auc'] = r.auc;
    Object.assign(row, { mated: r.nMated, nonmated: r.nNonmated, failed: r.nFailedToAssess, points: r.points.discardFraction.length });
    return row;
  });
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return textTable(rows, columns);
}
