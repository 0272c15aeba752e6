/**
 * vega-lite specs of the dashboard's charts, built on the server (typed and tested here; the browser only embeds
 * them). The EDC chart follows @aikd/edc's `edcChartSpec` (same mark names, so its SVG reads the same) and adds
 * what a browser can do: a hover tooltip with the discard fraction, the error and the comparisons remaining.
 */
import type { TopLevelSpec } from 'vega-lite';
import { EDC_CHART_MARKS } from '@aikd/edc';

export interface EdcChartPoint {
  discard_fraction: number;
  error: number | null;
  remaining: number;
}

export interface EdcChartCurve {
  /** Legend label. */
  label: string;
  /** Line colour (CSS); default: vega's palette in curve order. */
  color?: string;
  /** `step` (iso) or `trapezoid` (recomputed). */
  interpolation: string;
  error_at_0: number;
  points: EdcChartPoint[];
}

export interface EdcChartOptions {
  title: string;
  /** Axis title of the error, e.g. "FNMR". */
  errorTitle: string;
  /** pAUC discard limits to mark. */
  discardLimits: number[];
  width?: number;
  height?: number;
}

/** vega's tableau10, then d3's category10: the paper's ten methods get the first ten, in its order. */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A colour per method that does not change with the selection: by its place in `order` (the paper's methods), else by a hash of its name. */
export function methodColor(method: string, order: readonly string[]): string {
  const i = order.indexOf(method);
  if (i >= 0 && i < 10) return PALETTE[i]!;
  let hash = 0;
  for (const ch of method) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[10 + (hash % 10)]!;
}

/** Name of the invisible hover layer (its points carry the tooltip). */
export const EDC_HOVER_MARK = 'edc_hover';

const round = (x: number) => Number(x.toPrecision(8));

/** An invisible layer of points over `data`, the nearest one to the pointer shown, with a tooltip. */
function hoverLayer(name: string, data: string, x: object, y: object, color: object, tooltip: object[]): object {
  return {
    name,
    data: { name: data },
    transform: [{ filter: 'isValid(datum.y)' }],
    params: [{ name: `${name}_nearest`, select: { type: 'point', on: 'pointerover', nearest: true, clear: 'pointerout' } }],
    mark: { type: 'point', filled: true, size: 40 },
    encoding: { x, y, color, opacity: { condition: { param: `${name}_nearest`, empty: false, value: 1 }, value: 0 }, tooltip },
  };
}

export function edcChartSpec(curves: readonly EdcChartCurve[], opts: EdcChartOptions): TopLevelSpec {
  const rows = curves.flatMap((c) =>
    c.points
      .filter((p) => p.error !== null && Number.isFinite(p.error))
      .map((p) => ({ curve: c.label, interpolation: c.interpolation, x: round(p.discard_fraction), y: round(p.error!), remaining: p.remaining })),
  );
  const x = { field: 'x', type: 'quantitative', title: 'Fraction of discarded comparisons', scale: { domain: [0, 1] } };
  const y = { field: 'y', type: 'quantitative', title: opts.errorTitle, scale: { zero: true } };
  const colors = curves.every((c) => c.color) ? { range: curves.map((c) => c.color) } : {};
  const color = { field: 'curve', type: 'nominal', title: null, scale: { domain: curves.map((c) => c.label), ...colors }, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } };
  const starts = [...new Set(curves.map((c) => round(c.error_at_0)))];

  const layers: object[] = [];
  for (const interp of ['step', 'trapezoid'])
    if (curves.some((c) => c.interpolation === interp))
      layers.push({
        name: interp === 'step' ? EDC_CHART_MARKS.curve : `${EDC_CHART_MARKS.curve}_linear`,
        data: { name: 'curves' },
        transform: [{ filter: { field: 'interpolation', equal: interp } }],
        mark: { type: 'line', interpolate: interp === 'step' ? 'step-after' : 'linear', strokeWidth: 1.6, clip: true },
        encoding: { x, y, color },
      });
  layers.push({
    name: EDC_CHART_MARKS.startingError,
    data: { values: starts.map((e) => ({ y: e })) },
    mark: { type: 'rule', color: 'gray', strokeDash: [4, 4], opacity: 0.8 },
    encoding: { y: { field: 'y', type: 'quantitative' }, tooltip: [{ field: 'y', title: `starting ${opts.errorTitle}`, format: '.4f' }] },
  });
  layers.push({
    name: EDC_CHART_MARKS.theoreticalBest,
    // max(0, e − x): the error if every discarded comparison had been an error
    data: { values: starts.flatMap((e, k) => [{ line: k, x: 0, y: e }, { line: k, x: round(Math.min(e, 1)), y: round(Math.max(0, e - 1)) }]) },
    mark: { type: 'line', color: 'gray', strokeDash: [2, 3], opacity: 0.8, clip: true },
    encoding: { x, y, detail: { field: 'line', type: 'nominal' } },
  });
  if (opts.discardLimits.length)
    layers.push({
      name: EDC_CHART_MARKS.limit,
      data: { values: opts.discardLimits.map((l) => ({ limit: l, label: `L = ${l}` })) },
      layer: [
        { mark: { type: 'rule', color: 'black', strokeDash: [6, 3], opacity: 0.6 }, encoding: { x: { field: 'limit', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, fontSize: 10, color: 'black' },
          encoding: { x: { field: 'limit', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
        },
      ],
    });
  if (rows.length)
    layers.push(
      hoverLayer(EDC_HOVER_MARK, 'curves', x, y, color, [
        { field: 'curve', title: 'method' },
        { field: 'x', title: 'discard fraction', format: '.4f' },
        { field: 'y', title: opts.errorTitle, format: '.4f' },
        { field: 'remaining', title: opts.errorTitle === 'FMR' ? 'non-mated comparisons left' : 'mated comparisons left', format: ',' },
      ]),
    );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    width: opts.width ?? 640,
    height: opts.height ?? 380,
    background: 'white',
    datasets: { curves: rows },
    layer: layers,
  } as TopLevelSpec;
}

export interface SeriesRow {
  series: string;
  x: number;
  y: number;
}

export interface SeriesChartOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Draw the points too (sparse series, e.g. a sweep over a few strengths). */
  points?: boolean;
  /** Series in legend order (default: order of appearance). */
  seriesOrder?: string[];
  width?: number;
  height?: number;
  /** Fix the y domain (e.g. [-1, 1] for a correlation). */
  yDomain?: [number, number];
}

/** Named lines over a numeric x (training metrics per step, a measure against misalignment strength). */
export function seriesChartSpec(rows: readonly SeriesRow[], opts: SeriesChartOptions): TopLevelSpec {
  const order = opts.seriesOrder ?? [...new Set(rows.map((r) => r.series))];
  const x = { field: 'x', type: 'quantitative', title: opts.xTitle };
  const y = { field: 'y', type: 'quantitative', title: opts.yTitle, scale: opts.yDomain ? { domain: opts.yDomain } : { zero: false } };
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: order }, legend: { orient: 'bottom', columns: 2, labelLimit: 400 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    width: opts.width ?? 520,
    height: opts.height ?? 240,
    background: 'white',
    datasets: { series: rows.map((r) => ({ series: r.series, x: r.x, y: r.y })) },
    layer: [
      { name: 'series_line', data: { name: 'series' }, mark: { type: 'line', strokeWidth: 1.5, point: opts.points ?? false }, encoding: { x, y, color } },
      hoverLayer('series_hover', 'series', x, y, color, [
        { field: 'series', title: 'series' },
        { field: 'x', title: opts.xTitle },
        { field: 'y', title: opts.yTitle, format: '.5g' },
      ]),
    ],
  } as TopLevelSpec;
}
