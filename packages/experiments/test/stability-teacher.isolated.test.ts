/**
 * How a student finds its teacher when the experiment names an already-trained `aikd:<run>` (no `teacher:` in the
 * file): from the run's student.json (labels' method and FR model, and the min-max range its labels were normalised
 * with). Without a student.json the row says so: no teacher, the shift in the student's own σ. Score tables written
 * as the units write them; numbers checked against a plain computation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { parseYamlConfig, rngFor } from '@aikd/core';
import { aikdMethod } from '@aikd/aikd/catalogue';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import { runsDir, withRun } from '@aikd/results';
import { experimentSchema, makePlan, unitRunId, type Plan } from '../src/index.ts';
import { alignmentStabilityRows } from '../src/stability.ts';

methodCatalogue.register(aikdMethod);

const root = mkdtempSync(join(tmpdir(), 'aikd-stability-teacher-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const yaml = (student: string) => `name: pretrained
datasets: [synth]
fr_models: [mobileface]
methods:
  - { id: embedding-norm, fr_model: mobileface }
  - { id: "${student}", name: student }
conditions: [proper, { procedure: landmark-jitter, params: { p: 3 }, seed: 7 }]
`;

const N = 40;
const ids = Array.from({ length: N }, (_, i) => `p${i % 8}/img${i}.png`);
/** Teacher raw qualities in [10, 30]; the student's on the normalised scale, noisier when misaligned. */
function qualities(method: string, condition: string): number[] {
  const latent = rngFor('latent');
  const base = ids.map(() => latent.next());
  const r = rngFor(method, condition);
  const noise = condition === 'proper' ? 0.05 : 0.2;
  return base.map((b) => (method === 'teacher' ? 10 + 20 * (b + noise * r.normal()) : b + noise * r.normal()));
}

function writeScores(plan: Plan, condition: string, label: string, q: number[]): void {
  const key = `score.synth.${condition}.${label}`;
  withRun({ kind: 'score', id: unitRunId(plan, key), parent: plan.id, name: key, root, params: { unit: key } }, (run) => {
    const t = new arrow.Table({ image_id: arrow.vectorFromArray(ids, new arrow.Utf8()), quality: arrow.vectorFromArray(q, new arrow.Float64()) });
    run.writeTable('scores', t, {});
  });
}

const rank = (x: number[]) => x.map((v) => x.filter((w) => w < v).length + (x.filter((w) => w === v).length + 1) / 2);
function rho(a: number[], b: number[]): number {
  const [ra, rb] = [rank(a), rank(b)];
  const m = (N + 1) / 2;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < N; i++) (ab += (ra[i]! - m) * (rb[i]! - m)), (aa += (ra[i]! - m) ** 2), (bb += (rb[i]! - m) ** 2);
  return ab / Math.sqrt(aa * bb);
}
const sd = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + (v - x.reduce((a, w) => a + w, 0) / N) ** 2, 0) / (N - 1));

function setUp(runId: string, studentJson: boolean) {
  const plan = makePlan(parseYamlConfig(yaml(`aikd:${runId}`), 'pretrained.yaml', experimentSchema));
  if (studentJson) {
    mkdirSync(join(runsDir(root), runId), { recursive: true });
    writeFileSync(join(runsDir(root), runId, 'student.json'), JSON.stringify({ labels: { method: 'embedding-norm', frModel: 'mobileface', min: 10, max: 30 } }));
  }
  const q = { t: qualities('teacher', 'proper'), tm: qualities('teacher', 'jitter'), s: qualities('student', 'proper'), sm: qualities('student', 'jitter') };
  writeScores(plan, 'proper', 'embedding-norm', q.t);
  writeScores(plan, 'landmark-jitter', 'embedding-norm', q.tm);
  writeScores(plan, 'proper', 'student', q.s);
  writeScores(plan, 'landmark-jitter', 'student', q.sm);
  const all = alignmentStabilityRows(plan, new Map(), root);
  // one row per method × EDC setting; the quality numbers repeat
  expect(all).toHaveLength(2 * plan.experiment.edc.modes.length * plan.experiment.edc.fmr.length * plan.experiment.edc.discard_limits.length);
  return { rows: all.filter((r, i) => all.findIndex((x) => x.method === r.method) === i), q };
}

describe('alignment stability of an already-trained student', () => {
  it('finds the teacher and the label range in the run’s student.json', () => {
    const { rows, q } = setUp('train-a', true);
    expect(rows.map((r) => [r.method, r.role, r.teacher])).toEqual([
      ['embedding-norm', 'teacher', null],
      ['student', 'student', 'embedding-norm'],
    ]);
    const s = rows[1]!;
    expect(s.spearman_teacher!).toBeCloseTo(rho(q.sm, q.t), 12);
    expect(s.spearman_self!).toBeCloseTo(rho(q.sm, q.s), 12);
    // the teacher's std in the student's (min-max normalised) scale: σ_t / (max − min)
    const shift = q.sm.reduce((a, v, i) => a + Math.abs(v - q.s[i]!), 0) / N;
    expect(s.mean_abs_shift!).toBeCloseTo(shift / (sd(q.t) / 20), 12);
    expect(s.shift_scale).toBe('teacher σ');
    // no EDC results given: pAUC columns empty, rows still there (one per mode × FMR × limit)
    expect(s).toMatchObject({ pauc_norm_proper: null, delta_pauc_norm: null, delta_lo: null });
  });

  it('without a student.json: no teacher, the shift in the student’s own σ', () => {
    const { rows, q } = setUp('train-b', false);
    const s = rows.find((r) => r.method === 'student')!;
    expect([s.role, s.teacher, s.spearman_teacher, s.shift_scale]).toEqual(['student', null, null, 'own σ']);
    expect(s.spearman_self!).toBeCloseTo(rho(q.sm, q.s), 12);
    expect(rows.find((r) => r.method === 'embedding-norm')!.role).toBe('method');
  });
});
