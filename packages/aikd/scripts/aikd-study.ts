/**
 * The controlled AI-KD study (issue 23): does a student trained on misaligned faces keep its teacher's quality of
 * the aligned face? One command, from an empty cache (the demo set is built on first use):
 *
 *   node --import tsx packages/aikd/scripts/aikd-study.ts --out packages/aikd/docs/study     (the full design below)
 *   … --seeds 1,2 --budget-minutes 30                                 (fewer seeds; stop training new cells after 30 min)
 *
 * Design (every axis a flag):
 *   teachers   SER-FIQ (T 30, as the quickstart), CR-FIQA (trained here on the training identities), embedding norm;
 *              all run on `--labels-fr-model` (faceres: the built-in model whose qualities track the demo set's
 *              degradations)
 *   student    mobileface + quality head (`--backbone`)
 *   depth      head | last-block | all                                 (`--train-depth`)
 *   label bank off | on (per_face 4)                                   (`data.augment`)
 *   seeds      1…5 (student initialisation, batch order and the training jitter; labels and bank use seed 0)
 *   curve      the label-bank learning curve: SER-FIQ, head only, per_face 1, 2, 8 besides the design's 0 and 4
 * Data: the demo set's identity-disjoint split (test fraction 0.5, split seed 1, as the quickstart): students and
 * the CR-FIQA teacher train on the training identities, everything is measured on the test identities.
 * Training budget: 10 epochs (the quickstart trains 20; 10 fits the 105 trainings in the hour), the same number of
 * optimizer steps with any bank (⌈epochs / (1 + per_face)⌉ epochs), so the bank changes what the student sees, not
 * how long it trains; a resumable checkpoint only at the end of a training.
 * Time: the teachers' scores, labels, label banks and the students' test crops are made once by the main process;
 * the trainings run in `--jobs` worker processes (tfjs trains on one core in Node), each scoring its students on
 * every condition right after training; a head-only student's embedding is the frozen FR model's, computed by ONNX
 * Runtime (checked against the student's own tfjs graph, recorded under `head_only_evaluation`).
 * Test conditions: proper, landmark-jitter p ∈ {1, 3, 5}, bbox, detector-swap (seed 7).
 *
 * Per model × condition, on the test identities (x = the aligned crop, x̃ = the crop of the condition):
 *   pAUC_norm (FNMR at FMR 1e-3, pair quality min, discard 0.3) in both EDC modes (iso, recomputed), comparisons by
 *     the frozen FR model (`--backbone`), 95 % identity-cluster bootstrap intervals (all models of a condition on
 *     the same resamples; a cell's interval is that of its seeds' mean);
 *   ρ(q(x̃), teacher(x))  Spearman of the model's quality of x̃ with the teacher's quality of x (teachers: their own);
 *   |Δq|                  mean |q(x̃) − q(x)| in teacher-normalised units (a student's output mapped back to the
 *                         teacher's scale by its label range, divided by the teacher's SD over the aligned test crops);
 *   cos                   mean cosine of the student's embedding of x̃ with the frozen FR model's embedding of x (for
 *                         the teacher rows: the frozen FR model's own embedding of x̃).
 * Cells average over seeds (± their SD). Output: a study run (`aikd_study` table, study.json) and, with `--out DIR`,
 * study.md (the tables) and study.svg / study.png (the plot).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isAbsolute, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import * as arrow from 'apache-arrow';
import { tf, initRuntime } from '@aikd/runtime';
import { cacheDir, configHash, fileSha256, log, markdownTable, textTable, writeJsonAtomic } from '@aikd/core';
import { openDataset, registerDatasetBuilder, splitByIdentity, type RawImage } from '@aikd/datasets';
import { alignDatasetInBatches, buildDemoDataset, createProcedure, type AlignmentProcedure } from '@aikd/alignment';
import { cosine, createRecognizer, cropsToPixels, embedDataset } from '@aikd/fr-models';
import { createQualityMethod, scoreDataset, spearman, trainMethod, METHOD_TRAIN_RUN_KIND } from '@aikd/teachers';
import { bootstrapEdc, percentileInterval, prepareEdc, writeChart, type ComparisonSet, type PreparedEdc } from '@aikd/edc';
import { Run, listRuns, runsDir } from '@aikd/results';
import { resolveTrainConfig, type TrainConfig } from '../src/train/config.ts';
import { trainAikd, type StudentInfo } from '../src/train/train.ts';
import { teacherLabels } from '../src/train/command.ts';
import { prepareTraining } from '../src/train/prepare.ts';
import { loadModel } from '../src/train/checkpoint.ts';
import { studentForward } from '../src/train/model.ts';
import { fitLinearProbe } from './linear-probe.ts';

declare module '@aikd/results' {
  interface ResultRows {
    /** `aikd_study`: one row per model (teacher, or student seed) × test condition (issue 23's study). */
    aikd_study: Record<string, string | number | null>;
  }
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const { values: a } = parseArgs({
  options: {
    teachers: { type: 'string', default: 'serfiq,crfiqa,embedding-norm' },
    'labels-fr-model': { type: 'string', default: 'faceres' },
    backbone: { type: 'string', default: 'mobileface' },
    depths: { type: 'string', default: 'head,last-block,all' },
    bank: { type: 'string', default: 'off,on' },
    'per-face': { type: 'string', default: '4' },
    seeds: { type: 'string', default: '1,2,3,4,5' },
    /** 10 (the quickstart trains 20): the full design's 105 trainings fit the hour on 2 cores. */
    epochs: { type: 'string', default: '10' },
    /** Validation every N steps (default 9: once per epoch of the demo's ~136 training images at batch 16; the
     * reference's 10 % of an epoch would validate after every step here and double the cost). */
    'val-every': { type: 'string', default: '9' },
    batch: { type: 'string', default: '16' },
    lr: { type: 'string', default: '0.001' },
    /** SER-FIQ's passes: 30, as the quickstart (the paper's 100 costs 3.3× the study's largest step here). */
    'serfiq-T': { type: 'string', default: '30' },
    'test-identities': { type: 'string', default: '0.5' },
    'split-seed': { type: 'string', default: '1' },
    'eval-seed': { type: 'string', default: '7' },
    conditions: { type: 'string', default: 'proper,landmark-jitter:1,landmark-jitter:3,landmark-jitter:5,bbox,detector-swap' },
    bootstrap: { type: 'string', default: '300' },
    /** Stop starting new trainings after this many minutes (cells not trained are listed as missing). */
    'budget-minutes': { type: 'string' },
    /**
     * `all` (default); `teachers`: only score the teachers on the test conditions (the cache the evaluation reads);
     * `train`: only train the missing students; `evaluate`: only evaluate completed students (train nothing).
     */
    stage: { type: 'string', default: 'all' },
    /** Training processes at once (tfjs-wasm trains on one core in Node): the cells are split over `--jobs` workers. */
    jobs: { type: 'string', default: String(availableParallelism()) },
    /** Internal: this process is worker k of N (`k/N`) of the training stage. */
    shard: { type: 'string' },
    /** The label-bank learning curve: extra bank sizes (variants per training face) for one teacher and depth. */
    'curve-sizes': { type: 'string', default: '1,2,8' },
    'curve-teacher': { type: 'string', default: 'serfiq' },
    'curve-depth': { type: 'string', default: 'head' },
    out: { type: 'string' },
  },
});

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const TEACHERS = list(a.teachers!);
const DEPTHS = list(a.depths!) as NonNullable<TrainConfig['model']['train_depth']>[];
const BANKS = list(a.bank!) as ('off' | 'on')[];
const JOBS = Math.max(1, Number(a.jobs));
const SHARD = a.shard ? (a.shard.split('/').map(Number) as [number, number]) : undefined;
if (SHARD && !(SHARD[1]! >= 1 && SHARD[0]! >= 0 && SHARD[0]! < SHARD[1]!)) throw new Error(`--shard: expected k/N with 0 ≤ k < N (got ${a.shard})`);
const CURVE_SIZES = list(a['curve-sizes']!).map(Number);
const CURVE_TEACHER = a['curve-teacher']!;
const CURVE_DEPTH = a['curve-depth']!;
const SEEDS = list(a.seeds!).map(Number);
const PER_FACE = Number(a['per-face']);
/** Bank sizes (variants per training face) of the design: 0 = bank off. */
const perFaceOf = (bank: 'off' | 'on') => (bank === 'on' ? PER_FACE : 0);
const bankLabel = (perFace: number) => (perFace === 0 ? 'off' : `${perFace}/face`);
/** The same number of optimizer steps with any bank size: ⌈epochs / (1 + per_face)⌉ epochs. */
const epochsFor = (perFace: number) => Math.max(1, Math.ceil(EPOCHS / (1 + perFace)));
const EPOCHS = Number(a.epochs);
const LABELS_FR = a['labels-fr-model']!;
const BACKBONE = a.backbone!;
const SPLIT_SEED = Number(a['split-seed']);
const EVAL_SEED = Number(a['eval-seed']);
const TEST_FRACTION = Number(a['test-identities']);
const B = Number(a.bootstrap);
const BUDGET_S = a['budget-minutes'] ? Number(a['budget-minutes']) * 60 : Infinity;
const LIMIT = 0.3;
const STAGE = a.stage as 'all' | 'teachers' | 'train' | 'evaluate';
if (!['all', 'teachers', 'train', 'evaluate'].includes(STAGE)) throw new Error(`--stage: expected all, teachers, train or evaluate (got ${STAGE})`);
// SER-FIQ's T = 100 (the paper's) is its default: no params, so the labels share the score cache with other runs
const teacherParams = (t: string): Record<string, unknown> => (t === 'serfiq' && Number(a['serfiq-T']) !== 100 ? { T: Number(a['serfiq-T']) } : {});

interface Condition {
  key: string;
  procedure: AlignmentProcedure;
}
const CONDITIONS: Condition[] = list(a.conditions!).map((c) => {
  const [name, p] = c.split(':');
  const procedure = name === 'landmark-jitter' ? createProcedure('landmark-jitter', { p: Number(p) }) : createProcedure(name as never);
  return { key: p ? `${name} p=${p}` : name!, procedure };
});
if (CONDITIONS[0]?.key !== 'proper' && STAGE !== 'teachers') throw new Error('--conditions must start with proper (x, the aligned crop)');

// this script is a composition root: the demo set is built on first use, as the CLI does
registerDatasetBuilder('demo', async () => {
  await buildDemoDataset({});
});
await initRuntime();
const ds = await openDataset('demo');
const split = splitByIdentity(ds, { testFraction: TEST_FRACTION, seed: SPLIT_SEED });
const test = split.test;
const testIds = test.images().map((r) => r.id);
log.info(`aikd study: test identities ${split.testIdentities.length} (${testIds.length} images, ${test.pairs().length} pairs), training images ${split.train.images().length}`);

// ---- teachers: training-free ones as they are; CR-FIQA trained on the training identities (reused when done)
async function teacherId(t: string): Promise<string> {
  if (t !== 'crfiqa') return t;
  const done = listRuns().filter((r) => {
    const p = r.params as { method?: string; dataset?: string; fr_model?: string; seed?: unknown };
    return r.kind === METHOD_TRAIN_RUN_KIND && r.status === 'completed' && p.method === t && p.dataset === split.train.name && p.fr_model === LABELS_FR && p.seed === SPLIT_SEED;
  });
  if (done.length) return `${t}:${done.at(-1)!.id}`;
  return (await trainMethod(t, { dataset: split.train, frModel: LABELS_FR, seed: SPLIT_SEED, testIdentities: split.testIdentities })).methodId;
}
const teacherIds = new Map<string, string>();
for (const t of TEACHERS) teacherIds.set(t, await teacherId(t));

/** Quality (and, for students, embeddings) of every test image per condition, in test order. */
interface ModelScores {
  label: string;
  teacher: string;
  kind: 'teacher' | 'student';
  cell?: Cell;
  run?: string;
  quality: Map<string, Float64Array>;
  embedding?: Map<string, Float32Array[]>;
}
const models: ModelScores[] = [];
const teacherSd = new Map<string, number>();
// the teachers on every test condition first (a `teachers` stage only fills the score cache)
if (STAGE !== 'train')
  for (const t of TEACHERS) {
  const m = await createQualityMethod(teacherIds.get(t)!, { frModel: LABELS_FR, params: teacherParams(t) });
  const quality = new Map<string, Float64Array>();
  for (const c of CONDITIONS) {
    const s = await scoreDataset(test, m, { alignment: c.procedure, seed: EVAL_SEED });
    const at = new Map(s.ids.map((id, i) => [id, i]));
    quality.set(c.key, Float64Array.from(testIds, (id) => s.quality[at.get(id)!]!));
  }
  await m.dispose();
  if (STAGE === 'teachers') continue;
  const q = quality.get('proper')!;
  const mean = q.reduce((s, x) => s + x, 0) / q.length;
  teacherSd.set(t, Math.sqrt(q.reduce((s, x) => s + (x - mean) ** 2, 0) / (q.length - 1)));
  models.push({ label: `teacher ${t}`, teacher: t, kind: 'teacher', quality });
}
if (STAGE === 'teachers') {
  log.info(`teachers scored on ${CONDITIONS.length} conditions (${Math.round((performance.now() - t0) / 1000)} s)`);
  process.exit(0);
}

// ---- students
interface Cell {
  teacher: string;
  depth: string;
  /** Label-bank variants per training face (0: no bank). */
  perFace: number;
  seed: number;
}
function studyConfig(c: Cell): TrainConfig {
  const cfg = resolveTrainConfig(undefined, {
    dataset: 'demo',
    method: teacherIds.get(c.teacher)!,
    labelsFrModel: LABELS_FR,
    backbone: BACKBONE,
    testIdentities: TEST_FRACTION,
    epochs: epochsFor(c.perFace),
    batch: Number(a.batch),
    lr: Number(a.lr),
    seed: c.seed,
    trainDepth: c.depth as never,
    valEvery: Number(a['val-every']),
    name: `aikd-study ${c.teacher}/${LABELS_FR} → ${BACKBONE} depth ${c.depth} bank ${bankLabel(c.perFace)} seed ${c.seed}`,
    ...(c.perFace > 0 ? { augmentPerFace: c.perFace } : {}),
  });
  cfg.data.split_seed = SPLIT_SEED;
  cfg.labels.seed = 0; // one set of labels and one label bank for every training seed
  cfg.labels.params = teacherParams(c.teacher);
  // a resumable checkpoint only at the end: a study cell is re-trained, not resumed, and 20 fsync'd checkpoints of
  // the whole student took as long as a fifth of a head-only training
  cfg.train.checkpoint_every = 1_000_000;
  return cfg;
}
const completedRun = (cfg: TrainConfig) => {
  const want = configHash(cfg);
  return listRuns()
    .filter((r) => r.kind === 'train' && r.status === 'completed' && configHash((r.params as { config?: unknown }).config) === want)
    .at(-1)?.id;
};
const cells: Cell[] = [];
// cheapest first (bank off before on, head before deeper), every seed of a cell before the next: with a budget, the
// cells that are trained have all their seeds
for (const bank of BANKS) for (const depth of DEPTHS) for (const seed of SEEDS) for (const teacher of TEACHERS) cells.push({ teacher, depth, perFace: perFaceOf(bank), seed });
// the learning curve: the bank sizes not in the design, for one teacher and depth (sizes 0 and PER_FACE are cells)
const curveSizes = TEACHERS.includes(CURVE_TEACHER) ? CURVE_SIZES.filter((n) => !cells.some((c) => c.teacher === CURVE_TEACHER && c.depth === CURVE_DEPTH && c.perFace === n)) : [];
for (const perFace of curveSizes) for (const seed of SEEDS) cells.push({ teacher: CURVE_TEACHER, depth: CURVE_DEPTH, perFace, seed });
const cellKey = (c: Cell) => `${c.teacher}/${c.depth}/bank-${bankLabel(c.perFace)}/seed ${c.seed}`;

// the test crops of every condition at the student's input size, aligned once per process
const { inputSize: studentSize, template: studentTemplate } = await createRecognizer(BACKBONE).then(async (r) => {
  const spec = r.spec;
  await r.dispose();
  return spec;
});
const studentCrops = new Map<string, RawImage[]>();
async function conditionCrops(c: Condition, template: unknown): Promise<RawImage[]> {
  const key = `${c.key}|${JSON.stringify(template)}`;
  if (!studentCrops.has(key)) {
    const crops: RawImage[] = new Array(testIds.length);
    await alignDatasetInBatches(test, c.procedure, { size: studentSize, seed: EVAL_SEED, template: template as never }, 32, async ({ indices, crops: cs }) => {
      indices.forEach((k, j) => (crops[k] = cs[j] as RawImage));
    });
    studentCrops.set(key, crops);
  }
  return studentCrops.get(key)!;
}

// a student's qualities and embeddings per condition are cached (key: run, its weights, test images, condition,
// seed): workers fill it right after training, the evaluation reads it
const studentCacheKey = (run: string, weights: string, c: Condition) =>
  configHash({ kind: 'aikd-study-student', run, weights, dataset: test.name, images: testIds, procedure: c.procedure.id, params: c.procedure.params, seed: EVAL_SEED });
// A head-only student's backbone is the frozen FR model: its embedding of a crop is the frozen model's, which ONNX
// Runtime computes ~6× faster than tfjs (cos ≥ 0.99999, fr-models' parity tests); only the quality head runs in
// tfjs. The first such student of a process is checked against its own full tfjs forward on the aligned crops.
let frozenRec: Awaited<ReturnType<typeof createRecognizer>> | undefined;
const headPathCheck: { run?: string; condition?: string; max_abs_dq_label_scale?: number; min_cos?: number } = {};
/** A student's own tfjs graph over crops: normalised qualities (label scale 0..1) and embeddings, in crop order. */
function tfjsForward(model: tf.LayersModel, crops: RawImage[]): { q: Float32Array; e: Float32Array[] } {
  const q = new Float32Array(crops.length);
  const e: Float32Array[] = new Array(crops.length);
  for (let i = 0; i < crops.length; i += 32) {
    const part = crops.slice(i, i + 32);
    const [es, qs] = tf.tidy(() => studentForward(model, cropsToPixels(part, studentSize)));
    const qv = qs.dataSync(), ev = es.dataSync() as Float32Array;
    tf.dispose([es, qs]);
    const d = ev.length / part.length;
    part.forEach((_, j) => {
      q[i + j] = qv[j]!;
      e[i + j] = ev.slice(j * d, (j + 1) * d);
    });
  }
  return { q, e };
}
/** The first head-only student's cached scores (ONNX path) against its own full tfjs graph on the aligned crops. */
async function checkHeadPath(run: string, scores: { quality: Map<string, Float64Array>; embedding: Map<string, Float32Array[]> }) {
  const dir = join(runsDir(), run);
  const info = JSON.parse(readFileSync(join(dir, 'student.json'), 'utf8')) as StudentInfo;
  const model = await loadModel(join(dir, 'student'));
  const c = CONDITIONS[0]!;
  const crops = await conditionCrops(c, info.backbone.template);
  const q = scores.quality.get(c.key)!, e = scores.embedding.get(c.key)!;
  const range = info.labels.max - info.labels.min;
  const own = tfjsForward(model, crops);
  model.dispose();
  let maxDq = 0, minCos = 1;
  own.q.forEach((qt, i) => {
    maxDq = Math.max(maxDq, Math.abs(info.labels.min + qt * range - q[i]!) / range);
    minCos = Math.min(minCos, cosine(own.e[i]!, e[i]!));
  });
  Object.assign(headPathCheck, { run, condition: c.key, max_abs_dq_label_scale: maxDq, min_cos: minCos });
  log.info(`head-only student ${run}: ONNX-embedding path vs its own tfjs graph on ${c.key}: max |Δq| ${maxDq.toExponential(2)} of the label range, min cos ${minCos.toFixed(7)}`);
  if (!(maxDq < 1e-3 && minCos > 0.9999)) throw new Error(`the head-only evaluation path disagrees with the student's own graph (max |Δq| ${maxDq}, min cos ${minCos})`);
}
function headQuality(model: tf.LayersModel, emb: Float32Array[]): Float32Array {
  const [fc1, gelu, fc2] = ['head.fc1', 'head.gelu', 'head.fc2'].map((n) => model.getLayer(n));
  const d = emb[0]!.length;
  const flat = new Float32Array(emb.length * d);
  emb.forEach((e, i) => flat.set(e, i * d));
  const q = tf.tidy(() => tf.reshape(fc2!.apply(gelu!.apply(fc1!.apply(tf.tensor2d(flat, [emb.length, d])))) as tf.Tensor, [-1]));
  const out = q.dataSync() as Float32Array;
  q.dispose();
  return out;
}
async function studentScores(run: string, depth: string): Promise<{ quality: Map<string, Float64Array>; embedding: Map<string, Float32Array[]> }> {
  const dir = join(runsDir(), run);
  const info = JSON.parse(readFileSync(join(dir, 'student.json'), 'utf8')) as StudentInfo;
  if (info.backbone.inputSize !== studentSize) throw new Error(`run ${run}: student input ${info.backbone.inputSize} px, expected ${studentSize} (${BACKBONE})`);
  const weights = (await fileSha256(join(dir, 'student', 'weights.bin'))).slice(0, 16);
  let model: tf.LayersModel | undefined;
  const quality = new Map<string, Float64Array>();
  const embedding = new Map<string, Float32Array[]>();
  for (const c of CONDITIONS) {
    const file = join(cacheDir('aikd-study'), `${studentCacheKey(run, weights, c)}.json`);
    if (existsSync(file)) {
      const cached = JSON.parse(readFileSync(file, 'utf8')) as { q: number[]; e: number[][] };
      quality.set(c.key, Float64Array.from(cached.q));
      embedding.set(c.key, cached.e.map((x) => Float32Array.from(x)));
      continue;
    }
    model ??= await loadModel(join(dir, 'student'));
    const crops = await conditionCrops(c, info.backbone.template);
    let out: { q: Float32Array; e: Float32Array[] };
    if (depth === 'head') {
      frozenRec ??= await createRecognizer(BACKBONE);
      const emb = await frozenRec.embed(crops);
      out = { q: headQuality(model, emb), e: emb };
    } else out = tfjsForward(model, crops);
    // back on the teacher's scale: labels were min-max normalised on the training split
    const q = Float64Array.from(out.q, (v) => info.labels.min + v * (info.labels.max - info.labels.min));
    const e = out.e;
    writeJsonAtomic(file, { q: Array.from(q), e: e.map((x) => Array.from(x)) });
    quality.set(c.key, q);
    embedding.set(c.key, e);
  }
  model?.dispose();
  return { quality, embedding };
}

const runOf = new Map<Cell, string>();
const trained: Record<string, unknown>[] = [];
const missing: Cell[] = [];
const trainStart = performance.now();
let workerSeconds: number[] = [];
if (STAGE === 'all' && JOBS > 1 && !SHARD) {
  // what every worker would otherwise make at the same time, made once here: each teacher's labels, the label banks
  // (made and scored once, cached by content) and the test crops of every condition at the student's size
  // (a bank holds the training faces of a seed's validation hold-out, so each seed's; its largest size contains the
  // smaller ones: variant k of a face is the same at every size)
  for (const t of TEACHERS) {
    const largest = Math.max(...cells.filter((c) => c.teacher === t).map((c) => c.perFace));
    const seeds = largest > 0 ? SEEDS : SEEDS.slice(0, 1);
    for (const seed of seeds) {
      const cfg = studyConfig({ teacher: t, depth: 'head', perFace: largest, seed });
      const { labels, info, teacher } = await teacherLabels(cfg, ds);
      if (largest === 0) continue;
      const p = await prepareTraining({ config: cfg, dataset: ds, labels, labelsInfo: info, teacher });
      p.models.dispose();
    }
  }
  for (const c of CONDITIONS) await conditionCrops(c, studentTemplate);
  studentCrops.clear();
  const todo = cells.filter((c) => !completedRun(studyConfig(c)));
  log.info(`aikd study: ${todo.length} of ${cells.length} student(s) to train, over ${JOBS} worker processes`);
  const script = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    Array.from({ length: JOBS }, (_, k) =>
      new Promise<number>((resolve, reject) => {
        const w0 = performance.now();
        const child = spawn(process.execPath, [...process.execArgv, script, ...process.argv.slice(2), '--stage', 'train', '--shard', `${k}/${JOBS}`], { stdio: ['ignore', 'inherit', 'inherit'] });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve((performance.now() - w0) / 1000) : reject(new Error(`training worker ${k}/${JOBS} exited with code ${code}`))));
      }),
    ),
  );
  workerSeconds = results.map((x) => Math.round(x));
}
for (const [i, c] of cells.entries()) {
  if (SHARD && i % SHARD[1] !== SHARD[0]) continue;
  const cfg = studyConfig(c);
  let id = completedRun(cfg);
  if (!id && (STAGE === 'all' || STAGE === 'train') && (performance.now() - trainStart) / 1000 < BUDGET_S) {
    const s = performance.now();
    const { labels, info, teacher } = await teacherLabels(cfg, ds);
    const r = await trainAikd({ config: cfg, dataset: ds, labels, labelsInfo: info, teacher });
    r.models.dispose();
    if (r.finished) id = r.run.id;
    trained.push({ ...c, run: r.run.id, steps: r.steps, best_step: r.bestStep, seconds: Math.round((performance.now() - s) / 1000) });
    log.info(`trained ${cellKey(c)} in ${Math.round((performance.now() - s) / 1000)} s`);
  }
  if (id) {
    runOf.set(c, id);
    // a worker scores its students on every condition now (the evaluation then reads the cache)
    if (SHARD) await studentScores(id, c.depth);
  } else missing.push(c);
}
const trainSeconds = (performance.now() - trainStart) / 1000;
if (STAGE === 'train') {
  log.info(`${SHARD ? `worker ${a.shard}: ` : ''}trained ${trained.length} student(s) in ${Math.round(trainSeconds)} s; ${missing.length} cell(s) not trained`);
  process.exit(0);
}

// ---- evaluation: the test identities in every condition
const rec = await createRecognizer(BACKBONE);
const pairs = test.pairs();
const idIndex = new Map(testIds.map((id, i) => [id, i]));
const identityCode = new Map<string, number>();
const code = (id: string) => {
  const p = test.image(id)?.identity ?? id;
  if (!identityCode.has(p)) identityCode.set(p, identityCode.size);
  return identityCode.get(p)!;
};
const pa = Int32Array.from(pairs, (p) => idIndex.get(p.a)!);
const pb = Int32Array.from(pairs, (p) => idIndex.get(p.b)!);
const mated = Uint8Array.from(pairs, (p) => (p.mated ? 1 : 0));
const identityA = Int32Array.from(pairs, (p) => code(p.a));
const identityB = Int32Array.from(pairs, (p) => code(p.b));

const embeddingsOf = async (c: Condition) => {
  const e = await embedDataset(test, rec, { alignment: c.procedure, seed: EVAL_SEED });
  const at = new Map(e.ids.map((id, i) => [id, i]));
  return testIds.map((id) => e.data.subarray(at.get(id)! * e.dim, (at.get(id)! + 1) * e.dim));
};
const frAligned = await embeddingsOf(CONDITIONS[0]!);

const frCondition = new Map<string, Float32Array[]>();
for (const c of CONDITIONS) frCondition.set(c.key, c.key === 'proper' ? frAligned : await embeddingsOf(c));

for (const [cell, run] of runOf) {
  const { quality, embedding } = await studentScores(run, cell.depth);
  if (cell.depth === 'head' && !headPathCheck.run) await checkHeadPath(run, { quality, embedding });
  models.push({ label: `student ${cell.teacher} ${cell.depth} bank-${bankLabel(cell.perFace)} seed ${cell.seed}`, teacher: cell.teacher, kind: 'student', cell, run, quality, embedding });
}

// ---- per model × condition: pAUC_norm (both modes, bootstrap replicates on shared resamples), stability
interface Row {
  model: ModelScores;
  condition: string;
  iso: number;
  rec: number;
  isoReps: Float64Array;
  recReps: Float64Array;
  rho: number;
  dq: number;
  cos: number;
}
const rows: Row[] = [];
for (const c of CONDITIONS) {
  const emb = frCondition.get(c.key)!;
  const similarity = Float64Array.from(pairs, (_, i) => cosine(emb[pa[i]!]!, emb[pb[i]!]!));
  const prepared: PreparedEdc[] = [];
  for (const m of models) {
    const q = m.quality.get(c.key)!;
    const set: ComparisonSet = { similarity, mated, identityA, identityB, qualityA: Float64Array.from(pa, (k) => q[k]!), qualityB: Float64Array.from(pb, (k) => q[k]!) };
    prepared.push(prepareEdc(set, { mode: 'iso', discardLimits: [LIMIT] }, m.label), prepareEdc(set, { mode: 'recomputed', discardLimits: [LIMIT] }, m.label));
  }
  const boot = bootstrapEdc(prepared, { replicates: B, seed: 0 });
  const teacherQ = new Map(models.filter((m) => m.kind === 'teacher').map((m) => [m.teacher, m.quality.get('proper')!]));
  models.forEach((m, k) => {
    const q = m.quality.get(c.key)!, q0 = m.quality.get('proper')!;
    const sd = teacherSd.get(m.teacher)!;
    let dq = 0;
    for (let i = 0; i < q.length; i++) dq += Math.abs(q[i]! - q0[i]!);
    const e = m.embedding?.get(c.key) ?? emb;
    let cs = 0;
    for (let i = 0; i < e.length; i++) cs += cosine(e[i]!, frAligned[i]!);
    rows.push({
      model: m,
      condition: c.key,
      iso: prepared[2 * k]!.result().paucNorm[String(LIMIT)] ?? NaN,
      rec: prepared[2 * k + 1]!.result().paucNorm[String(LIMIT)] ?? NaN,
      isoReps: boot.methods[2 * k]!.paucNorm[0]!,
      recReps: boot.methods[2 * k + 1]!.paucNorm[0]!,
      rho: spearman(q, teacherQ.get(m.teacher)!),
      dq: dq / q.length / sd,
      cos: cs / e.length,
    });
  });
  log.info(`evaluated ${c.key}: ${models.length} models, ${pairs.length} pairs, ${B} bootstrap replicates`);
}

// ---- cells: teachers, and students averaged over seeds (SD of seeds; interval of the seeds' mean from the replicates)
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => (xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)) : NaN);
const meanReps = (rs: Float64Array[]) => Float64Array.from(rs[0]!, (_, b) => mean(rs.map((r) => r[b]!)));
interface CellRow {
  teacher: string;
  model: string;
  depth: string;
  bank: string;
  per_face: number;
  seeds: number;
  condition: string;
  iso: number;
  iso_sd: number;
  iso_ci: [number, number] | null;
  rec: number;
  rec_sd: number;
  rec_ci: [number, number] | null;
  rho: number;
  rho_sd: number;
  rho_min: number;
  rho_max: number;
  dq: number;
  dq_sd: number;
  cos: number;
  cos_sd: number;
}
const cellRows: CellRow[] = [];
const groupKey = (m: ModelScores) => (m.kind === 'teacher' ? `${m.teacher}|teacher|-|-` : `${m.teacher}|student|${m.cell!.depth}|${m.cell!.perFace}`);
const groups = new Map<string, Row[]>();
for (const r of rows) {
  const k = `${groupKey(r.model)}|${r.condition}`;
  groups.set(k, [...(groups.get(k) ?? []), r]);
}
for (const [k, rs] of groups) {
  const [teacher, model, depth, perFace, condition] = k.split('|') as [string, string, string, string, string];
  const bank = model === 'teacher' ? '-' : bankLabel(Number(perFace));
  const f = (g: (r: Row) => number) => rs.map(g);
  cellRows.push({
    teacher, model, depth, bank, per_face: model === 'teacher' ? NaN : Number(perFace), condition, seeds: rs.length,
    iso: mean(f((r) => r.iso)), iso_sd: sd(f((r) => r.iso)), iso_ci: percentileInterval(meanReps(rs.map((r) => r.isoReps))),
    rec: mean(f((r) => r.rec)), rec_sd: sd(f((r) => r.rec)), rec_ci: percentileInterval(meanReps(rs.map((r) => r.recReps))),
    rho: mean(f((r) => r.rho)), rho_sd: sd(f((r) => r.rho)), rho_min: Math.min(...f((r) => r.rho)), rho_max: Math.max(...f((r) => r.rho)),
    dq: mean(f((r) => r.dq)), dq_sd: sd(f((r) => r.dq)),
    cos: mean(f((r) => r.cos)), cos_sd: sd(f((r) => r.cos)),
  });
}

// ---- a bound: how much of each teacher's ranking a linear read-out of the frozen FR model's embedding of x̃ can
// carry, with this training data. Ridge regression (standardised embeddings of the aligned training crops → the
// teacher's labels; λ chosen by 4-fold identity cross-validation on the training identities by Spearman), then
// ρ(probe(x̃), teacher(x)) on the test identities. A student's head sees the same features when its backbone is frozen.
const probe: Record<string, Record<string, number>> = {};
{
  const trainSet = split.train;
  const trainIds = trainSet.images().map((r) => r.id);
  const te = await embedDataset(trainSet, rec, { alignment: 'proper', seed: EVAL_SEED });
  const at = new Map(te.ids.map((id, i) => [id, i]));
  const X = trainIds.map((id) => te.data.subarray(at.get(id)! * te.dim, (at.get(id)! + 1) * te.dim));
  const ident = trainIds.map((id) => trainSet.image(id)?.identity ?? id);
  for (const t of TEACHERS) {
    const m = await createQualityMethod(teacherIds.get(t)!, { frModel: LABELS_FR, params: teacherParams(t) });
    const lab = await scoreDataset(ds, m, { alignment: 'proper', seed: 0 });
    await m.dispose();
    const li = new Map(lab.ids.map((id, i) => [id, lab.quality[i]!]));
    const y = trainIds.map((id) => li.get(id)!);
    const p = fitLinearProbe(X, y, ident);
    const tq = models.find((x) => x.kind === 'teacher' && x.teacher === t)!.quality.get('proper')!;
    probe[t] = { lambda: p.lambda, cv_rho: p.cvRho };
    for (const c of CONDITIONS) probe[t]![c.key] = spearman(frCondition.get(c.key)!.map((e) => p.predict(e)), tq);
    log.info(`linear probe of ${t} on frozen ${BACKBONE}: λ ${p.lambda}, CV ρ ${p.cvRho.toFixed(3)}, test ${CONDITIONS.map((c) => `${c.key} ${probe[t]![c.key]!.toFixed(3)}`).join(', ')}`);
  }
}

const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const ci = (c: [number, number] | null) => (c ? `[${fmt(c[0])}, ${fmt(c[1])}]` : '–');
const pm = (x: number, s: number, d = 3) => (Number.isFinite(s) ? `${fmt(x, d)} ± ${fmt(s, d)}` : fmt(x, d));
const table = (rs: CellRow[]) =>
  rs.map((r) => ({
    teacher: r.teacher,
    model: r.model === 'teacher' ? 'teacher' : `student ${r.depth}, bank ${r.bank}`,
    seeds: r.model === 'teacher' ? '' : r.seeds,
    condition: r.condition,
    'pAUC_norm iso': `${pm(r.iso, r.iso_sd)} ${ci(r.iso_ci)}`,
    'pAUC_norm recomputed': `${pm(r.rec, r.rec_sd)} ${ci(r.rec_ci)}`,
    'ρ(q(x̃), teacher(x))': `${pm(r.rho, r.rho_sd)}`,
    'mean abs Δq (teacher SD)': pm(r.dq, r.dq_sd),
    'cos(e(x̃), FR(x))': pm(r.cos, r.cos_sd),
  }));
const order = (r: CellRow) => [TEACHERS.indexOf(r.teacher), r.model === 'teacher' ? -1 : DEPTHS.indexOf(r.depth as never) + 10 * r.per_face, CONDITIONS.findIndex((c) => c.key === r.condition)];
cellRows.sort((x, y) => {
  const ox = order(x), oy = order(y);
  for (let i = 0; i < ox.length; i++) if (ox[i] !== oy[i]) return ox[i]! - oy[i]!;
  return 0;
});

// the design's rows (teachers, bank off / on) and the label-bank learning curve (one teacher and depth, every bank
// size; Spearman with the teacher's aligned-crop quality on the held-out identities)
const designBanks = new Set(BANKS.map(perFaceOf));
const designRows = cellRows.filter((r) => r.model === 'teacher' || designBanks.has(r.per_face));
const trainFaces = cellsTrainFaces();
function cellsTrainFaces(): number | null {
  const r = [...runOf.values()][0];
  if (!r) return null;
  const d = JSON.parse(readFileSync(join(runsDir(), r, 'run.json'), 'utf8')) as { params?: { data?: { train?: number; augment?: { faces_trained?: number } } } };
  return d.params?.data?.augment?.faces_trained ?? d.params?.data?.train ?? null;
}
const curveConditions = CONDITIONS.filter((c) => c.key === 'proper' || c.key === 'landmark-jitter p=3').map((c) => c.key);
const curveRows = cellRows
  .filter((r) => r.model === 'student' && r.teacher === CURVE_TEACHER && r.depth === CURVE_DEPTH && curveConditions.includes(r.condition))
  .sort((x, y) => x.per_face - y.per_face || curveConditions.indexOf(x.condition) - curveConditions.indexOf(y.condition));
const curveTable = curveRows.map((r) => ({
  'per face': r.per_face,
  'training images': trainFaces === null ? '–' : trainFaces * (1 + r.per_face),
  epochs: epochsFor(r.per_face),
  condition: r.condition,
  seeds: r.seeds,
  'ρ(student(x̃), teacher(x))': pm(r.rho, r.rho_sd),
  'min … max': `${fmt(r.rho_min)} … ${fmt(r.rho_max)}`,
  'pAUC_norm iso': `${pm(r.iso, r.iso_sd)} ${ci(r.iso_ci)}`,
}));

const settings = {
  // paths relative to the working folder (the repository), so the record names no machine's folders
  command: `node --import tsx packages/aikd/scripts/aikd-study.ts ${process.argv.slice(2).map((a) => (isAbsolute(a) ? (relative(process.cwd(), a).startsWith('..') ? '<a folder outside the repository>' : relative(process.cwd(), a)) : a)).join(' ')}`.trim(),
  teachers: Object.fromEntries(teacherIds),
  labels_fr_model: LABELS_FR,
  backbone: BACKBONE,
  depths: DEPTHS,
  bank: BANKS,
  per_face: PER_FACE,
  seeds: SEEDS,
  epochs: Object.fromEntries([...new Set(cells.map((c) => c.perFace))].sort((x, y) => x - y).map((n) => [`bank ${bankLabel(n)}`, epochsFor(n)])),
  learning_curve: { teacher: CURVE_TEACHER, depth: CURVE_DEPTH, per_face: [...new Set([0, ...CURVE_SIZES, ...BANKS.map(perFaceOf)])].sort((x, y) => x - y) },
  jobs: JOBS,
  head_only_evaluation: { engine: 'onnxruntime (frozen backbone) + tfjs head', check: headPathCheck },
  worker_wall_s: workerSeconds,
  batch: Number(a.batch),
  lr: Number(a.lr),
  val_every: Number(a['val-every']),
  split: { test_fraction: TEST_FRACTION, seed: SPLIT_SEED, test_identities: split.testIdentities.length, test_images: testIds.length, pairs: pairs.length, mated: mated.reduce((s, x) => s + x, 0) },
  eval_seed: EVAL_SEED,
  edc: { fmr: 1e-3, pair_quality: 'min', discard_limit: LIMIT, bootstrap: { replicates: B, seed: 0, unit: 'identity', level: 0.95 } },
  conditions: CONDITIONS.map((c) => c.key),
  time: { wall_s: Math.round(wall), cpu_s: Math.round(cpuSeconds), train_wall_s: Math.round(trainSeconds), cores: availableParallelism(), load_average_at_end: loadavg().map((x) => Number(x.toFixed(2))) },
  trained,
  linear_probe: probe,
  missing_cells: missing,
  runs: [...runOf].map(([c, r]) => ({ ...c, run: r })),
};

const run = Run.create({ kind: 'study', name: 'aikd controlled study (issue 23)', params: settings });
const cols = ['teacher', 'model', 'depth', 'bank', 'seed', 'run', 'condition', 'pauc_norm_iso', 'pauc_norm_recomputed', 'rho_teacher_aligned', 'mean_abs_dq', 'cos_fr_aligned'] as const;
const flat = rows.map((r) => ({
  teacher: r.model.teacher, model: r.model.kind, depth: r.model.cell?.depth ?? null, bank: r.model.cell ? bankLabel(r.model.cell.perFace) : null, seed: r.model.cell?.seed ?? null, run: r.model.run ?? null,
  condition: r.condition, pauc_norm_iso: r.iso, pauc_norm_recomputed: r.rec, rho_teacher_aligned: r.rho, mean_abs_dq: r.dq, cos_fr_aligned: r.cos,
}));
run.writeTable('aikd_study', new arrow.Table(Object.fromEntries(cols.map((c) => [c, arrow.vectorFromArray(flat.map((r) => r[c] as never))]))), { method: 'aikd', fr_model: BACKBONE, alignment: CONDITIONS.map((c) => c.key).join(','), dataset: test.name, seed: EVAL_SEED });
writeFileSync(join(run.dir, 'study.json'), JSON.stringify({ settings, cells: cellRows, learning_curve: curveTable }, null, 1));

const text = [
  `AI-KD study: ${settings.split.test_images} test images of ${settings.split.test_identities} identities (${pairs.length} pairs), FR model ${BACKBONE}, teachers on ${LABELS_FR}; ` +
    `pAUC_norm at discard ${LIMIT} (FNMR @ FMR 1e-3), mean ± SD over seeds [95 % identity-bootstrap interval of the seeds' mean, B ${B}]`,
  textTable(table(designRows)),
  curveTable.length ? `label-bank learning curve (${CURVE_TEACHER} → ${BACKBONE} student, depth ${CURVE_DEPTH}; test identities; the same number of optimizer steps at every size):\n` + textTable(curveTable) : '',
  `linear probe (ridge on the frozen ${BACKBONE} embedding; ρ(probe(x̃), teacher(x)) on the test identities):\n` +
    textTable(Object.entries(probe).map(([t, p]) => ({ teacher: t, ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, k === 'lambda' ? v : fmt(v)])) }))),
  missing.length ? `cells without a completed training (budget, or --stage evaluate): ${missing.map(cellKey).join(', ')}` : 'every cell trained',
  `wall ${Math.round(wall)} s (training ${Math.round(trainSeconds)} s), CPU ${Math.round(cpuSeconds)} s, load average at the end ${settings.time.load_average_at_end.join(' ')}; study run ${run.id}`,
].join('\n\n');
run.finish({ wall_s: Math.round(wall), cpu_s: Math.round(cpuSeconds), cells: cellRows.length, missing: missing.length });
process.stdout.write(text + '\n');

if (a.out) {
  mkdirSync(a.out, { recursive: true });
  writeFileSync(join(a.out, 'study.json'), JSON.stringify({ settings, cells: cellRows, learning_curve: curveTable }, null, 1));
  writeFileSync(join(a.out, 'study.txt'), text + '\n');
  const mdTable = (rows: Record<string, unknown>[], left: number) => {
    const head = Object.keys(rows[0] ?? {});
    return markdownTable(head, rows.map((r) => head.map((h) => String(r[h]))), left).join('\n') + '\n';
  };
  writeFileSync(join(a.out, 'study.md'), mdTable(table(designRows), 4) + (curveTable.length ? `\n${mdTable(curveTable, 0)}` : ''));
  // the plot: per teacher, ρ(q(x̃), teacher(x)) by condition, the teacher beside each student configuration
  const points = designRows.map((r) => ({ teacher: r.teacher, model: r.model === 'teacher' ? 'teacher' : `${r.depth}, bank ${r.bank}`, condition: r.condition, rho: r.rho, lo: r.rho - (Number.isFinite(r.rho_sd) ? r.rho_sd : 0), hi: r.rho + (Number.isFinite(r.rho_sd) ? r.rho_sd : 0), pauc: r.iso }));
  const modelsOrder = ['teacher', ...BANKS.flatMap((b) => DEPTHS.map((d) => `${d}, bank ${bankLabel(perFaceOf(b))}`))];
  const x = { field: 'condition', type: 'nominal', sort: CONDITIONS.map((c) => c.key), title: null, axis: { labelAngle: -30 } };
  const color = { field: 'model', type: 'nominal', sort: modelsOrder, title: 'model', legend: { orient: 'bottom', columns: 4 } };
  const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `AI-KD study: Spearman of q(x̃) with the teacher's q(x) (mean ± SD over ${SEEDS.length} seeds)`,
      background: 'white',
      data: { values: points },
      facet: { column: { field: 'teacher', type: 'nominal', title: null, sort: TEACHERS } },
      spec: {
        width: 220,
        height: 220,
        layer: [
          { mark: { type: 'rule' }, encoding: { x, xOffset: { field: 'model', sort: modelsOrder }, y: { field: 'lo', type: 'quantitative', title: 'ρ(q(x̃), teacher(x))', scale: { zero: false } }, y2: { field: 'hi' }, color } },
          { mark: { type: 'point', filled: true, size: 30 }, encoding: { x, xOffset: { field: 'model', sort: modelsOrder }, y: { field: 'rho', type: 'quantitative' }, color } },
        ],
      },
  } as never;
  await writeChart(spec, join(a.out, 'study.svg'));
  await writeChart(spec, join(a.out, 'study.png'));
}
await ds.close();
await rec.dispose();
