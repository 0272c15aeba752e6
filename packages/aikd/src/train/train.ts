/**
 * The AI-KD training loop (insightface arcface_torch style: model, losses, data, schedule, optimizer, checkpoint,
 * this file). One run = one folder in the run registry: resolved config + the choices where this implementation
 * follows the paper rather than the released code (aikd.md §10), per-step metrics, the resumable checkpoint, the
 * best student (by validation loss) saved with `model.save()`, and `student.json` describing how to use it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, initRuntime } from '@aikd/runtime';
import { AikdError, configHash, log, progress, sha256Hex, stableStringify, writeFileAtomic, writeJsonAtomic } from '@aikd/core';
import type { Dataset, RawImage } from '@aikd/datasets';
import { Run } from '@aikd/results';
import { cropsToPixels, type BackboneSpec, type ParamRef } from '@aikd/fr-models';
import { referenceDeviations, type TrainConfig } from './config.ts';
import type { TrainItem } from './data.ts';
import { prepareTraining, runClip, concat, type MicroBatch, type TrainInputs } from './prepare.ts';
import { aikdLoss, type LossWeights } from './losses.ts';
import { studentForward, type AikdModels } from './model.ts';
import { createSgd, type GradientClip, type Sgd } from './optimizer.ts';
import { warmupFactor, warmupSteps } from './schedule.ts';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, saveModel, type TrainerState } from './checkpoint.ts';

export { DEFAULT_MICRO_BATCH, type TrainInputs, type MicroBatch } from './prepare.ts';

/** Checkpoint entries of the reference clip's accumulators (beside the SGD momentum buffers). */
const CLIP_STATE = 'clip-acc:';

/** Where this implementation follows the paper (or fixes the released code), recorded in every run. */
export const IMPLEMENTATION_CHOICES = {
  pretrained_weights: 'student and teacher both start from the FR model weights (the released code never loads them, aikd.md §10.1)',
  teacher: 'a separate frozen copy of the backbone in inference mode; its embeddings of the aligned crops are computed once (the released code shares one module with the student and runs it with BN in train mode, §10.2)',
  batch_norm: 'train.bn: `train` (default, the reference code\'s model.train()): every student BN layer, frozen blocks included, uses batch statistics of each micro-batch and updates its running statistics (tfjs: with the biased batch variance; PyTorch uses the unbiased one); `frozen`: running statistics. Only backbones with real BN layers (ONNX iResNets) have any; the built-in graph models and BNs an ONNX export folded into convolutions are per-channel affine layers. Validation and the teacher always use running statistics',
  trainable: 'model.train_depth (head, last-block, last-stage, all: per backbone, fr-models README) or else the last N parameter tensors of the backbone (model.trainable_tensors, reference `limit: 100`), plus the whole head; insightface features.weight stays fixed at 1',
  clipping: 'train.clip: `trainable` (default) clips the global norm of the trainable tensors only; `reference` also counts the frozen backbone tensors\' gradients, accumulated over all steps, multiplied by the emulated AMP loss scale (128, doubling every 0.3 epoch; train.clip_amp_scale) and scaled by each clip, as the released code does (an implicit lr decay, §5)',
  quality_loss: 'SmoothL1 with β = 0.5 as in the code (the paper names an L1 loss; the two differ by a constant where |d| ≥ β)',
  ema_swa: 'none (the code re-creates its EMA on every validation and its SWALR keeps lr constant: both no-ops, §5)',
  precision: 'float32 (the code uses AMP with a grad scaler)',
  labels: 'teacher qualities min-max normalised to [0, 1] on the training split, higher = better (§10.10)',
  validation: 'data.val_split: `identity` (default) holds out whole training identities (the datasets package\'s identity split; at least 15 % of them on small datasets, see data.val_min_images / val_max_fraction); `stratified` is the reference code\'s quality-stratified 1 % hold-out, with evenly spaced ranks instead of its int(N / (N·0.01)) step (§3.2). Aligned images only; every 10 % of an epoch, only after max(warm-up, val_start_fraction of the steps), the best checkpoint by train.val_criterion (reference: the quality loss)',
  warmup: 'sine warm-up over the first warmup_fraction of all steps (lr 0 at step 0, as LambdaLR), then constant',
} as const;

export interface TrainOptions {
  /** An existing run to resume (its checkpoint is loaded); else a new run is created. */
  resume?: Run;
  /** Results root (tests). */
  resultsRoot?: string;
  /** The experiment this training belongs to (the run's `parent`). */
  parent?: string;
  /** Stop after this many optimizer steps in total, as if killed right after the step's checkpoint (tests, benchmarks). */
  stopAfterSteps?: number;
  onStep?: (m: StepMetrics) => void;
}

export interface StepMetrics {
  step: number;
  epoch: number;
  loss: number;
  loss_consistency: number;
  loss_quality: number;
  lr_head: number;
  lr_backbone: number;
  grad_norm: number;
  step_seconds: number;
}

export interface TrainResult {
  run: Run;
  steps: number;
  totalSteps: number;
  bestValLoss: number | null;
  bestStep: number | null;
  /** Median seconds per optimizer step in this process. */
  stepSeconds: number;
  models: AikdModels;
  finished: boolean;
}

/** What `student.json` holds: everything needed to score with the trained student. */
export interface StudentInfo {
  backbone: BackboneSpec;
  labels: { method: string; frModel?: string; min: number; max: number; info: Record<string, unknown> };
  bestStep: number | null;
  bestValLoss: number | null;
}

export async function trainAikd(inputs: TrainInputs, opts: TrainOptions = {}): Promise<TrainResult> {
  const report = await initRuntime();
  const cfg = inputs.config;
  const ds = inputs.dataset;
  const T = cfg.train;
  const p = await prepareTraining(inputs);
  const { models, spec, micro, items, val, valCrops, teacherEmb, range, stepsPerEpoch } = p;

  // ---- schedule
  const totalSteps = T.epochs * stepsPerEpoch;
  const warmup = warmupSteps(totalSteps, T.warmup_fraction);
  const valEvery = T.val_every ?? Math.max(1, Math.floor(0.1 * stepsPerEpoch));
  // the reference validates only after its `pretrain_end`; never during the warm-up
  const valStart = Math.max(warmup, Math.floor(T.val_start_fraction * totalSteps));
  const ckptEvery = T.checkpoint_every ?? valEvery;
  const bnTraining = T.bn === 'train' && spec.batchNorm === 'statistics';
  const weights: LossWeights = { consistency: T.consistency_weight, quality: T.quality_weight, beta: T.smooth_l1_beta };

  // ---- run record
  const params = {
    config: cfg,
    backbone: spec,
    labels: { ...inputs.labelsInfo, normalisation: { kind: 'min-max on the training split', ...range } },
    data: p.data,
    schedule: { steps_per_epoch: stepsPerEpoch, total_steps: totalSteps, warmup_steps: warmup, val_every: valEvery, val_after_step: valStart, val_at_end: T.val_at_end, val_criterion: T.val_criterion, checkpoint_every: ckptEvery, micro_batch: micro },
    batch_norm: { option: T.bn, backbone: spec.batchNorm, training_mode: bnTraining, statistics_batch: bnTraining ? micro : null },
    trainable: {
      depth: cfg.model.train_depth ? { depth: cfg.model.train_depth, ...(cfg.model.train_depth === 'head' || cfg.model.train_depth === 'all' ? {} : spec.depths[cfg.model.train_depth]) } : { last_tensors: cfg.model.trainable_tensors },
      backbone_tensors: models.trainable.backbone.length,
      backbone_tensor_names: models.trainable.backbone.map((p) => p.name),
      backbone_parameters: models.trainable.backbone.reduce((a, p) => a + p.variable.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0),
      head_parameters: models.headParams.reduce((a, p) => a + p.variable.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0),
      backbone_total_tensors: models.backboneParams.length,
    },
    choices: IMPLEMENTATION_CHOICES,
    /** Every option whose value here differs from the reference code's (named, so a reader sees each one). */
    deviations: referenceDeviations(cfg),
  };
  const run = opts.resume ?? Run.create({ kind: 'train', name: cfg.name, params, backend: report.backend, root: opts.resultsRoot, parent: opts.parent });
  // what a checkpoint must match to be resumed: the configuration, the backbone, the data split and the labels
  // themselves (not how they were obtained: scored now or read from the cache is the same labels)
  const hash = configHash({ config: cfg, backbone: spec, data: params.data, labels: sha256Hex(stableStringify(items.map((i) => [i.id, i.rawQuality]))) });
  const ckptDir = join(run.dir, 'checkpoint');
  const studentDir = join(run.dir, 'student');
  const writeStudentInfo = (s: TrainerState) =>
    writeJsonAtomic(join(run.dir, 'student.json'), {
      backbone: spec,
      labels: { method: String(inputs.labelsInfo.method ?? cfg.labels.method), frModel: inputs.labelsInfo.frModel as string | undefined, min: range.min, max: range.max, info: inputs.labelsInfo },
      bestStep: s.bestStep,
      bestValLoss: s.bestValLoss,
    } satisfies StudentInfo);

  // ---- optimizer, state, resume
  const sgd = createSgd([
    { name: 'head', params: models.trainable.head, lr: T.lr_head, momentum: T.momentum_head, weightDecay: T.weight_decay_head },
    { name: 'backbone', params: models.trainable.backbone, lr: T.lr_backbone, momentum: T.momentum_backbone, weightDecay: T.weight_decay_backbone },
  ]);
  const vars = [...models.trainable.head, ...models.trainable.backbone];
  const clip = runClip(models, T, stepsPerEpoch);
  let state: TrainerState = { step: 0, bestValLoss: null, bestStep: null, configHash: hash };
  if (opts.resume) {
    if (!hasCheckpoint(ckptDir)) throw new AikdError(`run ${run.id} has no checkpoint to resume from (${ckptDir})`);
    const c = loadCheckpoint(ckptDir, models.student, hash);
    const own = (n: string) => n.startsWith(CLIP_STATE);
    sgd.load(new Map([...c.optimizer].filter(([n]) => !own(n))));
    clip.load(new Map([...c.optimizer].filter(([n]) => own(n)).map(([n, t]) => [n.slice(CLIP_STATE.length), t])));
    tf.dispose([...c.optimizer.values()]);
    state = c.state;
    truncateMetrics(run.dir, state.step);
    log.info(`resuming run ${run.id} at step ${state.step} of ${totalSteps}`);
  }
  writeStudentInfo(state);

  const stepTimes: number[] = [];
  const bar = progress(`train ${spec.id} ← ${cfg.labels.method}`, totalSteps);
  bar.tick(state.step);
  const stopAt = Math.min(totalSteps, opts.stopAfterSteps ?? Infinity);
  const optimizerState = () => new Map([...sgd.state(), ...[...clip.state()].map(([n, t]) => [CLIP_STATE + n, t] as const)]);
  try {
    for (let s = state.step; s < stopAt; s++) {
      const t0 = performance.now();
      const epoch = Math.floor(s / stepsPerEpoch);
      const parts = await p.batches(s);
      const factor = warmupFactor(s, warmup);
      const { terms, gradNorm: norm } = optimizerStep(models.student, vars, sgd, parts, weights, clip, s, factor, bnTraining);
      state = { ...state, step: s + 1 };
      const dt = (performance.now() - t0) / 1000;
      stepTimes.push(dt);
      const m: StepMetrics = { step: s + 1, epoch, ...terms, lr_head: T.lr_head * factor, lr_backbone: T.lr_backbone * factor, grad_norm: norm, step_seconds: dt };
      const { step: _s, ...values } = m;
      run.logMetrics(values, m.step);
      opts.onStep?.(m);
      bar.tick();

      const last = s + 1 === totalSteps;
      if (shouldValidate(s + 1, { valEvery, valStart, totalSteps, atEnd: T.val_at_end })) {
        const v = validate(models, val, valCrops, teacherEmb, spec, micro, weights);
        const crit = T.val_criterion === 'total' ? v.total : v.quality;
        run.logMetrics({ val_loss: v.total, val_loss_consistency: v.consistency, val_loss_quality: v.quality }, s + 1);
        if (state.bestValLoss === null || crit < state.bestValLoss) {
          state = { ...state, bestValLoss: crit, bestStep: s + 1 };
          await saveModel(models.student, studentDir);
          writeStudentInfo(state);
        }
      }
      // also when stopping early on purpose, so the run resumes exactly here
      if ((s + 1) % ckptEvery === 0 || last || s + 1 === stopAt) await saveCheckpoint(ckptDir, models.student, optimizerState(), state);
    }
  } catch (e) {
    bar.done('(failed)');
    run.fail(e);
    sgd.dispose();
    clip.dispose();
    throw e;
  }
  const finished = state.step === totalSteps;
  if (finished && state.bestStep === null) {
    // no validation fell after val_start_fraction and val_at_end is off: keep the final student so the run is usable
    log.warn(`run ${run.id}: no validation happened (val_start_fraction ${T.val_start_fraction}, val_at_end false); the final student is saved as the best`);
    await saveModel(models.student, studentDir);
    writeStudentInfo(state);
  }
  bar.done(finished ? `best val loss ${state.bestValLoss?.toFixed(4)} at step ${state.bestStep}` : `(stopped at step ${state.step})`);
  const stepSeconds = median(stepTimes);
  run.setSummary({ steps: state.step, total_steps: totalSteps, best_val_loss: state.bestValLoss, best_step: state.bestStep, median_step_seconds: stepSeconds });
  if (finished) run.finish();
  sgd.dispose();
  clip.dispose();
  return { run, steps: state.step, totalSteps, bestValLoss: state.bestValLoss, bestStep: state.bestStep, stepSeconds, models, finished };
}

/**
 * Is there a validation after optimizer step `step` (1-based)? Every `valEvery` steps once past `valStart` (the
 * reference: `total_steps % val_every == 0 and total_steps > pretrain_end`), and after the last step if `atEnd`.
 */
export function shouldValidate(step: number, o: { valEvery: number; valStart: number; totalSteps: number; atEnd: boolean }): boolean {
  return (step % o.valEvery === 0 && step > o.valStart) || (o.atEnd && step === o.totalSteps);
}

/**
 * One optimizer step over a batch given as micro-batches (disposed here): per micro-batch forward + backward with the
 * loss weighted by its share m/B, gradients summed (= the full batch's mean loss, exact with frozen BN; with BN in
 * training mode each micro-batch normalises with its own statistics), global-norm
 * clipping over the trainable tensors, then SGD with the warm-up factor.
 */
export function optimizerStep(student: tf.LayersModel, vars: ParamRef[], sgd: Sgd, parts: MicroBatch[], w: LossWeights, clip: GradientClip, step: number, lrFactor: number, bnTraining = false) {
  const total = parts.reduce((a, p) => a + p.labels.shape[0], 0);
  let grads: Map<string, tf.Tensor> | undefined;
  // the reference clip also needs the frozen tensors' gradients: tfjs only differentiates trainable variables
  const all = [...vars, ...clip.extra];
  const frozen = clip.extra.map((q) => q.variable.read() as tf.Variable);
  for (const v of frozen) v.trainable = true;
  const terms = { loss: 0, loss_consistency: 0, loss_quality: 0 };
  for (const part of parts) {
    const share = part.labels.shape[0] / total;
    let values: number[] = [];
    const { value, grads: g } = tf.variableGrads(() => {
      const [es, qs] = studentForward(student, part.pixels, bnTraining);
      const l = aikdLoss(es, qs, part.teacher, part.labels, w);
      values = [l.consistency.dataSync()[0]!, l.quality.dataSync()[0]!];
      return tf.mul(l.total, share) as tf.Scalar;
    }, all.map((p) => p.variable.read() as tf.Variable));
    terms.loss += value.dataSync()[0]!;
    terms.loss_consistency += values[0]! * share;
    terms.loss_quality += values[1]! * share;
    const byName = new Map(all.map((p) => [p.name, g[(p.variable.read() as tf.Variable).name]!] as const));
    if (!grads) grads = byName;
    else
      for (const [n, t] of byName) {
        const sum = tf.add(grads.get(n)!, t);
        grads.get(n)!.dispose();
        t.dispose();
        grads.set(n, sum);
      }
    tf.dispose([part.pixels, part.teacher, part.labels, value]);
  }
  for (const v of frozen) v.trainable = false;
  const { norm, clipped } = clip.clip(grads!, step);
  sgd.step(clipped, lrFactor);
  tf.dispose([...clipped.values()]);
  return { terms, gradNorm: norm };
}

/** Validation on aligned crops: the student's embedding against the teacher's, and its quality against the label. */
export function validate(
  models: AikdModels,
  val: readonly TrainItem[],
  crops: ReadonlyMap<string, RawImage>,
  teacherEmb: ReadonlyMap<string, Float32Array>,
  spec: BackboneSpec,
  micro: number,
  w: LossWeights,
): { total: number; consistency: number; quality: number } {
  let total = 0, consistency = 0, quality = 0;
  for (let i = 0; i < val.length; i += micro) {
    const mb = val.slice(i, i + micro);
    const r = tf.tidy(() => {
      const [es, qs] = studentForward(models.student, cropsToPixels(mb.map((v) => crops.get(v.id)!), spec.inputSize));
      const l = aikdLoss(es, qs, tf.tensor2d(concat(mb.map((v) => teacherEmb.get(v.id)!)), [mb.length, spec.embeddingSize]), tf.tensor1d(mb.map((v) => v.label)), w);
      return tf.stack([l.total, l.consistency, l.quality]);
    });
    const [a, b, c] = r.dataSync();
    r.dispose();
    total += a! * mb.length;
    consistency += b! * mb.length;
    quality += c! * mb.length;
  }
  return { total: total / val.length, consistency: consistency / val.length, quality: quality / val.length };
}

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** After a resume, drop the metric lines of steps the checkpoint does not include (they are computed again). */
function truncateMetrics(dir: string, step: number): void {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) return;
  const keep = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l && (JSON.parse(l) as { step: number }).step <= step);
  writeFileAtomic(file, keep.length ? keep.join('\n') + '\n' : '');
}
