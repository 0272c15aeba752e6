/**
 * The EDC chart as a vega-lite spec, built in one place for the CLI's SVG/PNG (`aikd edc --plot`) and the
 * dashboard: the curves of all methods overlaid (each method a distinct, stable colour, and a dash pattern once the
 * palette is used up), optional bootstrap bands, the starting-error line, the theoretical-best line and the pAUC
 * discard limit(s); in the browser also a hover tooltip.
 */
import type { TopLevelSpec } from 'vega-lite';
import { limitKey } from './compute.ts';
import type { EdcResult } from './types.ts';

/** One curve to draw. */
export interface EdcChartCurve {
  /** Legend label (unique in the chart). */
  label: string;
  /** The method: decides colour and dash (see methodStyles). */
  method: string;
  /** `step` (iso) or `trapezoid` (recomputed). */
  interpolation: string;
  error_at_0: number;
  points: { discard_fraction: number; error: number | null; remaining: number }[];
  /** Bootstrap band (edc_band / EdcIntervals.band). */
  band?: { discard_fraction: number; lo: number | null; hi: number | null }[];
}

export interface EdcChartOptions {
  title?: string;
  /** Axis title of the error, e.g. "FNMR" (default: from the results). */
  errorTitle?: string;
  width?: number;
  height?: number;
  /** Discard limits to mark. */
  discardLimits?: number[];
  /** Largest discard fraction shown (default 1). */
  maxDiscard?: number;
  /** Colour and dash of each method (default: methodStyles of the curves' methods). */
  styles?: ReadonlyMap<string, MethodStyle>;
  /** Draw the bootstrap bands of curves that have one. */
  bands?: boolean;
  /** Add an invisible hover layer whose nearest point shows a tooltip (browser only). */
  hover?: boolean;
}

/** Mark names in the spec (the SVG has one `<g class="… edc_curve_marks">` per drawn curve). */
export const EDC_CHART_MARKS = {
  curve: 'edc_curve',
  band: 'edc_band',
  startingError: 'edc_starting_error',
  theoreticalBest: 'edc_theoretical_best',
  limit: 'edc_pauc_limit',
  hover: 'edc_hover',
} as const;

/**
 * 12 colours that stay apart from each other (vega's tableau10 plus near-black and cyan), then the same colours
 * dashed, dotted, dash-dotted: 48 distinct styles.
 */
export const METHOD_PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#222222', '#17becf'] as const;
export const METHOD_DASHES: readonly (readonly number[])[] = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

export interface MethodStyle {
  color: string;
  /** Empty = solid. */
  dash: readonly number[];
}

/**
 * A distinct colour (and dash, past the palette) per method, stable for a given list: by each method's place in
 * `order` (e.g. the paper's methods) and then alphabetically. Give every method that may be shown (all of an
 * experiment), so a method keeps its style whatever subset is selected.
 */
export function methodStyles(methods: Iterable<string>, order: readonly string[] = []): Map<string, MethodStyle> {
  const rank = (m: string) => {
    const i = order.indexOf(m);
    return i < 0 ? order.length : i;
  };
  const sorted = [...new Set(methods)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return new Map(sorted.map((m, i) => [m, { color: METHOD_PALETTE[i % METHOD_PALETTE.length]!, dash: METHOD_DASHES[Math.floor(i / METHOD_PALETTE.length) % METHOD_DASHES.length]! }]));
}

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

/** The legend's summary of a curve: pAUC_norm at a limit, with its interval when there is one. */
export function legendSummary(limit: number, norm: number | null | undefined, ci?: [number, number] | null): string {
  return `pAUC_norm@${limit} ${norm === null || norm === undefined ? 'n/a' : norm.toFixed(3)}${ci ? ` [${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : ''}`;
}

/**
 * Curves of computed results (the CLI's chart): at most `maxPointsPerCurve` points each (default 1500; display
 * only, areas come from all points), labelled with their pAUC_norm at the largest limit.
 */
export function curvesOfResults(results: readonly EdcResult[], maxPointsPerCurve = 1500): EdcChartCurve[] {
  const labels = curveLabels(results);
  const limits = [...new Set(results.flatMap((r) => r.discardLimits))].sort((a, b) => a - b);
  const primary = limits[limits.length - 1];
  return results.map((r, i) => {
    const p = r.points;
    const band = r.intervals?.band;
    return {
      label: primary === undefined ? labels[i]! : `${labels[i]} (${legendSummary(primary, r.paucNorm[limitKey(primary)], r.intervals?.paucNorm[limitKey(primary)])})`,
      method: r.method,
      interpolation: r.interpolation,
      error_at_0: r.errorAt0,
      points: thinPoints(p.discardFraction, maxPointsPerCurve).map((k) => ({ discard_fraction: p.discardFraction[k]!, error: Number.isFinite(p.error[k]!) ? p.error[k]! : null, remaining: p.remaining[k]! })),
      ...(band ? { band: Array.from(band.discardFraction, (x, j) => ({ discard_fraction: x, lo: Number.isFinite(band.lo[j]!) ? band.lo[j]! : null, hi: Number.isFinite(band.hi[j]!) ? band.hi[j]! : null })) } : {}),
    };
  });
}

/** An invisible layer of points over the named data, the nearest one to the pointer shown, with a tooltip. */
export function hoverLayer(name: string, data: string, x: object, y: object, color: object, tooltip: object[]): object {
  return {
    name,
    data: { name: data },
    transform: [{ filter: 'isValid(datum.y)' }],
    params: [{ name: `${name}_nearest`, select: { type: 'point', on: 'pointerover', nearest: true, clear: 'pointerout' } }],
    mark: { type: 'point', filled: true, size: 40 },
    encoding: { x, y, color, opacity: { condition: { param: `${name}_nearest`, empty: false, value: 1 }, value: 0 }, tooltip },
  };
}

export function edcChartSpec(curves: readonly EdcChartCurve[], opts: EdcChartOptions = {}): TopLevelSpec {
  const maxX = opts.maxDiscard ?? 1;
  const styles = opts.styles ?? methodStyles(curves.map((c) => c.method));
  const style = (c: EdcChartCurve) => styles.get(c.method) ?? { color: '#000000', dash: [] };
  const rows = curves.flatMap((c) =>
    c.points
      .filter((p) => p.error !== null && Number.isFinite(p.error) && p.discard_fraction <= maxX + 1e-12)
      .map((p) => ({ curve: c.label, interpolation: c.interpolation, x: round(p.discard_fraction), y: round(p.error!), remaining: p.remaining })),
  );
  const bandRows = opts.bands
    ? curves.flatMap((c) => (c.band ?? []).filter((b) => b.lo !== null && b.hi !== null && b.discard_fraction <= maxX + 1e-12).map((b) => ({ curve: c.label, interpolation: c.interpolation, x: round(b.discard_fraction), lo: round(b.lo!), hi: round(b.hi!) })))
    : [];
  const errorTitle = opts.errorTitle ?? 'error';
  const x = { field: 'x', type: 'quantitative', title: 'Fraction of discarded comparisons', scale: { domain: [0, maxX] } };
  const y = { field: 'y', type: 'quantitative', title: errorTitle, scale: { zero: true } };
  const legend = { orient: 'bottom', columns: 1, labelLimit: 600, symbolStrokeWidth: 2 };
  const color = { field: 'curve', type: 'nominal', title: null, scale: { domain: curves.map((c) => c.label), range: curves.map((c) => style(c).color) }, legend };
  const strokeDash = { field: 'curve', type: 'nominal', title: null, scale: { domain: curves.map((c) => c.label), range: curves.map((c) => [...style(c).dash]) }, legend };
  const starts = [...new Set(curves.map((c) => round(c.error_at_0)))];

  const layers: object[] = [];
  for (const interp of ['step', 'trapezoid'])
    if (bandRows.some((b) => b.interpolation === interp))
      layers.push({
        name: interp === 'step' ? EDC_CHART_MARKS.band : `${EDC_CHART_MARKS.band}_linear`,
        data: { name: 'bands' },
        transform: [{ filter: { field: 'interpolation', equal: interp } }],
        mark: { type: 'area', interpolate: interp === 'step' ? 'step-after' : 'linear', opacity: 0.15, clip: true },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: errorTitle }, y2: { field: 'hi' }, color: { ...color, legend: null } },
      });
  for (const interp of ['step', 'trapezoid'])
    if (curves.some((c) => c.interpolation === interp))
      layers.push({
        name: interp === 'step' ? EDC_CHART_MARKS.curve : `${EDC_CHART_MARKS.curve}_linear`,
        data: { name: 'curves' },
        transform: [{ filter: { field: 'interpolation', equal: interp } }],
        mark: { type: 'line', interpolate: interp === 'step' ? 'step-after' : 'linear', strokeWidth: 1.6, clip: true },
        encoding: { x, y, color, strokeDash },
      });
  layers.push({
    name: EDC_CHART_MARKS.startingError,
    data: { values: starts.map((e) => ({ y: e })) },
    mark: { type: 'rule', color: 'gray', strokeDash: [4, 4], opacity: 0.8 },
    encoding: { y: { field: 'y', type: 'quantitative' }, ...(opts.hover ? { tooltip: [{ field: 'y', title: `starting ${errorTitle}`, format: '.4f' }] } : {}) },
  });
  layers.push({
    name: EDC_CHART_MARKS.theoreticalBest,
    // max(0, e − x): the error if every discarded comparison had been an error
    data: { values: starts.flatMap((e, k) => [{ line: k, x: 0, y: e }, { line: k, x: round(Math.min(e, maxX)), y: round(Math.max(0, e - maxX)) }]) },
    mark: { type: 'line', color: 'gray', strokeDash: [2, 3], opacity: 0.8, clip: true },
    encoding: { x, y, detail: { field: 'line', type: 'nominal' } },
  });
  const limits = opts.discardLimits ?? [];
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
  if (opts.hover && rows.length)
    layers.push(
      hoverLayer(EDC_CHART_MARKS.hover, 'curves', x, y, { ...color, legend: null }, [
        { field: 'curve', title: 'method' },
        { field: 'x', title: 'discard fraction', format: '.4f' },
        { field: 'y', title: errorTitle, format: '.4f' },
        { field: 'remaining', title: errorTitle === 'FMR' ? 'non-mated comparisons left' : 'mated comparisons left', format: ',' },
      ]),
    );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 560,
    height: opts.height ?? 360,
    background: 'white',
    datasets: { curves: rows, bands: bandRows },
    layer: layers,
  } as TopLevelSpec;
}

/** The chart of computed results (what `aikd edc --plot` draws). */
export function edcResultsChartSpec(results: readonly EdcResult[], opts: EdcChartOptions & { maxPointsPerCurve?: number } = {}): TopLevelSpec {
  const modes = [...new Set(results.map((r) => r.mode))];
  const kinds = [...new Set(results.map((r) => r.operatingPoint.kind.replace('_', ' ')))];
  const values = [...new Set(results.map((r) => r.operatingPoint.value))];
  const at = kinds.length === 1 ? `${kinds[0]} ${values.join(', ')}` : '';
  return edcChartSpec(curvesOfResults(results, opts.maxPointsPerCurve), {
    title: `EDC (${[...modes, ...(at ? [at] : [])].join(', ')})`,
    errorTitle: [...new Set(results.map((r) => r.error.toUpperCase()))].join(' / ') || 'error',
    discardLimits: [...new Set(results.flatMap((r) => r.discardLimits))].sort((a, b) => a - b),
    bands: results.some((r) => r.intervals),
    ...opts,
  });
}
