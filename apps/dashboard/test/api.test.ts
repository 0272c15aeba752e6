/**
 * The JSON API against a real catalogue: a results folder built from real EDC results (test/fixture.ts), the
 * app listening on an ephemeral port, requests with Node's fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@aikd/core';
import { chartToSvg, type EdcResult } from '@aikd/edc';
import { buildFixture, curveKey, DATASETS, FR_MODELS, JITTER, METHODS, REPLICATES, type Fixture } from './fixture.ts';
import { startApp, type TestServer } from './http.ts';
import { metricGroups } from '../src/index.ts';
import { flatten } from '../src/api/compare.ts';

let fx: Fixture;
let srv: TestServer;

beforeAll(async () => {
  fx = await buildFixture();
  srv = await startApp({ resultsDir: fx.root, refreshMs: 0 });
});
afterAll(async () => {
  await srv?.close();
  if (fx) rmSync(fx.root, { recursive: true, force: true });
});

/** The paper's value, read from the CSV here independently of the server's reader. */
function paperValue(condition: string, fr: string, method: string, dataset: string): number | undefined {
  const lines = readFileSync(join(workspaceRoot, 'experiments/reference/paper-pauc.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
  const row = lines.map((l) => l.split(',')).find((f) => f[5] === condition && f[6] === fr && f[7] === method && f[8] === dataset);
  return row ? Number(row[4]) : undefined;
}

const edcPath = (q: Record<string, string>) => `/api/edc?${new URLSearchParams(q)}`;
const result = (dataset: string, fr: string, condition: string, method: string, mode: string): EdcResult => fx.results.get(curveKey(dataset, fr, condition, method, mode))!;

describe('overview and runs', () => {
  it('counts what is in the results folder', async () => {
    const { status, body } = await srv.get('/api/overview');
    expect(status).toBe(200);
    expect(body.runs).toBe(fx.runCount);
    expect(body.experiments).toBe(2);
    expect(body.result_kinds).toEqual(['alignment_stability', 'edc_band', 'edc_bootstrap', 'edc_points', 'edc_summary', 'sensitivity']);
    expect(body.has).toEqual({ edc: true, sensitivity: true, metrics: true });
    expect(body.kinds.reduce((s: number, k: { n: number }) => s + k.n, 0)).toBe(fx.runCount);
  });

  it('lists, filters and searches runs', async () => {
    const all = (await srv.get('/api/runs')).body;
    expect(all.total).toBe(fx.runCount);
    expect(all.runs).toHaveLength(fx.runCount);
    // newest first by default
    const started = all.runs.map((r: { started_at: string }) => r.started_at);
    expect([...started].sort().reverse()).toEqual(started);
    const exp = all.runs.find((r: { id: string }) => r.id === fx.experiment);
    expect(exp.children).toBe(17); // 4 embed + 8 edc + 2 score + train + sensitivity + alignment stability

    const edc = (await srv.get('/api/runs?kind=edc')).body;
    expect(edc.total).toBe(10);
    expect(edc.runs.every((r: { kind: string }) => r.kind === 'edc')).toBe(true);

    const failed = (await srv.get('/api/runs?status=failed')).body;
    expect(failed.runs.map((r: { id: string }) => r.id)).toEqual([fx.failedRun]);
    expect(failed.runs[0].error).toContain('faceqan.onnx');

    const children = (await srv.get(`/api/runs?parent=${fx.experiment}`)).body;
    expect(children.total).toBe(17);
    expect(children.runs.every((r: { parent: string }) => r.parent === fx.experiment)).toBe(true);

    // text search over id, kind, name and params, case-insensitive
    expect((await srv.get('/api/runs?q=AIKD%20SERFIQ')).body.runs.map((r: { id: string }) => r.id)).toEqual([fx.lrFindRun, fx.trainRun]);
    expect((await srv.get('/api/runs?q=faceqan')).body.runs.map((r: { id: string }) => r.id)).toEqual([fx.failedRun]);
    expect((await srv.get('/api/runs?q=comparisons.csv')).body.runs.map((r: { id: string }) => r.id)).toEqual([fx.looseEdcRun]);
    // LIKE wildcards are plain characters
    expect((await srv.get('/api/runs?q=%25')).body.total).toBe(0);

    expect((await srv.get('/api/runs?has_metrics=1')).body.runs.map((r: { id: string }) => r.id)).toEqual([fx.lrFindRun, fx.trainRun]);
    expect((await srv.get('/api/runs?has_metrics=0')).body.total).toBe(fx.runCount - 2);
    expect(all.kinds.find((k: { kind: string }) => k.kind === 'edc').n).toBe(10);
  });

  it('sorts and pages without gaps or repeats', async () => {
    const durations = (await srv.get('/api/runs?sort=duration_s&order=asc&limit=1000')).body.runs.map((r: { duration_s: number }) => r.duration_s);
    expect([...durations].sort((a, b) => a - b)).toEqual(durations);
    const ids: string[] = [];
    for (let offset = 0; offset < fx.runCount; offset += 7) {
      const page = (await srv.get(`/api/runs?limit=7&offset=${offset}`)).body;
      expect(page.total).toBe(fx.runCount);
      expect(page.runs.length).toBe(Math.min(7, fx.runCount - offset));
      ids.push(...page.runs.map((r: { id: string }) => r.id));
    }
    expect(new Set(ids).size).toBe(fx.runCount);
    const past = (await srv.get('/api/runs?limit=5&offset=500')).body;
    expect(past).toMatchObject({ runs: [], total: fx.runCount });
  });

  it('gives one run in full: record, parent, children, metrics', async () => {
    const exp = (await srv.get(`/api/runs/${fx.experiment}`)).body;
    expect(exp.run.kind).toBe('experiment');
    expect(exp.run.params).toEqual(expect.objectContaining({ datasets: DATASETS, fr_models: FR_MODELS, methods: METHODS }));
    expect(exp.run.summary).toEqual({ steps: expect.any(Number) });
    expect(exp.parent).toBeNull();
    expect(exp.children).toHaveLength(17);
    expect(exp.children.filter((c: { kind: string }) => c.kind === 'edc')).toHaveLength(8);

    const edcRun = (await srv.get(`/api/runs/${fx.edcRuns.get('lfw|adaface|proper')}`)).body;
    expect(edcRun.parent).toMatchObject({ id: fx.experiment, kind: 'experiment' });
    const points = METHODS.flatMap((m) => ['iso', 'recomputed'].map((mode) => result('lfw', 'adaface', 'proper', m, mode).points.discardFraction.length)).reduce((a, b) => a + b, 0);
    expect(edcRun.run.artifacts).toEqual([
      { name: 'edc_points', kind: 'edc_points', path: 'edc_points.arrow', rows: points, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), parquet_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { name: 'edc_summary', kind: 'edc_summary', path: 'edc_summary.arrow', rows: METHODS.length * 2 * 2, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), parquet_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { name: 'edc_bootstrap', kind: 'edc_bootstrap', path: 'edc_bootstrap.arrow', rows: METHODS.length * 2 * 2, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), parquet_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { name: 'edc_band', kind: 'edc_band', path: 'edc_band.arrow', rows: METHODS.length * (101 + 20), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), parquet_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);

    const train = (await srv.get(`/api/runs/${fx.trainRun}`)).body;
    expect(train.metrics.map((m: { name: string }) => m.name)).toEqual([...fx.metrics.keys()].sort());
    expect(train.metrics.find((m: { name: string }) => m.name === 'val_loss')).toMatchObject({ n: 6, first_step: 10, last_step: 60, last: fx.metrics.get('val_loss')!.at(-1)![1] });
  });
});

describe('training metrics', () => {
  it('groups metric names the way a training run is read', () => {
    expect(metricGroups(['epoch', 'grad_norm', 'loss', 'loss_consistency', 'loss_quality', 'lr_backbone', 'lr_head', 'val_loss', 'val_loss_quality', 'step_seconds'])).toEqual([
      // each term logged for training and validation in one chart
      { title: 'Loss (total) (training and validation)', names: ['loss', 'val_loss'] },
      { title: 'Quality loss (training and validation)', names: ['loss_quality', 'val_loss_quality'] },
      { title: 'Training loss', names: ['loss_consistency'] },
      { title: 'Learning rate', names: ['lr_backbone', 'lr_head'] },
      { title: 'Gradient norm', names: ['grad_norm'] },
      { title: 'epoch', names: ['epoch'] },
      { title: 'step_seconds', names: ['step_seconds'] },
    ]);
  });

  it('serves every logged value as chart data, non-finite values left out', async () => {
    const { status, body } = await srv.get(`/api/runs/${fx.trainRun}/metrics`);
    expect(status).toBe(200);
    expect(body.charts.map((c: { title: string }) => c.title)).toEqual([
      'Loss (total) (training and validation)',
      'Quality loss (training and validation)',
      'Training loss',
      'Learning rate',
      'Gradient norm',
      'Learning-rate search: loss against lr',
    ]);
    const rows = (title: string) => body.charts.find((c: { title: string }) => c.title === title).spec.datasets.series as { series: string; x: number; y: number }[];
    const total = rows('Loss (total) (training and validation)');
    expect(total.filter((r) => r.series === 'val_loss').map((r) => [r.x, r.y])).toEqual(fx.metrics.get('val_loss'));
    expect(total.filter((r) => r.series === 'loss').map((r) => [r.x, r.y])).toEqual(fx.metrics.get('loss'));
    expect(rows('Quality loss (training and validation)')).toHaveLength(60 + 6);
    expect(rows('Training loss')).toHaveLength(60);
    const grad = rows('Gradient norm');
    expect(grad).toHaveLength(59);
    expect(grad.some((r) => r.x === 7)).toBe(false);
    expect(body.metrics.find((m: { name: string }) => m.name === 'grad_norm')).toMatchObject({ n: 60, finite: 59 });
  });

  it('samples long series evenly, keeping the first and last step', async () => {
    const body = (await srv.get(`/api/runs/${fx.trainRun}/metrics?names=loss,val_loss&points=10`)).body;
    expect(body.charts.map((c: { title: string }) => c.title)).toEqual(['Loss (total) (training and validation)', 'Learning-rate search: loss against lr']);
    const loss = body.charts[0].spec.datasets.series.filter((r: { series: string }) => r.series === 'loss').map((r: { x: number }) => r.x);
    expect(loss.length).toBeLessThanOrEqual(11);
    expect(loss[0]).toBe(1);
    expect(loss.at(-1)).toBe(60);
    // evenly: every 6th step (ceil(60 / 10))
    expect(loss.slice(0, -1)).toEqual([1, 7, 13, 19, 25, 31, 37, 43, 49, 55]);
    expect(body.charts[0].spec.datasets.series.filter((r: { series: string }) => r.series === 'val_loss')).toHaveLength(6);
  });

  it('marks the chosen checkpoint on every chart over steps', async () => {
    const body = (await srv.get(`/api/runs/${fx.trainRun}/metrics`)).body;
    expect(body.checkpoint).toEqual({ step: fx.bestStep, val_loss: expect.any(Number) });
    const overSteps = body.charts.filter((c: { spec: { layer: { encoding?: { x?: { title?: string } } }[] } }) => c.spec.layer[0]!.encoding?.x?.title === 'step');
    expect(overSteps).toHaveLength(5);
    for (const c of overSteps) expect(c.spec.datasets.marks).toEqual([{ x: fx.bestStep, label: `checkpoint (step ${fx.bestStep})` }]);
    // the validation loss is lowest at the marked step
    const val = fx.metrics.get('val_loss')!;
    expect(val.reduce((b, p) => (p[1]! < b[1]! ? p : b))[0]).toBe(fx.bestStep);
  });

  it('draws the lr search as loss against lr (log x) with the suggested lr, for the search and for the training of its name', async () => {
    const train = (await srv.get(`/api/runs/${fx.trainRun}/metrics`)).body;
    expect(train.lr_find).toEqual({ run: fx.lrFindRun, suggested_lr: fx.suggestedLr });
    const own = (await srv.get(`/api/runs/${fx.lrFindRun}/metrics`)).body;
    expect(own.checkpoint).toBeNull();
    expect(own.charts[0].title).toBe('Learning-rate search: loss against lr');
    for (const spec of [train.charts.at(-1).spec, own.charts[0].spec]) {
      expect(spec.layer[0].encoding.x.scale).toEqual({ type: 'log' });
      expect(spec.datasets.marks).toEqual([{ x: fx.suggestedLr, label: 'suggested lr 0.00032' }]);
      const loss = spec.datasets.series.filter((r: { series: string }) => r.series === 'loss');
      expect(loss).toHaveLength(40);
      // x is the step's lr, not the step
      expect(loss[0].x).toBeCloseTo(1e-6, 15);
      expect(loss.at(-1).x).toBeCloseTo(1, 12);
    }
    // a run without a search of its name has none
    expect((await srv.get(`/api/runs/${fx.looseEdcRun}/metrics`)).body.lr_find).toBeNull();
  });
});

describe('EDC browser', () => {
  it('offers the selections present, in the paper’s order', async () => {
    const o = (await srv.get('/api/edc/options')).body;
    expect(o.empty).toBe(false);
    expect(o.datasets).toEqual(['lfw', 'cplfw', '']);
    expect(o.fr_models).toEqual(['adaface', 'cosface', '']);
    expect(o.conditions).toEqual(['proper', 'landmark-jitter', '']);
    expect(o.methods).toEqual(['serfiq', 'crfiqa', 'aikd(serfiq)']);
    expect(o.modes).toEqual(['iso', 'recomputed']);
    expect(o.settings).toEqual([{ error: 'fnmr', op: 'fmr', op_value: 0.001, pair_quality: 'min' }]);
    expect(o.discard_limits).toEqual([0.2, 0.3]);
    expect(o.experiments.map((e: { id: string }) => e.id)).toEqual([fx.experiment, fx.oldExperiment]);
    const old = (await srv.get(`/api/edc/options?experiment=${fx.oldExperiment}`)).body;
    expect([old.datasets, old.methods]).toEqual([['lfw'], ['serfiq', 'crfiqa']]);
  });

  for (const mode of ['iso', 'recomputed'] as const)
    it(`gives each method's latest curve with its stored areas (${mode})`, async () => {
      const { status, body } = await srv.get(edcPath({ dataset: 'lfw', fr_model: 'adaface', condition: 'proper', mode }));
      expect(status).toBe(200);
      expect(body.curves.map((c: { method: string }) => c.method)).toEqual(['serfiq', 'crfiqa', 'aikd(serfiq)']);
      for (const c of body.curves) {
        const r = result('lfw', 'adaface', 'proper', c.method, mode);
        // the main experiment's run, not the older one holding serfiq / crfiqa too
        expect(c.run_id).toBe(fx.edcRuns.get('lfw|adaface|proper'));
        expect(c).toMatchObject({ interpolation: r.interpolation, error_at_0: r.errorAt0, threshold: r.threshold, n_mated: 600, n_nonmated: 900, n_points: r.points.discardFraction.length });
        expect(c.limits).toEqual(
          [0.2, 0.3].map((l) => ({ discard_limit: l, pauc: r.pauc[String(l)], pauc_norm: r.paucNorm[String(l)], pauc_norm_ci: r.intervals!.paucNorm[String(l)], theoretical_best: r.theoreticalBest[String(l)] })),
        );
        const [lo, hi] = r.intervals!.paucNorm['0.3']!;
        expect(c.label).toBe(`${c.method} (pAUC_norm@0.3 ${r.paucNorm['0.3']!.toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}])`);
        expect(c.bootstrap).toEqual({ unit: 'identity', replicates: REPLICATES, level: 0.95 });
      }
      const spec = body.spec;
      const curveLayer = mode === 'iso' ? 'edc_curve' : 'edc_curve_linear';
      expect(spec.layer.map((l: { name: string }) => l.name)).toEqual([curveLayer, 'edc_starting_error', 'edc_theoretical_best', 'edc_pauc_limit', 'edc_hover']);
      // every point sent is a point of the stored curve; the first and last are always there
      for (const c of body.curves) {
        const r = result('lfw', 'adaface', 'proper', c.method, mode);
        const sent = spec.datasets.curves.filter((p: { curve: string }) => p.curve === c.label);
        const n = r.points.discardFraction.length;
        if (mode === 'recomputed') expect(sent).toHaveLength(n); // 20 grid points: nothing thinned
        else expect(sent.length).toBeLessThanOrEqual(401);
        expect(sent[0]).toMatchObject({ x: 0, y: Number(r.errorAt0.toPrecision(8)), remaining: 600 });
        expect(sent.at(-1)).toMatchObject({ x: Number(r.points.discardFraction[n - 1]!.toPrecision(8)), remaining: r.points.remaining[n - 1] });
        const real = new Set([...r.points.discardFraction.keys()].map((i) => `${Number(r.points.discardFraction[i]!.toPrecision(8))}|${r.points.remaining[i]}`));
        expect(sent.every((p: { x: number; remaining: number }) => real.has(`${p.x}|${p.remaining}`))).toBe(true);
      }
      // a valid vega-lite spec whose SVG has one curve mark group per method
      const svg = await chartToSvg(spec);
      expect(svg.match(new RegExp(`class="mark-line role-mark ${curveLayer}_marks"`, 'g'))).toHaveLength(3);
      expect(svg.match(/class="mark-rule role-mark edc_starting_error_marks"/g)).toHaveLength(1);
    });

  it('gives every method of the scope its own stable colour, and draws bootstrap bands on request', async () => {
    const all = (await srv.get(edcPath({ dataset: 'lfw', fr_model: 'adaface', condition: 'proper' }))).body;
    const one = (await srv.get(edcPath({ dataset: 'lfw', fr_model: 'adaface', condition: 'proper', methods: 'aikd(serfiq)' }))).body;
    expect(new Set(Object.values(all.styles).map((s) => JSON.stringify(s))).size).toBe(3);
    expect(one.styles['aikd(serfiq)']).toEqual(all.styles['aikd(serfiq)']); // the same whatever else is selected
    expect(all.has_bands).toBe(false);
    const banded = (await srv.get(edcPath({ dataset: 'lfw', fr_model: 'adaface', condition: 'proper', mode: 'recomputed', bands: '1' }))).body;
    expect(banded.has_bands).toBe(true);
    expect(banded.spec.layer[0].name).toBe('edc_band_linear');
    const r = result('lfw', 'adaface', 'proper', 'serfiq', 'recomputed');
    const band = banded.spec.datasets.bands.filter((b: { curve: string }) => b.curve === banded.curves[0].label);
    expect(band).toHaveLength(20); // the grid
    expect(band[0].lo).toBeCloseTo(r.intervals!.band.lo[0]!, 7);
    const svg = await chartToSvg(banded.spec);
    expect(svg.match(/class="mark-area role-mark edc_band_linear_marks"/g)).toHaveLength(3);
  });

  it('thins long iso curves to about the number of points asked for', async () => {
    const body = (await srv.get(edcPath({ dataset: 'cplfw', fr_model: 'cosface', condition: 'landmark-jitter', methods: 'crfiqa', points: '50' }))).body;
    const r = result('cplfw', 'cosface', 'landmark-jitter', 'crfiqa', 'iso');
    expect(r.points.discardFraction.length).toBeGreaterThan(400);
    const xs = body.spec.datasets.curves.map((p: { x: number }) => p.x);
    expect(xs.length).toBeGreaterThan(40);
    expect(xs.length).toBeLessThanOrEqual(51);
    // at most one point per 1/50 of the discard axis, besides the last
    const bins = xs.slice(0, -1).map((x: number) => Math.floor(x * 50));
    expect(new Set(bins).size).toBe(bins.length);
  });

  it('keeps the requested method order and says which methods have no curve', async () => {
    const body = (await srv.get(edcPath({ dataset: 'lfw', fr_model: 'cosface', condition: 'landmark-jitter', methods: 'aikd(serfiq),serfiq,magface' }))).body;
    expect(body.curves.map((c: { method: string }) => c.method)).toEqual(['aikd(serfiq)', 'serfiq']);
    expect(body.missing_methods).toEqual(['magface']);
    expect(body.curves[0].limits[1].pauc_norm).toBe(result('lfw', 'cosface', 'landmark-jitter', 'aikd(serfiq)', 'iso').paucNorm['0.3']);
  });

  it('scopes to an experiment (its runs and their descendants)', async () => {
    const body = (await srv.get(edcPath({ dataset: 'lfw', fr_model: 'adaface', condition: 'proper', experiment: fx.oldExperiment, limit: '0.2' }))).body;
    expect(body.curves.map((c: { method: string; run_id: string }) => [c.method, c.run_id])).toEqual([
      ['serfiq', fx.oldEdcRun],
      ['crfiqa', fx.oldEdcRun],
    ]);
    const old = fx.oldResults.get(curveKey('lfw', 'adaface', 'proper', 'serfiq', 'iso'))!;
    expect(body.curves[0].limits.map((l: { pauc_norm: number }) => l.pauc_norm)).toEqual([old.paucNorm['0.2'], old.paucNorm['0.3']]);
    expect(body.curves[0].label).toMatch(new RegExp(`^serfiq \\(pAUC_norm@0\\.2 ${old.paucNorm['0.2']!.toFixed(3)} \\[`));
  });

  it('selects results recorded without dataset, FR model and condition with ""', async () => {
    const body = (await srv.get('/api/edc?dataset=&fr_model=&condition=')).body;
    expect(body.curves.map((c: { method: string; run_id: string }) => [c.method, c.run_id])).toEqual([['serfiq', fx.looseEdcRun]]);
    expect(body.curves[0].limits[1].pauc_norm).toBe(fx.results.get(curveKey(null, null, null, 'serfiq', 'iso'))!.paucNorm['0.3']);
  });

  it('answers a selection without curves with an empty list', async () => {
    const { status, body } = await srv.get(edcPath({ dataset: 'lfw', fr_model: 'adaface', condition: 'detector-swap' }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ empty: false, curves: [], spec: null });
  });
});

describe('pAUC tables', () => {
  it('lays out FR model × method against datasets + mean, with the paper beside ours', async () => {
    const t = (await srv.get('/api/pauc')).body;
    expect(t.setting).toMatchObject({ condition: 'proper', mode: 'iso', op_value: 0.001, discard_limit: 0.3 });
    expect(t.paper.applies).toBe(true);
    expect(t.datasets).toEqual([
      { id: 'lfw', name: 'LFW' },
      { id: 'cplfw', name: 'CPLFW' },
    ]);
    expect(t.rows.map((r: { fr_model: string; method_name: string }) => `${r.fr_model}/${r.method_name}`)).toEqual([
      'adaface/SER-FIQ',
      'adaface/CR-FIQA',
      'adaface/AI-KD(SER-FIQ)',
      'cosface/SER-FIQ',
      'cosface/CR-FIQA',
      'cosface/AI-KD(SER-FIQ)',
    ]);
    for (const row of t.rows) {
      const ours = DATASETS.map((d) => result(d, row.fr_model, 'proper', row.method, 'iso').paucNorm['0.3']!);
      const paper = DATASETS.map((d) => paperValue('proper', row.fr_model, row.method, d)!);
      expect(row.cells.map((c: { ours: number }) => c.ours)).toEqual(ours);
      expect(row.cells.map((c: { paper: number }) => c.paper)).toEqual(paper);
      expect(row.mean.ours).toBeCloseTo((ours[0]! + ours[1]!) / 2, 14);
      expect(row.mean.paper).toBeCloseTo((paper[0]! + paper[1]!) / 2, 14);
    }
    expect(t.rows[0].cells[0].paper).toBe(0.897); // AdaFace, SER-FIQ, LFW in the paper's Table A
    // intervals and the comparison with the paper's value
    const c = t.rows[0].cells[0];
    expect(c.ci).toEqual(result('lfw', 'adaface', 'proper', 'serfiq', 'iso').intervals!.paucNorm['0.3']);
    expect(c.vsPaper.diff).toBeCloseTo(c.ours - 0.897, 14);
    expect(c.vsPaper.inside).toBe(c.ci[0] <= 0.897 && 0.897 <= c.ci[1]);
    expect(t.bootstrap).toEqual({ unit: 'identity', replicates: REPLICATES, level: 0.95 });
    // the published table's problems come along: SER-FIQ = SDD-FIQA in all 8 blocks
    expect(t.paper.checks.filter((i: { kind: string }) => i.kind === 'identical_rows')).toHaveLength(8);
    // the chart: a point and an error bar per method × FR model × (dataset | mean)
    const svg = await chartToSvg(t.spec);
    expect(svg.match(/class="mark-rule role-mark pauc_errorbar_marks"/g)).toHaveLength(3); // 2 datasets + mean
    const errorbars = svg.split('pauc_errorbar_marks')[1]!.split('</g>')[0]!;
    expect(errorbars.match(/<line/g)).toHaveLength(6); // one per method × FR model in the first panel
    expect(t.spec.data.values).toHaveLength(6 * 3);
  });

  it('ranks honestly within an FR model: 1 + the methods significantly better, shared ranks flagged', async () => {
    const t = (await srv.get('/api/pauc?condition=landmark-jitter&mode=recomputed')).body;
    expect(t.ranking).toBe('significance');
    let separated = 0;
    for (const fr of FR_MODELS) {
      const block = t.rows.filter((r: { fr_model: string }) => r.fr_model === fr);
      expect(block).toHaveLength(3);
      for (let j = 0; j <= DATASETS.length; j++) {
        const cells = block.map((r: { cells: unknown[]; mean: unknown }) => (j < DATASETS.length ? r.cells[j] : r.mean)) as { ours: number; rank: number; shared: boolean; ci: [number, number] }[];
        const sorted = [...cells].sort((a, b) => a.ours - b.ours);
        // the lowest value ranks 1; ranks never decrease with the value; shared means another cell has the rank
        expect(sorted[0]!.rank).toBe(1);
        for (let k = 1; k < 3; k++) expect(sorted[k]!.rank).toBeGreaterThanOrEqual(sorted[k - 1]!.rank);
        for (const c of cells) expect(c.shared).toBe(cells.filter((x) => x.rank === c.rank).length > 1);
        if (!sorted[0]!.shared) separated++;
      }
    }
    // misaligned, the student's quality is far less noisy than SER-FIQ's: somewhere it is best outright
    expect(separated).toBeGreaterThan(0);
    // the misaligned table of the paper
    expect(t.rows[0].cells[0].paper).toBe(paperValue('landmark-jitter', 'adaface', 'serfiq', 'lfw'));
  });

  it("shows the paper's values only at its setting", async () => {
    const t = (await srv.get('/api/pauc?discard_limit=0.2')).body;
    expect(t.paper.applies).toBe(false);
    expect(t.rows.flatMap((r: { cells: { paper: number | null }[] }) => r.cells.map((c) => c.paper)).every((p: number | null) => p === null)).toBe(true);
    expect(t.rows[0].cells[0].ours).toBe(result('lfw', 'adaface', 'proper', 'serfiq', 'iso').paucNorm['0.2']);
  });

  it('leaves the mean empty when a row lacks a dataset (old experiment: LFW only)', async () => {
    const t = (await srv.get(`/api/pauc?experiment=${fx.oldExperiment}`)).body;
    expect(t.datasets.map((d: { id: string }) => d.id)).toEqual(['lfw']);
    expect(t.rows.map((r: { method: string }) => r.method)).toEqual(['serfiq', 'crfiqa']);
    expect(t.rows[0].cells[0].ours).toBe(fx.oldResults.get(curveKey('lfw', 'adaface', 'proper', 'serfiq', 'iso'))!.paucNorm['0.3']);
    expect(t.rows[0].mean.ours).toBe(t.rows[0].cells[0].ours);
  });

  it('downloads the same table as CSV', async () => {
    const json = (await srv.get('/api/pauc?condition=landmark-jitter')).body;
    const csv = await srv.get('/api/pauc?condition=landmark-jitter&format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename=pauc_landmark-jitter_iso_fmr0.001_L0.3.csv');
    const [header, ...lines] = csv.text.trim().split('\n');
    expect(header).toBe('fr_model,method,lfw,cplfw,mean,lfw_lo,lfw_hi,lfw_rank,cplfw_lo,cplfw_hi,cplfw_rank,mean_lo,mean_hi,mean_rank,paper_lfw,paper_cplfw,paper_mean');
    expect(lines).toHaveLength(6);
    lines.forEach((line, i) => {
      const f = line.split(',');
      const row = json.rows[i];
      const all = [...row.cells, row.mean] as { ours: number; ci: [number, number]; rank: number; shared: boolean; paper: number }[];
      expect(f.slice(0, 2)).toEqual([row.fr_model, row.method]);
      expect(f.slice(2, 5).map(Number)).toEqual(all.map((c) => c.ours));
      expect(f.slice(5, 14)).toEqual(all.flatMap((c) => [String(c.ci[0]), String(c.ci[1]), `${c.rank}${c.shared ? '=' : ''}`]));
      expect(f.slice(14).map(Number)).toEqual(all.map((c) => c.paper));
    });
  });
});

describe('agreement across FR models', () => {
  it("Kendall τ-b between the FR models' method rankings per condition × dataset, with intervals", async () => {
    const { status, body } = await srv.get(`/api/agreement?experiment=${fx.experiment}`);
    expect(status).toBe(200);
    expect(body.agreement.map((a: { condition: string; dataset: string }) => `${a.condition}/${a.dataset}`)).toEqual(['proper/lfw', 'proper/cplfw', 'landmark-jitter/lfw', 'landmark-jitter/cplfw']);
    for (const a of body.agreement) {
      expect(a.methods).toEqual(['serfiq', 'crfiqa', 'aikd(serfiq)']);
      expect(a.pairs).toHaveLength(1);
      const p = a.pairs[0];
      expect([p.a, p.b]).toEqual(['adaface', 'cosface']);
      // τ-b by hand: concordant minus discordant pairs of methods, over 3 pairs (no ties in continuous values)
      const v = (fr: string, m: string) => result(a.dataset, fr, a.condition, m, 'iso').paucNorm['0.3']!;
      let s = 0;
      for (const [i, j] of [[0, 1], [0, 2], [1, 2]] as const) s += Math.sign((v('adaface', a.methods[i]) - v('adaface', a.methods[j])) * (v('cosface', a.methods[i]) - v('cosface', a.methods[j])));
      expect(p.tau).toBeCloseTo(s / 3, 12);
      expect(a.mean.tau).toBe(p.tau);
      expect(p.ci[0]).toBeLessThanOrEqual(p.ci[1]);
    }
    const svg = await chartToSvg(body.spec);
    expect(svg).toMatch(/agreement_cell_marks/);
  });
});

describe('compare', () => {
  it('puts two experiments side by side: parameters and pAUC per curve', async () => {
    const { status, body } = await srv.get(`/api/compare?a=${fx.experiment}&b=${fx.oldExperiment}`);
    expect(status).toBe(200);
    expect(body.a).toMatchObject({ id: fx.experiment, kind: 'experiment', name: 'paper-small' });
    expect(body.params.find((p: { key: string }) => p.key === 'name')).toEqual({ key: 'name', a: 'paper-small', b: 'quickstart', same: false });
    expect(body.params.find((p: { key: string }) => p.key === 'edc.modes')).toEqual({ key: 'edc.modes', a: '["iso","recomputed"]', b: null, same: false });
    const both = body.pauc.filter((p: { a: number | null; b: number | null }) => p.a !== null && p.b !== null);
    expect(both).toHaveLength(2 * 2 * 2); // serfiq, crfiqa × iso, recomputed × L 0.2, 0.3
    for (const p of both) {
      expect(p.a).toBe(result('lfw', 'adaface', 'proper', p.method, p.mode).paucNorm[String(p.discard_limit)]);
      expect(p.b).toBe(fx.oldResults.get(curveKey('lfw', 'adaface', 'proper', p.method, p.mode))!.paucNorm[String(p.discard_limit)]);
    }
    expect(body.pauc).toHaveLength(8 * 3 * 2 * 2); // every curve of the main experiment, those of the old one among them
  });

  it('overlays the metric series of two runs', async () => {
    const body = (await srv.get(`/api/compare?a=${fx.trainRun}&b=${fx.trainRun}`)).body;
    expect(body.params.every((p: { same: boolean }) => p.same)).toBe(true);
    expect(body.metrics.find((m: { name: string }) => m.name === 'val_loss')).toEqual({ name: 'val_loss', a: fx.metrics.get('val_loss')!.at(-1)![1], b: fx.metrics.get('val_loss')!.at(-1)![1] });
    const val = body.charts.find((c: { title: string }) => c.title === 'Quality loss (training and validation)').spec.datasets.series;
    expect(new Set(val.map((r: { series: string }) => r.series))).toEqual(new Set(['loss_quality · A', 'loss_quality · B', 'val_loss_quality · A', 'val_loss_quality · B']));
  });

  it('flattens nested parameters into dotted keys', () => {
    expect(flatten({ a: { b: 1, c: { d: 'x' } }, e: [1, 2], f: null, g: {} })).toEqual([
      ['a.b', 1],
      ['a.c.d', 'x'],
      ['e', '[1,2]'],
      ['f', null],
      ['g', '{}'],
    ]);
  });
});

describe('sensitivity', () => {
  it('offers the procedures and settings present', async () => {
    const o = (await srv.get('/api/sensitivity/options')).body;
    expect(o).toMatchObject({ empty: false, datasets: ['lfw'], fr_models: ['adaface', 'cosface'], procedures: ['bbox', 'detector-swap', 'landmark-jitter'], fmrs: [0.001], discard_limits: [0.2, 0.3], modes: ['iso'] });
  });

  it('gives the alignment stability of the selection, each teacher followed by its students', async () => {
    const body = (await srv.get('/api/sensitivity?dataset=lfw&fr_model=adaface&discard_limit=0.2')).body;
    expect(body.stability.map((r: { method: string; role: string }) => [r.method, r.role])).toEqual([
      ['crfiqa', 'method'],
      ['serfiq', 'teacher'],
      ['aikd(serfiq)', 'student'],
    ]);
    for (const r of body.stability) {
      const want = fx.stabilityRows.find((x) => x.method === r.method && x.fr_model === 'adaface' && x.discard_limit === 0.2)!;
      for (const k of ['teacher', 'images', 'spearman_teacher', 'spearman_self', 'mean_abs_shift', 'shift_scale', 'pauc_norm_proper', 'pauc_norm_misaligned', 'delta_pauc_norm', 'delta_lo', 'delta_hi'] as const) expect(r[k], k).toBe(want[k]);
    }
    // the student is measured against its teacher's aligned quality, the teacher against itself
    const [, teacher, student] = body.stability;
    expect(teacher.spearman_teacher).toBe(teacher.spearman_self);
    expect(student.spearman_teacher).not.toBe(student.spearman_self);
    // Δ pAUC_norm per method × FR model with its interval, methods in the table's order
    const chart = body.stability_chart.spec;
    expect(chart.spec.layer[0].encoding.x.sort).toEqual(['crfiqa', 'serfiq', 'aikd(serfiq)']);
    const bars = chart.data.values.map((v: { method: string; fr_model: string; value: number; lo: number; hi: number }) => [v.method, v.fr_model, v.value, v.lo, v.hi]);
    expect(bars).toHaveLength(3 * 2);
    for (const w of fx.stabilityRows.filter((x) => x.discard_limit === 0.2)) expect(bars).toContainEqual([w.method, w.fr_model, w.delta_pauc_norm, w.delta_lo, w.delta_hi]);
    // a selection without stability rows has none
    const none = (await srv.get('/api/sensitivity?dataset=cplfw&fr_model=adaface')).body;
    expect([none.stability, none.stability_chart]).toEqual([[], null]);
  });

  it('plots pAUC_norm and Spearman ρ against the jitter strength per method', async () => {
    const { status, body } = await srv.get('/api/sensitivity?dataset=lfw&fr_model=adaface');
    expect(status).toBe(200);
    expect(body.rows).toHaveLength(METHODS.length * (JITTER.length + 2));
    expect(body.charts.map((c: { title: string }) => c.title)).toEqual(['pAUC_norm — landmark-jitter', 'Spearman ρ — landmark-jitter']);
    for (const [i, field] of [[0, 'pauc_norm'], [1, 'spearman_rho']] as const) {
      const rows = body.charts[i].spec.datasets.series;
      for (const m of METHODS) {
        const expected = fx.sensitivityRows.filter((r) => r.method === m && r.procedure === 'landmark-jitter').map((r) => [r.strength, r[field]]);
        expect(rows.filter((r: { series: string }) => r.series === m).map((r: { x: number; y: number }) => [r.x, r.y])).toEqual(expected);
      }
    }
    // p = 0 is the aligned image itself: ρ = 1
    expect(body.charts[1].spec.datasets.series.filter((r: { x: number }) => r.x === 0).map((r: { y: number }) => r.y)).toEqual([1, 1, 1]);
    expect(body.fixed.map((r: { method: string; procedure: string }) => `${r.procedure}/${r.method}`).sort()).toEqual(
      ['bbox', 'detector-swap'].flatMap((p) => METHODS.map((m) => `${p}/${m}`)).sort(),
    );
    const only = (await srv.get('/api/sensitivity?dataset=lfw&fr_model=adaface&methods=crfiqa')).body;
    expect(new Set(only.rows.map((r: { method: string }) => r.method))).toEqual(new Set(['crfiqa']));
  });
});

describe('hostile and malformed requests', () => {
  const base = 'dataset=lfw&fr_model=adaface&condition=proper';
  const cases: [string, number][] = [
    ['/api/runs/does-not-exist', 404],
    ["/api/runs/x'%3Bdrop%20view%20runs%3B--", 400],
    [`/api/runs/${'a'.repeat(5000)}`, 400],
    ['/api/runs/%E0%A4%A', 400],
    ['/api/runs/nope/metrics', 404],
    ['/api/runs?limit=1000000000', 400],
    ['/api/runs?limit=0', 400],
    ['/api/runs?limit=-1', 400],
    ['/api/runs?limit=abc', 400],
    ['/api/runs?limit=1e3', 400],
    ['/api/runs?offset=999999999999', 400],
    ['/api/runs?limit=1&limit=2', 400],
    ['/api/runs?kind[$ne]=x', 400],
    ['/api/runs?unknown=1', 400],
    ['/api/runs?sort=started_at;drop%20view%20runs', 400],
    ['/api/runs?order=sideways', 400],
    ['/api/runs?status=done', 400],
    ["/api/runs?kind=edc'%20or%20'1'='1", 400],
    [`/api/runs?q=${'x'.repeat(201)}`, 400],
    ['/api/runs?q=a%00b', 400],
    ['/api/runs?has_metrics=maybe', 400],
    ['/api/edc', 400],
    ["/api/edc?dataset=lfw'%20OR%201=1%20--&fr_model=adaface&condition=proper", 400],
    [`/api/edc?${base}&op_value=1e999`, 400],
    [`/api/edc?${base}&op_value=NaN`, 400],
    [`/api/edc?${base}&mode=both`, 400],
    [`/api/edc?${base}&points=999999999`, 400],
    [`/api/edc?${base}&methods=${Array.from({ length: 65 }, (_, i) => `m${i}`).join(',')}`, 400],
    [`/api/edc?${base}&methods=serfiq;drop`, 400],
    [`/api/edc?${base}&experiment=nope`, 404],
    ['/api/edc/options?experiment=nope', 404],
    ['/api/pauc?discard_limit=abc', 400],
    ['/api/pauc?format=xml', 400],
    ['/api/pauc?experiment=nope', 404],
    ['/api/compare?a=x', 400],
    ['/api/compare?a=nope&b=nope2', 404],
    ['/api/sensitivity?dataset=lfw', 400],
    ['/api/sensitivity?dataset=lfw&fr_model=adaface&fmr=x', 400],
    ['/api/sensitivity/options?experiment=nope', 404],
    ['/api/nope', 404],
    ['/vendor/..%2f..%2fpackage.json', 404],
    ['/vendor/vega.js', 404],
    ['/vendor/constructor', 404],
    ['/vendor/__proto__', 404],
    ['/vendor/toString', 404],
    ['/vendor/hasOwnProperty', 404],
  ];
  for (const [path, expected] of cases)
    it(`${path.slice(0, 90)} → ${expected}`, async () => {
      const r = await srv.get(path);
      expect(r.status).toBe(expected);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(typeof r.body.error).toBe('string');
      expect(r.text).not.toMatch(/\bat .*\(|node_modules|\.ts:\d+/);
    });

  it('refuses anything but GET (read-only)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await srv.get('/api/runs', { method });
      expect(r.status).toBe(405);
      expect(r.body.error).toMatch(/read-only/);
    }
  });

  it('keeps path traversal out of the static files', async () => {
    for (const path of ['/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/public/../src/app.ts']) {
      const r = await srv.get(path);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.text).not.toContain('createApp');
    }
  });

  it('treats injection text in a search as text: no match, nothing dropped', async () => {
    const r = await srv.get(`/api/runs?q=${encodeURIComponent("'); drop view runs; --")}`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(0);
    expect((await srv.get('/api/runs')).body.total).toBe(fx.runCount);
  });
});

describe('front-end files', () => {
  it('serves the page and vega from node_modules, with a strict content security policy', async () => {
    const page = await srv.get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    for (const f of ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js']) expect(page.text).toContain(`/vendor/${f}`);
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const versions = { 'vega.min.js': '6.4.0', 'vega-lite.min.js': '6.4.3', 'vega-embed.min.js': '7.1.0' };
    for (const [f, v] of Object.entries(versions)) {
      const js = await srv.get(`/vendor/${f}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect(js.text).toContain(v);
    }
    for (const f of ['/app.js', '/lib.js', '/style.css', '/views/edc.js']) expect((await srv.get(f)).status).toBe(200);
  });
});
