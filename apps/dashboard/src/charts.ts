/**
 * vega-lite specs of the dashboard's own charts, built on the server (typed and tested here; the browser only embeds
 * them). The EDC chart is @aikd/edc's `edcChartSpec` (the same spec the CLI draws as SVG/PNG).
 */
import type { TopLevelSpec } from 'vega-lite';
import { hoverLayer, type MethodStyle } from '@aikd/edc';

/** Mark names of the pAUC chart (its SVG has `g.mark-rule … pauc_errorbar_marks`). */
export const PAUC_CHART_MARKS = { errorbar: 'pauc_errorbar', point: 'pauc_point', zero: 'pauc_zero' } as const;
/** Mark names of the agreement heat map. */
export const AGREEMENT_CHART_MARKS = { cell: 'agreement_cell', text: 'agreement_text' } as const;

export interface PaucChartRow {
  dataset: string;
  fr_model: string;
  method: string;
  value: number;
  lo: number | null;
  hi: number | null;
}

/**
 * pAUC_norm per method × FR model with its bootstrap interval as an error bar, one panel per dataset (and the mean):
 * methods along x in the table's order, FR models side by side in each method's slot.
 */
export function paucChartSpec(
  rows: readonly PaucChartRow[],
  opts: { title: string; methods: string[]; frModels: string[]; datasets: string[]; level: number; /** Default pAUC_norm. */ valueTitle?: string; /** A horizontal rule at 0 (differences). */ zeroRule?: boolean },
): TopLevelSpec {
  const valueTitle = opts.valueTitle ?? 'pAUC_norm';
  const x = { field: 'method', type: 'nominal', title: null, sort: opts.methods, axis: { labelAngle: -35, labelLimit: 160 } };
  const xOffset = { field: 'fr_model', type: 'nominal', sort: opts.frModels };
  const color = { field: 'fr_model', type: 'nominal', title: 'FR model', sort: opts.frModels, legend: { orient: 'bottom' } };
  const tooltip = [
    { field: 'dataset', title: 'dataset' },
    { field: 'method', title: 'method' },
    { field: 'fr_model', title: 'FR model' },
    { field: 'value', title: valueTitle, format: '.3f' },
    { field: 'lo', title: `${Math.round(opts.level * 100)}% interval from`, format: '.3f' },
    { field: 'hi', title: 'to', format: '.3f' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    background: 'white',
    data: { values: rows.map((r) => ({ ...r })) },
    facet: { column: { field: 'dataset', type: 'nominal', title: null, sort: opts.datasets } },
    spec: {
      width: Math.max(160, 26 * opts.methods.length),
      height: 240,
      layer: [
        {
          name: PAUC_CHART_MARKS.errorbar,
          transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative', title: `${valueTitle} (lower is better)`, scale: { zero: !!opts.zeroRule } }, y2: { field: 'hi' }, color, tooltip },
        },
        ...(opts.zeroRule ? [{ name: PAUC_CHART_MARKS.zero, mark: { type: 'rule', color: '#98a2b3' }, encoding: { y: { datum: 0 } } }] : []),
        { name: PAUC_CHART_MARKS.point, mark: { type: 'point', filled: true, size: 36 }, encoding: { x, xOffset, y: { field: 'value', type: 'quantitative' }, color, tooltip } },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
}

export interface AgreementChartRow {
  panel: string;
  a: string;
  b: string;
  tau: number;
}

/** Kendall τ-b between FR models as a heat map per condition × dataset (−1 … 1, diverging colours). */
export function agreementChartSpec(rows: readonly AgreementChartRow[], opts: { title: string; frModels: string[]; panels: string[] }): TopLevelSpec {
  const x = { field: 'a', type: 'nominal', title: null, sort: opts.frModels };
  const y = { field: 'b', type: 'nominal', title: null, sort: opts.frModels };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    background: 'white',
    data: { values: rows.map((r) => ({ ...r })) },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: opts.panels } },
    spec: {
      width: 36 * opts.frModels.length + 40,
      height: 36 * opts.frModels.length + 40,
      layer: [
        {
          name: AGREEMENT_CHART_MARKS.cell,
          mark: { type: 'rect' },
          encoding: { x, y, color: { field: 'tau', type: 'quantitative', title: 'τ-b', scale: { domain: [-1, 1], scheme: 'redblue' } }, tooltip: [{ field: 'a' }, { field: 'b' }, { field: 'tau', title: 'τ-b', format: '.2f' }] },
        },
        { name: AGREEMENT_CHART_MARKS.text, mark: { type: 'text', fontSize: 11 }, encoding: { x, y, text: { field: 'tau', type: 'quantitative', format: '.2f' } } },
      ],
    },
  } as TopLevelSpec;
}

/** CSS colours of a method style map, for the front-end's legends and table swatches. */
export const styleCss = (s: MethodStyle): { color: string; dash: string } => ({ color: s.color, dash: s.dash.join(',') });

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
  /** A logarithmic x axis (a learning-rate sweep). */
  xLog?: boolean;
  /** Positions on x to mark with a labelled vertical rule (the chosen checkpoint, a suggested learning rate). */
  marks?: { x: number; label: string }[];
}

/** Mark names of the series chart's vertical rules and their labels (`g.mark-rule.series_mark_marks`). */
export const SERIES_CHART_MARKS = { rule: 'series_mark', label: 'series_mark_label' } as const;

/** Named lines over a numeric x (training metrics per step, a measure against misalignment strength). */
export function seriesChartSpec(rows: readonly SeriesRow[], opts: SeriesChartOptions): TopLevelSpec {
  const order = opts.seriesOrder ?? [...new Set(rows.map((r) => r.series))];
  const x = { field: 'x', type: 'quantitative', title: opts.xTitle, ...(opts.xLog ? { scale: { type: 'log' } } : {}) };
  const y = { field: 'y', type: 'quantitative', title: opts.yTitle, scale: opts.yDomain ? { domain: opts.yDomain } : { zero: false } };
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: order }, legend: { orient: 'bottom', columns: 2, labelLimit: 400 } };
  const marks = (opts.marks ?? []).filter((m) => Number.isFinite(m.x));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    width: opts.width ?? 520,
    height: opts.height ?? 240,
    background: 'white',
    datasets: { series: rows.map((r) => ({ series: r.series, x: r.x, y: r.y })), marks: marks.map((m) => ({ x: m.x, label: m.label })) },
    layer: [
      { name: 'series_line', data: { name: 'series' }, mark: { type: 'line', strokeWidth: 1.5, point: opts.points ?? false }, encoding: { x, y, color } },
      ...(marks.length
        ? [
            { name: SERIES_CHART_MARKS.rule, data: { name: 'marks' }, mark: { type: 'rule', strokeDash: [4, 3], color: '#667085' }, encoding: { x: { field: 'x', type: 'quantitative' }, tooltip: [{ field: 'label', title: 'marked' }, { field: 'x', title: opts.xTitle, format: '.4g' }] } },
            { name: SERIES_CHART_MARKS.label, data: { name: 'marks' }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 2, y: 0, fontSize: 10, color: '#475467' }, encoding: { x: { field: 'x', type: 'quantitative' }, text: { field: 'label' } } },
          ]
        : []),
      hoverLayer('series_hover', 'series', x, y, color, [
        { field: 'series', title: 'series' },
        { field: 'x', title: opts.xTitle },
        { field: 'y', title: opts.yTitle, format: '.5g' },
      ]),
    ],
  } as TopLevelSpec;
}
