/**
 * `trainTeacher(method, …)`: one learned FIQA method trained on a labelled training split with a frozen FR model,
 * as a `teacher-train` run (params, per-step metrics, the best checkpoint, a `teacher_labels` table with every
 * image's label, prediction and split). The experiment runner calls it with its training split and its own id as
 * `parent`; `aikd teacher train` calls it from the command line.
 *
 * - Regressors (crfiqa, sddfiqa, faceqnet, diffiqa-r): frozen features once (cached) → the method's labels →
 *   `trainHead` with a validation split of held-out identities → `head/`.
 * - diffiqa: the small local UNet → `unet/` (scored as `diffiqa:<run-id>` with any FR model).
 * - diffiqa-r: DifFIQA scores of the training split with a denoiser (ONNX UNet, a diffiqa run, or a local UNet
 *   trained first as a child run), min-max normalised to [0, 1], then an L1 head.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { AikdError, rngFor, writeJsonAtomic } from '@aikd/core';
import type { Dataset, RawImage } from '@aikd/datasets';
import { createProcedure, type AlignmentProcedure } from '@aikd/alignment';
import type { Recognizer } from '@aikd/fr-models';
import { Run } from '@aikd/results';
import { LEARNED_METHOD_IDS, TEACHER_RUN_KIND, type LearnedMethodId } from '../constants.ts';
import { resolveParams } from '../params.ts';
import { spearman } from '../stats.ts';
import { openRecognizer } from '../methods/common.ts';
import { certaintyRatios } from '../methods/crfiqa/labels.ts';
import { sddPseudoLabels } from '../methods/sddfiqa/labels.ts';
import { chooseReferences, faceqnetLabels, measureImage } from '../methods/faceqnet/labels.ts';
import { areaDownsample } from '../methods/diffiqa/resample.ts';
import { trainLocalUnet } from '../methods/diffiqa/train-unet.ts';
import { unetParamCount, type UnetConfig } from '../methods/diffiqa/unet.ts';
import { alignedCrops, frozenFeatures, type FrozenFeatures } from './features.ts';
import { predictHead, trainHead, type HeadState, type LossSpec } from './head.ts';
import { TRAIN_PARAMS, type TrainParams } from './params.ts';
import { rememberRunRoot, type HeadFile, type TeacherRunParams, type UnetFile } from './store.ts';
import { writeWeights } from './weights.ts';

export interface TrainTeacherOptions {
  /** The labelled training data (already the training split: identity-disjoint from any evaluation data). */
  dataset: Dataset;
  /** The frozen FR model: a name, or an open recogniser (stays the caller's). */
  frModel: string | Recognizer;
  params?: Record<string, unknown>;
  seed: number | string;
  /** Parent run (e.g. the experiment id). */
  parent?: string;
  /** Results root (default AIKD_RESULTS or `<workspace>/results`). */
  root?: string;
  /** Identities held out for evaluation, recorded in the run (the caller removed them from `dataset`). */
  testIdentities?: string[];
}

export interface TrainedTeacher {
  runId: string;
  /** The id to score with, e.g. `crfiqa:<run-id>`. */
  methodId: string;
  summary: Record<string, unknown>;
}

const identityOf = (ds: Dataset) => ds.images().map((r) => r.identity ?? `#${r.id}`);

/** Rows split by identity: `fraction` of the identities (at least one, never all) go to validation; seeded. */
export function splitRowsByIdentity(rows: readonly number[], identities: readonly string[], fraction: number, seed: number | string): { train: number[]; val: number[] } {
  const names = [...new Set(rows.map((r) => identities[r]!))].sort();
  if (!(fraction > 0) || names.length < 2) return { train: [...rows], val: [] };
  const k = Math.min(names.length - 1, Math.max(1, Math.round(fraction * names.length)));
  const val = new Set(rngFor(seed, 'teacher-val-split').shuffle([...names]).slice(0, k));
  return { train: rows.filter((r) => !val.has(identities[r]!)), val: rows.filter((r) => val.has(identities[r]!)) };
}

interface Ctx {
  ds: Dataset;
  rec: Recognizer;
  procedure: AlignmentProcedure;
  seed: number | string;
  run: Run;
  root?: string;
}

interface LabelSet {
  y: Float64Array;
  /** Extra per-image columns for the labels table. */
  columns: Record<string, Float64Array | string[]>;
  summary: Record<string, unknown>;
}

const rowsOf = (f: FrozenFeatures) => ({ n: f.ids.length, dim: f.featureShape.reduce((a, b) => a * b, 1), data: f.X });

async function labelsFor(method: Exclude<LearnedMethodId, 'diffiqa'>, P: Record<string, unknown>, ctx: Ctx, emb: FrozenFeatures): Promise<LabelSet> {
  const ids = emb.ids, identities = identityOf(ctx.ds);
  if (method === 'crfiqa') {
    const r = certaintyRatios(rowsOf(emb), identities);
    return { y: r.ratio, columns: { ccs: r.ccs, nnccs: r.nnccs }, summary: { label: 'CCS/NNCCS (identity centres = normalised mean embeddings of the training identities)' } };
  }
  if (method === 'sddfiqa') {
    const p = P as TrainParams<'sddfiqa'>;
    const r = sddPseudoLabels(rowsOf(emb), identities, ids, { m: p.m, K: p.K, seed: ctx.seed });
    return { y: r.labels, columns: {}, summary: { label: `Wasserstein-1 of mated vs non-mated similarities, m = ${p.m}, K = ${p.K}, each run normalised to [0, 100]` } };
  }
  if (method === 'faceqnet') {
    const crops = await alignedCrops(ctx.ds, ctx.procedure, ctx.rec.spec.inputSize, ctx.rec.spec.template, ctx.seed);
    const measures = crops.map((c, i) => measureImage(c, ctx.ds.image(ids[i]!)?.landmarks));
    const refs = chooseReferences(measures, identities);
    const r = faceqnetLabels(rowsOf(emb), identities, refs);
    return {
      y: r.labels,
      columns: { reference_cosine: r.cosine, reference: Array.from(r.reference, (k) => (k >= 0 ? ids[k]! : '')), pose_deviation: Float64Array.from(measures, (m) => m.pose), sharpness: Float64Array.from(measures, (m) => m.sharpness), noise_sigma: Float64Array.from(measures, (m) => m.noise), exposure_deviation: Float64Array.from(measures, (m) => m.exposure) },
      summary: { label: `(cos(e, e_ref) − ${r.min.toFixed(4)}) / (${r.max.toFixed(4)} − ${r.min.toFixed(4)}); reference = ICAO-style proxy (frontal, sharp, low noise, well exposed)`, references: refs.size },
    };
  }
  return diffiqaLabels(P as TrainParams<'diffiqa-r'>, ctx);
}

/** DifFIQA(R)'s labels: DifFIQA scores of the training split with the chosen denoiser, min-max normalised. */
async function diffiqaLabels(P: TrainParams<'diffiqa-r'>, ctx: Ctx): Promise<LabelSet> {
  const { scoreDataset } = await import('../score-dataset.ts');
  const scoring = { R: P.R, t: P.t, steps: P.steps, eta: P.eta, timesteps: P.timesteps, clip: P.clip };
  let method;
  let denoiser: string;
  let denoiserRun: string | null = null;
  if (P.unet) {
    const { createDiffiqa } = await import('../methods/diffiqa/diffiqa.ts');
    method = await createDiffiqa({ onnx: P.unet, frModel: ctx.rec, params: scoring });
    denoiser = `ONNX UNet ${P.unet}`;
  } else {
    let runId = P.diffiqa?.replace(/^diffiqa:/, '');
    if (!runId) {
      const child = await trainTeacher('diffiqa', {
        dataset: ctx.ds,
        frModel: ctx.rec,
        seed: ctx.seed,
        parent: ctx.run.id,
        root: ctx.root,
        params: { size: P.unetSize, channels: P.unetChannels, trainSteps: P.unetSteps, batchSize: P.unetBatchSize, lr: P.unetLr, alignment: P.alignment, valFraction: P.valFraction },
      });
      runId = child.runId;
    }
    const { openTrainedTeacher } = await import('./load.ts');
    method = await openTrainedTeacher('diffiqa', runId, { frModel: ctx.rec, params: scoring });
    denoiser = `local UNet diffiqa:${runId}`;
    denoiserRun = runId;
  }
  try {
    const set = await scoreDataset(ctx.ds, method, { alignment: ctx.procedure, seed: ctx.seed, label: `DifFIQA labels ${ctx.ds.name}` });
    let lo = Infinity, hi = -Infinity;
    for (const q of set.quality) if (Number.isFinite(q)) (lo = Math.min(lo, q)), (hi = Math.max(hi, q));
    return {
      y: set.quality.map((q) => (hi > lo ? (q - lo) / (hi - lo) : 0)),
      columns: { diffiqa: set.quality },
      summary: { label: `DifFIQA scores min-max normalised ([${lo.toFixed(5)}, ${hi.toFixed(5)}] → [0, 1])`, denoiser, denoiser_run: denoiserRun, diffiqa: { ...scoring, from_cache: set.fromCache, seconds: set.seconds } },
    };
  } finally {
    await method.dispose();
  }
}

const lossOf = (method: string, P: Record<string, unknown>): LossSpec =>
  method === 'diffiqa-r' ? { kind: 'l1' } : method === 'faceqnet' ? { kind: (P.loss as 'l1' | 'l2') ?? 'l2' } : { kind: 'smoothl1', beta: P.beta as number };

async function trainRegressor(method: Exclude<LearnedMethodId, 'diffiqa'>, P: TrainParams<'crfiqa'> & Record<string, unknown>, ctx: Ctx): Promise<Record<string, unknown>> {
  const { ds, rec, run } = ctx;
  const t0 = performance.now();
  const emb = await frozenFeatures(ds, rec, { input: 'embedding', procedure: ctx.procedure, seed: ctx.seed });
  const feats = P.input === 'embedding' ? emb : await frozenFeatures(ds, rec, { input: 'features', procedure: ctx.procedure, seed: ctx.seed });
  const tFeatures = (performance.now() - t0) / 1000;
  const labels = await labelsFor(method, P, ctx, emb);
  const tLabels = (performance.now() - t0) / 1000 - tFeatures;
  const identities = identityOf(ds);
  const labelled = Array.from(labels.y.keys()).filter((i) => Number.isFinite(labels.y[i]!));
  if (labelled.length < 2) throw new AikdError(`${method}: only ${labelled.length} image(s) of ${ds.name} got a label (identities need at least 2 images for most methods)`);
  const split = splitRowsByIdentity(labelled, identities, P.valFraction, ctx.seed);
  const dir = join(run.dir, 'head');
  mkdirSync(dir, { recursive: true });
  let lo = Infinity, hi = -Infinity;
  for (const i of labelled) (lo = Math.min(lo, labels.y[i]!)), (hi = Math.max(hi, labels.y[i]!));
  const config = { hidden: P.hidden, dropout: P.dropout, epochs: P.epochs, batchSize: P.batchSize, lr: P.lr, weightDecay: P.weightDecay, patience: P.patience };
  const { progress } = await import('@aikd/core');
  const bar = progress(`train ${method} head (${P.input}, ${split.train.length} + ${split.val.length} images)`, P.epochs);
  const res = await trainHead(
    { X: feats.X, featureShape: feats.featureShape, y: labels.y, train: split.train, val: split.val },
    {
      config,
      loss: lossOf(method, P),
      seed: ctx.seed,
      onStep: (step, loss) => run.logMetrics({ train_loss: loss }, step),
      onEpoch: (r) => {
        run.logMetrics({ epoch: r.epoch, epoch_train_loss: r.trainLoss, ...(r.valLoss !== null ? { val_loss: r.valLoss } : {}), ...(r.valSpearman !== null ? { val_spearman: r.valSpearman } : {}) }, r.step);
        bar.tick();
      },
      onBest: async (weights, r, state: HeadState) => {
        const manifest = await writeWeights(join(dir, 'head.bin'), weights);
        const file: HeadFile = { state, weights: manifest, epoch: r.epoch, valLoss: r.valLoss, valSpearman: r.valSpearman, frModel: rec.id, frWeightsHash: rec.spec.weightsHash, method, labelRange: [lo, hi] };
        writeJsonAtomic(join(dir, 'head.json'), file);
      },
    },
  );
  bar.done(`best epoch ${res.bestEpoch}`);
  run.addArtifact({ name: 'head', kind: 'checkpoint', path: 'head/head.json' });
  const tTrain = (performance.now() - t0) / 1000 - tFeatures - tLabels;
  const pred = predictHead(res.weights, res.state, feats.X, feats.ids.length);
  const { tf } = await import('@aikd/runtime');
  tf.dispose(Object.values(res.weights));
  const inVal = new Set(split.val), inTrain = new Set(split.train);
  const splitOf = (i: number) => (inVal.has(i) ? 'val' : inTrain.has(i) ? 'train' : 'unlabelled');
  const table = new arrow.Table({
    image_id: arrow.vectorFromArray(feats.ids, new arrow.Utf8()),
    identity: arrow.vectorFromArray(identities, new arrow.Utf8()),
    label: arrow.makeVector(labels.y),
    prediction: arrow.makeVector(pred),
    split: arrow.vectorFromArray(feats.ids.map((_, i) => splitOf(i)), new arrow.Utf8()),
    ...Object.fromEntries(Object.entries(labels.columns).map(([k, v]) => [k, Array.isArray(v) ? arrow.vectorFromArray(v, new arrow.Utf8()) : arrow.makeVector(v)])),
  });
  run.writeTable('teacher_labels', table, { method, fr_model: rec.id, alignment: ctx.procedure.id, dataset: ds.name, seed: typeof ctx.seed === 'number' ? ctx.seed : undefined });
  const rho = (rows: readonly number[]) => (rows.length > 1 ? spearman(rows.map((i) => pred[i]!), rows.map((i) => labels.y[i]!)) : null);
  const best = res.history.find((h) => h.epoch === res.bestEpoch)!;
  return {
    images: feats.ids.length,
    labelled: labelled.length,
    train_images: split.train.length,
    val_images: split.val.length,
    val_identities: new Set(split.val.map((i) => identities[i])).size,
    head_input: P.input,
    feature_shape: feats.featureShape,
    label_range: [lo, hi],
    best_epoch: res.bestEpoch,
    epochs_run: res.history.length,
    steps: res.steps,
    val_loss: res.bestValLoss,
    val_spearman: best.valSpearman,
    train_spearman: rho(split.train),
    features_from_cache: feats.fromCache && emb.fromCache,
    seconds: { features: round(tFeatures), labels: round(tLabels), train: round(tTrain) },
    ...labels.summary,
  };
}

const round = (s: number) => Math.round(s * 100) / 100;

/** The local DifFIQA UNet on the training crops (area-averaged to its size). */
async function trainUnet(P: TrainParams<'diffiqa'>, ctx: Ctx): Promise<Record<string, unknown>> {
  const { ds, rec, run } = ctx;
  const S = rec.spec.inputSize, D = P.size;
  if (D > S) throw new AikdError(`diffiqa: the UNet size ${D} is larger than ${rec.id}'s ${S}×${S} crops; give size ≤ ${S}`);
  const cfg: UnetConfig = { size: D, channels: P.channels, timeDim: P.timeDim };
  const t0 = performance.now();
  const crops: RawImage[] = await alignedCrops(ds, ctx.procedure, S, rec.spec.template, ctx.seed);
  const per = D * D * 3;
  const data = new Float32Array(crops.length * per);
  crops.forEach((c, i) => data.set(areaDownsample(Float32Array.from(c.data, (p) => p / 127.5 - 1), 1, S, D), i * per));
  const split = splitRowsByIdentity(Array.from(crops.keys()), identityOf(ds), P.valFraction, ctx.seed);
  const pack = (rows: number[]) => {
    const out = new Float32Array(rows.length * per);
    rows.forEach((r, k) => out.set(data.subarray(r * per, (r + 1) * per), k * per));
    return { data: out, n: rows.length };
  };
  const tData = (performance.now() - t0) / 1000;
  const { progress } = await import('@aikd/core');
  const bar = progress(`train DifFIQA UNet (${D}², ${P.channels.join('/')} channels)`, P.trainSteps);
  const res = await trainLocalUnet(cfg, pack(split.train), pack(split.val), {
    steps: P.trainSteps,
    batchSize: P.batchSize,
    lr: P.lr,
    tMax: P.tMax,
    timesteps: P.timesteps,
    seed: ctx.seed,
    evalEvery: P.evalEvery,
    onStep: (step, loss) => {
      run.logMetrics({ unet_loss: loss }, step);
      bar.tick();
    },
    onEval: (step, v) => Number.isFinite(v) && run.logMetrics({ unet_val_loss: v }, step),
  });
  bar.done();
  const dir = join(run.dir, 'unet');
  mkdirSync(dir, { recursive: true });
  const manifest = await writeWeights(join(dir, 'unet.bin'), res.params);
  const { tf } = await import('@aikd/runtime');
  tf.dispose(Object.values(res.params));
  const file: UnetFile = { config: cfg, weights: manifest, parameters: unetParamCount(cfg), trainSteps: P.trainSteps, bestStep: res.bestStep, bestValLoss: res.bestValLoss, timesteps: P.timesteps, tMax: P.tMax, dataset: ds.name, trainImages: split.train.length };
  writeJsonAtomic(join(dir, 'unet.json'), file);
  run.addArtifact({ name: 'unet', kind: 'checkpoint', path: 'unet/unet.json' });
  return {
    images: crops.length,
    train_images: split.train.length,
    val_images: split.val.length,
    unet: `small local UNet: ${unetParamCount(cfg)} parameters, ${D}×${D}, channels ${P.channels.join('/')}, pred-x0, ${P.trainSteps} Adam steps — not the paper's UNet`,
    best_step: res.bestStep,
    val_loss: res.bestValLoss,
    final_train_loss: res.finalTrainLoss,
    seconds: { data: round(tData), train: round((performance.now() - t0) / 1000 - tData) },
  };
}

export async function trainTeacher(methodId: string, o: TrainTeacherOptions): Promise<TrainedTeacher> {
  if (!(LEARNED_METHOD_IDS as readonly string[]).includes(methodId))
    throw new AikdError(`teacher train: "${methodId}" is not a learned method; expected one of ${LEARNED_METHOD_IDS.join(', ')}`);
  const method = methodId as LearnedMethodId;
  const P = resolveParams(method, TRAIN_PARAMS[method], o.params) as Record<string, unknown>;
  const { initRuntime, backendReport } = await import('@aikd/runtime');
  await initRuntime();
  const procedure = createProcedure(P.alignment as never);
  const opened = await openRecognizer({ frModel: o.frModel });
  const params: TeacherRunParams = { method, dataset: o.dataset.name, fr_model: opened.rec.id, seed: o.seed, params: P, test_identities: o.testIdentities ?? null };
  const run = Run.create({ kind: TEACHER_RUN_KIND, params: params as unknown as Record<string, unknown>, parent: o.parent, root: o.root, backend: backendReport()?.backend, name: `${method} ${o.dataset.name} ${opened.rec.id}` });
  rememberRunRoot(run.id, o.root);
  const t0 = performance.now();
  try {
    const ctx: Ctx = { ds: o.dataset, rec: opened.rec, procedure, seed: o.seed, run, root: o.root };
    const body = method === 'diffiqa' ? await trainUnet(P as TrainParams<'diffiqa'>, ctx) : await trainRegressor(method, P as TrainParams<'crfiqa'> & Record<string, unknown>, ctx);
    const summary = { method_id: `${method}:${run.id}`, fr_model: opened.rec.id, dataset: o.dataset.name, ...body, total_seconds: round((performance.now() - t0) / 1000) };
    run.finish(summary);
    return { runId: run.id, methodId: `${method}:${run.id}`, summary };
  } catch (e) {
    run.fail(e);
    throw e;
  } finally {
    if (opened.owned) await opened.rec.dispose();
  }
}
