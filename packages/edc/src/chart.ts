/**
 * The EDC chart as a vega-lite spec (a pure function of the results, so the dashboard can reuse it): the curves of
 * all methods overlaid, the starting-error line, the theoretical-best line and the pAUC discard limit(s).
 */
import type { TopLevelSpec } from 'vega-lite';
import { limitKey } from './compute.ts';
import type { EdcResult } from './types.ts';

export interface EdcChartOptions {
  title?: string;
  width?: number;
  height?: number;
  /** Discard limits to mark (default: every limit of the results). */
  discardLimits?: number[];
  /**
   * At most this many points per curve are drawn (default 1500): the first point in each of that many equal
   * slices of the discard axis, plus the last point. Display only; areas are computed on all points.
   */
  maxPointsPerCurve?: number;
  /** Largest discard fraction shown (default 1). */
  maxDiscard?: number;
}

/** Mark names in the spec (the SVG has one `<g class="… edc_curve_marks">` per drawn curve). */
export const EDC_CHART_MARKS = { curve: 'edc_curve', startingError: 'edc_starting_error', theoreticalBest: 'edc_theoretical_best', limit: 'edc_pauc_limit' } as const;

/** The label of each result in the legend: the method, plus whatever else differs between the results. */
export function curveLabels(results: readonly EdcResult[]): string[] {
  const differs = (f: (r: EdcResult) => string) => new Set(results.map(f)).size > 1;
  const parts: ((r: EdcResult) => string)[] = [(r) => r.method];
  if (differs((r) => r.mode)) parts.push((r) => r.mode);
  if (differs((r) => r.error)) parts.push((r) => r.error.toUpperCase());
  if (differs((r) => `${r.operatingPoint.kind}=${r.operatingPoint.value}`)) parts.push((r) => `${r.operatingPoint.kind.replace('_', ' ')} ${r.operatingPoint.value}`);
  const labels = results.map((r) => parts.map((p) => p(r)).join(', '));
  // still equal (e.g. the same method twice): number them
  return labels.map((l, i) => (labels.indexOf(l) !== labels.lastIndexOf(l) ? `${l} #${labels.slice(0, i + 1).filter((x) => x === l).length}` : l));
}

/**
 * Indices of at most ~`max` points of a curve for display: the first point in each of `max` equal slices of the
 * discard axis [0, 1], and the last point (all points when there are no more than `max`).
 */
export function thinPoints(x: Float64Array, max: number): number[] {
  if (x.length <= max) return [...x.keys()];
  const keep: number[] = [];
  let lastBin = -1;
  for (let i = 0; i < x.length; i++) {
    const bin = Math.floor(x[i]! * max);
    if (bin !== lastBin) {
      keep.push(i);
      lastBin = bin;
    }
  }
  if (keep[keep.length - 1] !== x.length - 1) keep.push(x.length - 1);
  return keep;
}

const round = (x: number) => Number(x.toPrecision(8));

export function edcChartSpec(results: readonly EdcResult[], opts: EdcChartOptions = {}): TopLevelSpec {
  const labels = curveLabels(results);
  const maxPoints = opts.maxPointsPerCurve ?? 1500;
  const maxX = opts.maxDiscard ?? 1;
  const limits = opts.discardLimits ?? [...new Set(results.flatMap((r) => r.discardLimits))].sort((a, b) => a - b);
  const primary = limits[limits.length - 1];
  const legendLabel = (r: EdcResult, i: number) => {
    const norm = primary !== undefined ? r.paucNorm[limitKey(primary)] : undefined;
    return norm === undefined ? labels[i]! : `${labels[i]} (pAUC_norm@${primary} ${norm === null ? 'n/a' : norm.toFixed(3)})`;
  };
  const curveRows = (interp: 'step' | 'trapezoid') =>
    results.flatMap((r, i) => {
      if (r.interpolation !== interp) return [];
      const curve = legendLabel(r, i);
      return thinPoints(r.points.discardFraction, maxPoints)
        .filter((k) => Number.isFinite(r.points.error[k]!) && r.points.discardFraction[k]! <= maxX + 1e-12)
        .map((k) => ({ curve, discard_fraction: round(r.points.discardFraction[k]!), error: round(r.points.error[k]!) }));
    });
  const errorTitle = [...new Set(results.map((r) => r.error.toUpperCase()))].join(' / ') || 'error';
  const starts = [...new Set(results.map((r) => round(r.errorAt0)))];
  const x = { field: 'discard_fraction', type: 'quantitative', title: 'Fraction of discarded comparisons', scale: { domain: [0, maxX] } } as const;
  const y = { field: 'error', type: 'quantitative', title: errorTitle, scale: { zero: true } } as const;
  const color = { field: 'curve', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } } as const;

  const layers: object[] = [];
  for (const interp of ['step', 'trapezoid'] as const) {
    const values = curveRows(interp);
    if (values.length)
      layers.push({
        name: interp === 'step' ? EDC_CHART_MARKS.curve : `${EDC_CHART_MARKS.curve}_linear`,
        data: { values },
        mark: { type: 'line', interpolate: interp === 'step' ? 'step-after' : 'linear', strokeWidth: 1.5, clip: true },
        encoding: { x, y, color },
      });
  }
  layers.push({
    name: EDC_CHART_MARKS.startingError,
    data: { values: starts.map((e) => ({ error: e })) },
    mark: { type: 'rule', color: 'gray', strokeDash: [4, 4], opacity: 0.8 },
    encoding: { y: { field: 'error', type: 'quantitative' } },
  });
  layers.push({
    name: EDC_CHART_MARKS.theoreticalBest,
    data: { values: starts.flatMap((e, k) => [{ line: k, discard_fraction: 0, error: e }, { line: k, discard_fraction: round(Math.min(e, maxX)), error: round(Math.max(0, e - maxX)) }]) },
    mark: { type: 'line', color: 'gray', strokeDash: [2, 3], opacity: 0.8, clip: true },
    encoding: { x, y, detail: { field: 'line', type: 'nominal' } },
  });
  if (limits.length)
    layers.push({
      name: EDC_CHART_MARKS.limit,
      data: { values: limits.map((l) => ({ limit: l, label: `L = ${l}` })) },
      layer: [
        { mark: { type: 'rule', color: 'black', strokeDash: [6, 3], opacity: 0.6 }, encoding: { x: { field: 'limit', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, fontSize: 10, color: 'black' },
          encoding: { x: { field: 'limit', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
        },
      ],
    });
  const modes = [...new Set(results.map((r) => r.mode))];
  const kinds = [...new Set(results.map((r) => r.operatingPoint.kind.replace('_', ' ')))];
  const values = [...new Set(results.map((r) => r.operatingPoint.value))];
  const at = kinds.length === 1 ? `${kinds[0]} ${values.join(', ')}` : '';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title ?? `EDC (${[...modes, ...(at ? [at] : [])].join(', ')})`,
    width: opts.width ?? 520,
    height: opts.height ?? 340,
    background: 'white',
    layer: layers,
  } as TopLevelSpec;
}
