/**
 * `trainMethod(method, …)`: one learned FIQA method trained on a labelled training split with a frozen FR model,
 * as a `teacher-train` run (params, per-step metrics, the best checkpoint, and for regressors a `teacher_labels`
 * table with every image's label, prediction and split). The experiment runner trains through the method's
 * descriptor (`trainer.train`, with its training split and its own id as `parent`); `aikd method train` calls it
 * from the command line. What is trained comes from the method folder (`training()`):
 *
 * - a head (crfiqa, sddfiqa, faceqnet, diffiqa-r): frozen features once (cached) → the method's labels →
 *   `trainHead` with a validation split of held-out identities → `head/`;
 * - a trainer of its own (diffiqa: the small local UNet → `unet/`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { AikdError, writeJsonAtomic } from '@aikd/core';
import { splitItemsByIdentity, type Dataset } from '@aikd/datasets';
import { createProcedure } from '@aikd/alignment';
import type { Recognizer } from '@aikd/fr-models';
import { withRun } from '@aikd/results';
import { METHOD_TRAIN_RUN_KIND } from '../constants.ts';
import { methodCatalogue } from '../catalogue/index.ts';
import { resolveParams } from '../params.ts';
import { spearman } from '../stats.ts';
import { openRecognizer } from '../methods/common.ts';
import { frozenFeatures } from './features.ts';
import { predictHead, trainHead, type HeadState } from './head.ts';
import { identityOf, isLearnedMethod, round2, type HeadTraining, type LearnedMethodDescriptor, type MethodTrainContext } from './learned.ts';
import type { HeadFile, MethodRunParams } from './store.ts';
import { writeWeights } from '@aikd/runtime';
import type { HeadParams } from './params.ts';

declare module '@aikd/results' {
  interface ResultRows {
    /** `teacher_labels`: a learned method's training labels, the trained head's predictions and each image's split
     * (plus the method's own columns, e.g. CR-FIQA's ccs/nnccs). The kind keeps its first name for stored runs. */
    teacher_labels: { image_id: string; identity: string; label: number; prediction: number; split: string };
  }
}

export interface TrainMethodOptions {
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

export interface TrainedMethodRun {
  runId: string;
  /** The id to score with, e.g. `crfiqa:<run-id>`. */
  methodId: string;
  summary: Record<string, unknown>;
}

/** The validation split of a training set's rows: `fraction` of its identities (datasets' one split, own stream). */
export function validationSplit(rows: readonly number[], identities: readonly string[], fraction: number, seed: number | string): { train: number[]; val: number[] } {
  const s = splitItemsByIdentity(rows, (r) => identities[r]!, { fraction, seed, stream: ['teacher-val-split'] });
  return { train: s.train, val: s.test };
}

async function trainRegressor(method: string, training: HeadTraining, P: HeadParams & Record<string, unknown>, ctx: MethodTrainContext): Promise<Record<string, unknown>> {
  const { ds, rec, run } = ctx;
  const t0 = performance.now();
  const emb = await frozenFeatures(ds, rec, { input: 'embedding', procedure: ctx.procedure, seed: ctx.seed });
  const feats = P.input === 'embedding' ? emb : await frozenFeatures(ds, rec, { input: 'features', procedure: ctx.procedure, seed: ctx.seed });
  const tFeatures = (performance.now() - t0) / 1000;
  const labels = await training.labels(P, ctx, emb);
  const tLabels = (performance.now() - t0) / 1000 - tFeatures;
  const identities = identityOf(ds);
  const labelled = Array.from(labels.y.keys()).filter((i) => Number.isFinite(labels.y[i]!));
  if (labelled.length < 2) throw new AikdError(`${method}: only ${labelled.length} image(s) of ${ds.name} got a label (identities need at least 2 images for most methods)`);
  const split = validationSplit(labelled, identities, P.valFraction, ctx.seed);
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
      loss: training.loss(P),
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
    seconds: { features: round2(tFeatures), labels: round2(tLabels), train: round2(tTrain) },
    ...labels.summary,
  };
}

/** The learned methods of the catalogue (those `trainMethod` trains). */
export function learnedMethodIds(): string[] {
  return methodCatalogue.list().filter(isLearnedMethod).map((d) => d.id);
}

/** Train learned method `methodId` (`crfiqa`, …) of the workbench's catalogue. */
export async function trainMethod(methodId: string, o: TrainMethodOptions): Promise<TrainedMethodRun> {
  const d = methodCatalogue.get(methodId);
  if (!isLearnedMethod(d)) throw new AikdError(`method train: "${methodId}" is not a learned method; expected one of ${learnedMethodIds().join(', ')}`);
  return trainLearnedMethod(d, o);
}

export async function trainLearnedMethod(d: LearnedMethodDescriptor, o: TrainMethodOptions): Promise<TrainedMethodRun> {
  const method = d.id;
  const training = await d.training();
  const P = resolveParams(method, d.trainer.params, o.params) as Record<string, unknown>;
  const { initRuntime, backendReport } = await import('@aikd/runtime');
  await initRuntime();
  const procedure = createProcedure(P.alignment as never);
  const opened = await openRecognizer({ frModel: o.frModel });
  const params: MethodRunParams = { method, dataset: o.dataset.name, fr_model: opened.rec.id, seed: o.seed, params: P, test_identities: o.testIdentities ?? null };
  const t0 = performance.now();
  try {
    return await withRun(
      { kind: METHOD_TRAIN_RUN_KIND, params: params as unknown as Record<string, unknown>, parent: o.parent, root: o.root, backend: backendReport()?.backend, name: `${method} ${o.dataset.name} ${opened.rec.id}` },
      async (run) => {
        const ctx: MethodTrainContext = { ds: o.dataset, rec: opened.rec, procedure, seed: o.seed, run, root: o.root };
        const body = training.kind === 'own' ? await training.train(P, ctx) : await trainRegressor(method, training, P as HeadParams & Record<string, unknown>, ctx);
        const summary = { method_id: `${method}:${run.id}`, fr_model: opened.rec.id, dataset: o.dataset.name, ...body, total_seconds: round2((performance.now() - t0) / 1000) };
        run.finish(summary);
        return { runId: run.id, methodId: `${method}:${run.id}`, summary };
      },
    );
  } finally {
    if (opened.owned) await opened.rec.dispose();
  }
}
