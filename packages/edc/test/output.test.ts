/** Result tables (edc_points / edc_summary), the JSON shape, and the chart. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { Run, Catalogue } from '@aikd/results';
import {
  computeEdc,
  edcTables,
  edcResultJson,
  edcTableText,
  edcResultsChartSpec,
  methodStyles,
  METHOD_PALETTE,
  chartToSvg,
  svgToPng,
  thinResult,
  EDC_POINTS_COLUMNS,
  EDC_SUMMARY_COLUMNS,
  type ComparisonSet,
} from '../src/index.ts';
import { randomSet, f64, u8 } from './helpers.ts';

const handSet: ComparisonSet = {
  similarity: f64([0.2, 0.7, 0.3, 0.8, 0.4, 0.9, 0.1, 0.6]),
  mated: u8([1, 1, 1, 1, 1, 1, 0, 0]),
  pairQuality: f64([1, 1, 2, 3, 3, 3, 1, 1]),
};
const iso = computeEdc(handSet, { operatingPoint: { kind: 'threshold', value: 0.5 } }, 'hand');
const recomputed = computeEdc(randomSet(3, { n: 300 }), { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: 0.1 }, discardLimits: [0.3] }, 'rand');

describe('edc tables', () => {
  it('have exactly the documented columns, typed', () => {
    const { points, summary } = edcTables([iso, recomputed], { dataset: 'lfw', condition: 'aligned' });
    expect(points.schema.fields.map((f) => f.name)).toEqual([...EDC_POINTS_COLUMNS]);
    expect(summary.schema.fields.map((f) => f.name)).toEqual([...EDC_SUMMARY_COLUMNS]);
    const typeOf = (t: arrow.Table, c: string) => String(t.schema.fields.find((f) => f.name === c)!.type);
    expect(typeOf(points, 'discard_fraction')).toBe('Float64');
    expect(typeOf(points, 'remaining')).toBe('Int32');
    expect(typeOf(points, 'method')).toBe('Dictionary<Int8, Utf8>');
    expect(typeOf(summary, 'n_mated')).toBe('Int32');
    expect(typeOf(summary, 'lower_is_better')).toBe('Bool');
    expect(typeOf(summary, 'pauc_norm')).toBe('Float64');
  });

  it('hold every point and one summary row per curve and discard limit', () => {
    const { points, summary } = edcTables([iso, recomputed], (r) => ({ dataset: 'lfw', fr_model: r.method === 'hand' ? 'arcface' : undefined }));
    expect(points.numRows).toBe(iso.points.discardFraction.length + 20);
    const rows = points.toArray().map((r) => r.toJSON());
    expect(rows[0]).toMatchObject({ dataset: 'lfw', fr_model: 'arcface', condition: null, method: 'hand', mode: 'iso', error_type: 'fnmr', operating_point: 'threshold', operating_value: 0.5, point: 0, discard_fraction: 0, error: 0.5, remaining: 6, threshold: 0.5, fmr: null });
    expect(rows.at(-1)).toMatchObject({ fr_model: null, method: 'rand', mode: 'recomputed', point: 19 });
    expect(rows.at(-1)!.fmr).toBeCloseTo(recomputed.points.fmr![19]!, 15);
    const s = summary.toArray().map((r) => r.toJSON());
    expect(s.map((r) => [r.method, r.discard_limit])).toEqual([
      ['hand', 0.2],
      ['hand', 0.3],
      ['rand', 0.3],
    ]);
    expect(s[1]).toMatchObject({ pauc: iso.pauc['0.3'], pauc_norm: iso.paucNorm['0.3'], theoretical_best: iso.theoreticalBest['0.3'], threshold: 0.5, achieved_fmr: 0.5, fnmr_at_0: 0.5, error_at_0: 0.5, n_mated: 6, n_nonmated: 2, n_failed_to_assess: 0, n_points: 4, interpolation: 'step', grid_step: null });
    expect(s[2]).toMatchObject({ interpolation: 'trapezoid', grid_step: 0.05, n_points: 20 });
  });

  it('land in the results store as catalogue views edc_points and edc_summary', async () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-edc-store-'));
    const run = Run.create({ kind: 'edc', params: { test: true }, root });
    const { points, summary } = edcTables([iso], { dataset: 'demo' });
    run.writeTable('edc_points', points, { method: 'hand', dataset: 'demo' });
    run.writeTable('edc_summary', summary, { method: 'hand', dataset: 'demo' });
    run.finish();
    const cat = await Catalogue.open(root);
    try {
      expect(await cat.query('select method, discard_limit, pauc from edc_summary order by discard_limit')).toEqual([
        { method: 'hand', discard_limit: 0.2, pauc: iso.pauc['0.2']! },
        { method: 'hand', discard_limit: 0.3, pauc: iso.pauc['0.3']! },
      ]);
      expect(await cat.query('select count(*) as n, max(remaining) as m, any_value(run_id) as run from edc_points')).toEqual([{ n: 4, m: 6, run: run.id }]);
    } finally {
      cat.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('JSON and text output', () => {
  it('has the shape of issue 3', () => {
    const j = edcResultJson(iso);
    for (const k of ['method', 'mode', 'threshold', 'achieved_fmr', 'fnmr_at_0', 'pauc', 'pauc_norm', 'theoretical_best', 'n_mated', 'n_nonmated', 'n_failed_to_assess', 'points'])
      expect(j).toHaveProperty(k);
    expect(j.pauc).toEqual({ '0.2': iso.pauc['0.2'], '0.3': iso.pauc['0.3'] });
    expect(j.points[0]).toEqual({ discard_fraction: 0, fnmr: 0.5, remaining: 6 });
    expect(JSON.parse(JSON.stringify(j))).toEqual(j); // plain JSON
    const fm = edcResultJson(computeEdc(handSet, { error: 'fmr', operatingPoint: { kind: 'threshold', value: 0.5 } }));
    expect(Object.keys(fm.points[0]!).sort()).toEqual(['discard_fraction', 'fmr', 'remaining']);
    expect(Object.keys(edcResultJson(recomputed).points[0]!).sort()).toEqual(['discard_fraction', 'fmr', 'fnmr', 'remaining', 'threshold']);
  });

  it('prints a readable table', () => {
    const text = edcTableText([iso]);
    expect(text.split('\n')[0]).toMatch(/method\s+mode\s+error\s+at\s+threshold\s+achieved_fmr\s+fnmr@0\s+pauc@0\.2\s+norm@0\.2\s+pauc@0\.3\s+norm@0\.3/);
    expect(text.split('\n')[2]).toMatch(/^hand\s+iso\s+fnmr\s+threshold=0\.5\s+0\.5\s+0\.5\s+0\.5\s+0\.1\s+1\s+0\.15\s+1\s+6\s+2\s+0\s+4$/);
  });
});

describe('chart', () => {
  // three quality methods on the same comparisons: one starting error, one theoretical-best line
  const base = randomSet(20, { n: 400, qualityLevels: 50 });
  const qualities = { a: base.pairQuality, b: base.pairQuality.map((q) => -q), c: base.pairQuality.map((_, i) => (i * 7919) % 13) };
  const methods = Object.entries(qualities).map(([m, q]) => computeEdc({ ...base, pairQuality: q }, { operatingPoint: { kind: 'fmr', value: 0.05 } }, m));

  it('overlays one curve per result with the starting-error line, theoretical best and pAUC limits', async () => {
    const spec = edcResultsChartSpec(methods) as unknown as { layer: { name: string }[]; datasets: { curves: { curve: string }[] } };
    expect(spec.layer.map((l) => l.name)).toEqual(['edc_curve', 'edc_starting_error', 'edc_theoretical_best', 'edc_pauc_limit']);
    expect(new Set(spec.datasets.curves.map((v) => v.curve)).size).toBe(3);
    const svg = await chartToSvg(spec as never);
    expect(svg.match(/class="mark-line role-mark edc_curve_marks"/g)).toHaveLength(3);
    expect(svg.match(/class="mark-rule role-mark edc_starting_error_marks"/g)).toHaveLength(1);
    expect(svg.match(/class="mark-line role-mark edc_theoretical_best_marks"/g)).toHaveLength(1);
    expect(svg).toContain('L = 0.3');
    // results from different comparisons: a starting-error and theoretical-best line each
    const other = computeEdc(randomSet(21, { n: 300 }), { operatingPoint: { kind: 'fmr', value: 0.05 } }, 'other');
    const two = await chartToSvg(edcResultsChartSpec([methods[0]!, other]));
    expect(two.match(/edc_curve_marks/g)).toHaveLength(2);
    expect(two.match(/edc_theoretical_best_marks/g)).toHaveLength(2);
  });

  it('gives 11+ methods distinct, stable colours, and dashes past the palette', async () => {
    const names = Array.from({ length: 14 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const styles = methodStyles(names, ['m13']);
    const keys = [...styles.values()].map((s) => `${s.color}|${s.dash.join(',')}`);
    expect(new Set(keys).size).toBe(14);
    expect(styles.get('m13')).toEqual({ color: METHOD_PALETTE[0], dash: [] }); // the preferred order first
    expect([...styles.values()].filter((s) => s.dash.length).length).toBe(14 - METHOD_PALETTE.length);
    // stable: the same list in any order gives the same styles
    expect(methodStyles([...names].reverse(), ['m13'])).toEqual(styles);
    const many = names.map((m, i) => computeEdc({ ...base, pairQuality: base.pairQuality.map((q, j) => q + ((i * j) % 7)) }, { operatingPoint: { kind: 'fmr', value: 0.05 } }, m));
    const svg = await chartToSvg(edcResultsChartSpec(many, { styles }));
    const strokes = new Set([...svg.matchAll(/<path[^>]*stroke="(#[0-9a-f]{6})"[^>]*stroke-dasharray="([\d,]+)"/g)].map((m) => `${m[1]}|${m[2]}`));
    expect(strokes.size).toBe(14 - METHOD_PALETTE.length); // the dashed curves, each its own colour + dash
  });

  it('thins long curves for display and renders PNG', async () => {
    const big = computeEdc(randomSet(9, { n: 20000, qualityLevels: 1e9, matedShare: 0.9 }), { operatingPoint: { kind: 'fmr', value: 0.05 } }, 'big');
    expect(big.points.discardFraction.length).toBeGreaterThan(15000);
    const spec = edcResultsChartSpec([big], { maxPointsPerCurve: 500 }) as unknown as { datasets: { curves: unknown[] } };
    expect(spec.datasets.curves.length).toBeLessThanOrEqual(501);
    const thin = thinResult(big, 100);
    expect(thin.points.discardFraction.length).toBeLessThanOrEqual(101);
    expect(thin.pauc).toEqual(big.pauc);
    expect(thin.points.error[0]).toBe(big.errorAt0);
    expect(edcTables([thin]).points.numRows).toBe(thin.points.discardFraction.length);
    expect(edcResultJson(big, 100).points.length).toBeLessThanOrEqual(101);
    expect(edcResultJson(big, 100).points.at(-1)).toEqual({ discard_fraction: 1, fnmr: 0, remaining: 0 });
    const png = await svgToPng(await chartToSvg(spec as never));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});
