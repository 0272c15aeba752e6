/**
 * Two filter subsets of one dataset in one experiment are two datasets in the results: each evaluated cell writes
 * its own dataset key (the plan's) into edc_summary and edc_points, and the report has a column for each, with that
 * cell's own numbers (before, both wrote `synth` and the report showed one of them under that name).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Catalogue } from '@aikd/results';
import { buildReport, parsePlan, runExperiment, safeKey, unitTable, type Plan } from '../src/index.ts';
import { makeFixture, type Fixture } from './fixture.ts';

const EXPERIMENT = `name: subsets
seed: 2
datasets:
  - { name: synth, filter: ["identity=p0,p1,p2,p3"] }
  - { name: synth, filter: ["identity=p4,p5,p6,p7"] }
fr_models: [mobileface]
methods: [embedding-norm]
conditions: [proper]
edc:
  modes: [iso]
  fmr: [0.05]
  discard_limits: [0.3]
`;

let fx: Fixture;
let plan: Plan;
let root: string;
const saved = { ...process.env };
beforeAll(async () => {
  fx = await makeFixture();
  Object.assign(process.env, fx.env, { AIKD_BACKEND: 'wasm', CI: '1' });
  root = join(fx.dir, 'results-subsets');
  plan = parsePlan(EXPERIMENT, 'subsets.yaml');
  const r = await runExperiment(plan, { root });
  expect(r).toMatchObject({ failed: [], skipped: [], evaluated: true, status: 'completed' });
}, 300_000);
afterAll(() => {
  process.env = saved;
});

describe('two subsets of one dataset', () => {
  it('are two datasets in edc_summary and edc_points, each with its own cell’s numbers', async () => {
    const keys = ['synth[identity=p0,p1,p2,p3]', 'synth[identity=p4,p5,p6,p7]'];
    expect(plan.datasets.map((d) => d.key)).toEqual(keys);
    const cat = await Catalogue.open(root);
    try {
      const summary = await cat.query(`select dataset, n_mated, n_nonmated, pauc_norm from edc_summary order by dataset`);
      expect(summary.map((r) => r.dataset)).toEqual(keys);
      const points = await cat.query(`select distinct dataset from edc_points order by dataset`);
      expect(points.map((r) => r.dataset)).toEqual(keys);
      // each row counts the pairs of its own subset's comparisons
      for (const [i, ds] of plan.datasets.entries()) {
        const cmp = unitTable(plan, `embed.${safeKey(ds.key)}.proper.mobileface`, 'comparisons', root)!;
        const mated = cmp.getChild('mated')!.toArray() as ArrayLike<boolean>;
        const nMated = Array.from(mated).filter(Boolean).length;
        expect([Number(summary[i]!.n_mated), Number(summary[i]!.n_nonmated)]).toEqual([nMated, mated.length - nMated]);
      }

      const report = await buildReport(cat, plan.id);
      expect(report.tables).toHaveLength(1);
      expect(report.tables[0]!.datasets).toEqual(keys);
      const row = report.tables[0]!.rows.find((r) => r.method === 'embedding-norm')!;
      for (const [i, k] of keys.entries()) expect(row.cells[k]!.ours).toBe(summary[i]!.pauc_norm);
    } finally {
      cat.close();
    }
  });
});
