/**
 * Acceptance study on the demo dataset: does AI-KD(teacher) beat its teacher on misaligned images and stay no worse
 * on aligned ones (the paper's claim)? For each (backbone, teacher) pair:
 *   1. identity-disjoint split of the demo set (a fixed split seed; half of the identities are test identities);
 *   2. (a learned teacher such as `crfiqa` is first trained on the training identities only;) teacher labels on the
 *      training identities, AI-KD trained on them (one run per training seed; completed runs
 *      with the same configuration are reused);
 *   3. on the test identities, in two conditions — `proper` alignment and `landmark-jitter` p = 3 (fixed seed) —
 *      the FR model's comparisons of the dataset's pairs and each method's qualities of the same crops → EDC
 *      (FNMR at FMR 1e-3, pair quality = min) → pAUC_norm at discard 0.3 (and 0.2), lower = better.
 * The FR model of the comparisons is the backbone itself (the paper's "same-model" setting).
 *
 *   node --import tsx packages/aikd/scripts/demo-study.ts [--runs mobileface:serfiq,mobileface:faceqan]
 *        [--seeds 1,2,3] [--epochs 10] [--batch 16] [--lr 0.001] [--p 3] [--test-identities 0.5] [--labels-seed N]
 */
import { parseArgs } from 'node:util';
import * as arrow from 'apache-arrow';
import { initRuntime } from '@aikd/runtime';
import { configHash, log, textTable } from '@aikd/core';
import { openDataset, splitByIdentity, type Dataset } from '@aikd/datasets';
import { createProcedure } from '@aikd/alignment';
import { createRecognizer, embedDataset } from '@aikd/fr-models';
import { createQualityMethod, scoreDataset, trainMethod, learnedMethodIds, METHOD_TRAIN_RUN_KIND, type QualityMethod } from '@aikd/teachers';
import { computeEdc } from '@aikd/edc';
import { Run, listRuns } from '@aikd/results';
import { resolveTrainConfig, type TrainConfig } from '../src/train/config.ts';
import { trainAikd } from '../src/train/train.ts';
import { teacherLabels } from '../src/train/command.ts';
import { createAikdMethod } from '../src/method.ts';

declare module '@aikd/results' {
  interface ResultRows {
    /** `aikd_study`: this script's pAUC_norm per backbone × teacher × training seed × condition (columns vary). */
    aikd_study: Record<string, string | number | null>;
  }
}

const { values: a } = parseArgs({
  options: {
    runs: { type: 'string', default: 'mobileface:serfiq,mobileface:faceqan' },
    seeds: { type: 'string', default: '1' },
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '16' },
    lr: { type: 'string', default: '0.001' },
    p: { type: 'string', default: '3' },
    'test-identities': { type: 'string', default: '0.5' },
    'split-seed': { type: 'string', default: '2024' },
    'eval-seed': { type: 'string', default: '7' },
    dataset: { type: 'string', default: 'demo' },
    /** Seed of the teacher's labels on the training images (default: each run's training seed). */
    'labels-seed': { type: 'string' },
  },
});

const SPLIT_SEED = Number(a['split-seed']);
const EVAL_SEED = Number(a['eval-seed']);
const P = Number(a.p);
const TEST_FRACTION = Number(a['test-identities']);

function studyConfig(backbone: string, teacher: string, seed: number): TrainConfig {
  const c = resolveTrainConfig(undefined, {
    dataset: String(a.dataset),
    method: teacher,
    labelsFrModel: backbone,
    backbone,
    testIdentities: TEST_FRACTION,
    epochs: Number(a.epochs),
    batch: Number(a.batch),
    lr: Number(a.lr),
    p: P,
    seed,
    name: `demo-study ${backbone} ${teacher} seed ${seed}`,
  });
  c.data.split_seed = SPLIT_SEED;
  if (a['labels-seed'] !== undefined) c.labels.seed = Number(a['labels-seed']);
  return c;
}

/** A completed training run with exactly this configuration, if one exists. */
function existingRun(cfg: TrainConfig): string | undefined {
  const want = configHash(cfg);
  return listRuns()
    .filter((r) => r.kind === 'train' && r.status === 'completed' && configHash((r.params as { config?: unknown }).config) === want)
    .at(-1)?.id;
}

async function scores(ds: Dataset, method: QualityMethod, condition: 'proper' | 'landmark-jitter'): Promise<Map<string, number>> {
  const procedure = condition === 'proper' ? createProcedure('proper') : createProcedure('landmark-jitter', { p: P });
  const s = await scoreDataset(ds, method, { alignment: procedure, seed: EVAL_SEED });
  return new Map(s.ids.map((id, i) => [id, s.quality[i]!]));
}

function edcRow(ds: Dataset, emb: Map<string, Float32Array>, q: Map<string, number>, method: string) {
  const pairs = ds.pairs();
  const similarity = new Float64Array(pairs.length), mated = new Uint8Array(pairs.length);
  const qa = new Float64Array(pairs.length), qb = new Float64Array(pairs.length);
  pairs.forEach((p, i) => {
    const x = emb.get(p.a)!, y = emb.get(p.b)!;
    let dot = 0, nx = 0, ny = 0;
    for (let k = 0; k < x.length; k++) {
      dot += x[k]! * y[k]!;
      nx += x[k]! ** 2;
      ny += y[k]! ** 2;
    }
    similarity[i] = dot / Math.sqrt(nx * ny);
    mated[i] = p.mated ? 1 : 0;
    qa[i] = q.get(p.a)!;
    qb[i] = q.get(p.b)!;
  });
  const set = { similarity, mated, qualityA: qa, qualityB: qb };
  const iso = computeEdc(set, { discardLimits: [0.2, 0.3] }, method);
  const rec = computeEdc(set, { mode: 'recomputed', discardLimits: [0.3] }, method);
  return { pauc_norm_03: iso.paucNorm['0.3'] ?? NaN, pauc_norm_02: iso.paucNorm['0.2'] ?? NaN, pauc_norm_03_recomputed: rec.paucNorm['0.3'] ?? NaN, fnmr_at_0: iso.fnmrAt0, mated: iso.nMated, nonmated: iso.nNonmated };
}

await initRuntime();
const ds = await openDataset(String(a.dataset));
// the split aikd train, aikd teacher train and experiments make for (dataset, fraction, seed)
const split = splitByIdentity(ds, { testFraction: TEST_FRACTION, seed: SPLIT_SEED });
const test = split.test;
const seeds = String(a.seeds).split(',').map(Number);
log.info(`demo study: ${ds.images().length} images; test identities ${split.testIdentities.length} (${test.images().length} images, ${test.pairs().length} pairs: ${test.pairs().filter((p) => p.mated).length} mated); training identities ${new Set(split.train.images().map((r) => r.identity)).size} (${split.train.images().length} images)`);

/**
 * The teacher's method id: training-free methods as they are; a learned one (e.g. `crfiqa`) is first trained on the
 * training identities only (its own run; reused when one with the same settings exists) → `crfiqa:<run-id>`.
 */
async function teacherMethodId(teacher: string, backbone: string): Promise<string> {
  if (!learnedMethodIds().includes(teacher)) return teacher;
  const trainDs = split.train;
  const done = listRuns().filter((r) => {
    const p = r.params as { method?: string; dataset?: string; fr_model?: string; seed?: unknown };
    return r.kind === METHOD_TRAIN_RUN_KIND && r.status === 'completed' && p.method === teacher && p.dataset === trainDs.name && p.fr_model === backbone && p.seed === SPLIT_SEED;
  });
  if (done.length) return `${teacher}:${done.at(-1)!.id}`;
  const t = await trainMethod(teacher, { dataset: trainDs, frModel: backbone, seed: SPLIT_SEED, testIdentities: split.testIdentities });
  teacherRuns.push({ teacher, backbone, run: t.runId, dataset: trainDs.name });
  return t.methodId;
}

const teacherRuns: Record<string, unknown>[] = [];
const rows: Record<string, unknown>[] = [];
const trainRows: Record<string, unknown>[] = [];
for (const pair of String(a.runs).split(',')) {
  const [backbone, teacherName] = pair.split(':') as [string, string];
  const teacherId = await teacherMethodId(teacherName, backbone);
  const teacher = teacherName;
  // the runs
  const runIds: string[] = [];
  for (const seed of seeds) {
    const cfg = studyConfig(backbone, teacherId, seed);
    let id = existingRun(cfg);
    if (!id) {
      const { labels, info } = await teacherLabels(cfg, ds);
      const r = await trainAikd({ config: cfg, dataset: ds, labels, labelsInfo: info });
      r.models.dispose();
      id = r.run.id;
      trainRows.push({ backbone, teacher, seed, labels_seed: cfg.labels.seed ?? seed, run: id, steps: r.steps, best_val_loss: r.bestValLoss, best_step: r.bestStep, median_step_s: r.stepSeconds });
    } else trainRows.push({ backbone, teacher, seed, labels_seed: cfg.labels.seed ?? seed, run: id, reused: true });
    runIds.push(id);
  }
  // evaluation
  const rec = await createRecognizer(backbone);
  const teacherMethod = await createQualityMethod(teacherId, { frModel: backbone });
  for (const condition of ['proper', 'landmark-jitter'] as const) {
    const procedure = condition === 'proper' ? createProcedure('proper') : createProcedure('landmark-jitter', { p: P });
    const e = await embedDataset(test, rec, { alignment: procedure, seed: EVAL_SEED });
    const emb = new Map(e.ids.map((id, i) => [id, e.data.subarray(i * e.dim, (i + 1) * e.dim)]));
    rows.push({ backbone, teacher, condition, method: teacherId, ...edcRow(test, emb, await scores(test, teacherMethod, condition), teacherId) });
    for (const [k, id] of runIds.entries()) {
      const m = await createAikdMethod(id);
      rows.push({ backbone, teacher, condition, method: `AI-KD(${teacher}) seed ${seeds[k]}`, run: id, ...edcRow(test, emb, await scores(test, m, condition), m.id) });
      await m.dispose();
    }
  }
  await teacherMethod.dispose();
  await rec.dispose();
}

// summary: AI-KD (mean over seeds) − teacher, per backbone/teacher/condition
const summary: Record<string, unknown>[] = [];
for (const r of rows.filter((x) => !String(x.method).startsWith('AI-KD'))) {
  const students = rows.filter((x) => x.backbone === r.backbone && x.teacher === r.teacher && x.condition === r.condition && String(x.method).startsWith('AI-KD'));
  const mean = (k: string) => students.reduce((s, x) => s + (x[k] as number), 0) / students.length;
  summary.push({
    backbone: r.backbone,
    teacher: r.teacher,
    condition: r.condition,
    teacher_pauc_norm_03: r.pauc_norm_03,
    aikd_pauc_norm_03: mean('pauc_norm_03'),
    delta_03: mean('pauc_norm_03') - (r.pauc_norm_03 as number),
    teacher_pauc_norm_02: r.pauc_norm_02,
    aikd_pauc_norm_02: mean('pauc_norm_02'),
    delta_02: mean('pauc_norm_02') - (r.pauc_norm_02 as number),
    aikd_better_runs: students.filter((x) => (x.pauc_norm_03 as number) < (r.pauc_norm_03 as number)).length + ` of ${students.length}`,
  });
}

const run = Run.create({ kind: 'study', name: 'aikd demo study', params: { script: 'packages/aikd/scripts/demo-study.ts', args: a, split: { seed: SPLIT_SEED, test_identities: split.testIdentities, test_images: test.images().length, train_images: split.train.images().length }, eval_seed: EVAL_SEED, runs: trainRows, teacher_runs: teacherRuns } });
const cols = ['backbone', 'teacher', 'condition', 'method', 'pauc_norm_03', 'pauc_norm_02', 'pauc_norm_03_recomputed', 'fnmr_at_0', 'mated', 'nonmated'];
const table = new arrow.Table(Object.fromEntries(cols.map((c) => [c, arrow.vectorFromArray(rows.map((r) => (r[c] ?? null) as never))])));
run.writeTable('aikd_study', table, { method: 'aikd', fr_model: [...new Set(rows.map((r) => r.backbone))].join(','), alignment: 'proper,landmark-jitter', dataset: test.name, seed: EVAL_SEED });
run.finish({ summary });
console.log('\ntraining runs:');
console.log(textTable(trainRows));
console.log(`\npAUC_norm (FNM-EDC at FMR 1e-3, pair quality min; iso = fixed threshold, recomputed = CR-FIQA style), test identities of ${ds.name}; lower = better:`);
console.log(textTable(rows, cols));
console.log('\nAI-KD(teacher) − teacher (negative = AI-KD better; AI-KD averaged over training seeds):');
console.log(textTable(summary));
console.log(`\nstudy run: ${run.id} (${run.dir})`);
await ds.close();
