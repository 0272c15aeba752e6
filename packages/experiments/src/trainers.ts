/**
 * Training within an experiment: AI-KD students (and, through the teachers package, learned teachers). Each
 * training is its own run (parent = the experiment); a completed training with the same configuration is reused,
 * even from another experiment, since training is the most expensive step.
 */
import { AikdError, configHash } from '@aikd/core';
import { listRuns } from '@aikd/results';
import { methodTrainers, type MethodTrainer } from './units.ts';
import type { MethodSpec } from './plan.ts';

const DATA_KEYS = new Set(['jitter_p', 'val_fraction', 'val_min', 'detector']);
const MODEL_KEYS = new Set(['trainable_tensors', 'head_hidden', 'iresnet']);
const TRAIN_KEYS = new Set([
  'epochs', 'batch_size', 'micro_batch', 'lr_head', 'momentum_head', 'weight_decay_head', 'lr_backbone', 'momentum_backbone',
  'weight_decay_backbone', 'warmup_fraction', 'clip_norm', 'consistency_weight', 'quality_weight', 'smooth_l1_beta', 'val_every',
  'val_criterion', 'checkpoint_every',
]);

/** An experiment's `train:` section of an AI-KD method → the trainer's config sections. */
export function aikdTrainSections(m: MethodSpec): { data: Record<string, unknown>; model: Record<string, unknown>; train: Record<string, unknown> } {
  const out = { data: {} as Record<string, unknown>, model: {} as Record<string, unknown>, train: {} as Record<string, unknown> };
  for (const [k, v] of Object.entries(m.train ?? {})) {
    if (k === 'dataset') continue;
    if (k === 'lr') {
      out.train.lr_head = v;
      out.train.lr_backbone = v;
    } else if (DATA_KEYS.has(k)) out.data[k] = v;
    else if (MODEL_KEYS.has(k)) out.model[k] = v;
    else if (TRAIN_KEYS.has(k)) out.train[k] = v;
    else throw new AikdError(`method ${m.label}: train.${k} is not a training setting (expected dataset, lr, ${[...DATA_KEYS, ...MODEL_KEYS, ...TRAIN_KEYS].join(', ')})`);
  }
  return out;
}

const aikdTrainer: MethodTrainer = async (m, train, ctx) => {
  const { trainConfigSchema, trainAikd, teacherLabels } = await import('@aikd/aikd');
  const teacher = m.teacher!;
  let teacherId = teacher.id;
  if (!teacher.onnx && !teacher.id.includes(':') && methodTrainers.has(teacher.id)) {
    // a learned teacher is trained first, on the same training data
    const t = await methodTrainers.get(teacher.id)!(teacher, train, ctx);
    teacherId = t.methodId;
  }
  const s = aikdTrainSections(m);
  const cfg = trainConfigSchema.parse({
    name: `${m.label} on ${train.spec.key}${train.spec.split ? ` (train part, split ${train.spec.split.testFraction}/${train.spec.split.seed})` : ''}`,
    seed: ctx.seed,
    data: { dataset: train.spec.name, test_identities: 0, ...s.data },
    labels: { method: teacherId, fr_model: teacher.frModel, params: teacher.params },
    model: { backbone: m.frModel ?? 'mobileface', ...s.model },
    train: s.train,
  });
  const hash = configHash(cfg);
  // reused only when it was trained on the same data with the same code and weights (the training unit's key):
  // the configuration names the dataset, not its content
  const previous = listRuns(ctx.root)
    .filter(
      (r) =>
        r.kind === 'train' &&
        r.status === 'completed' &&
        (r.params as { config?: unknown }).config !== undefined &&
        configHash((r.params as { config?: unknown }).config) === hash &&
        ctx.inputs !== undefined &&
        r.summary?.unit_inputs === ctx.inputs,
    )
    .at(-1);
  if (previous) return { methodId: `aikd:${previous.id}`, runId: previous.id, summary: { reused: true } };
  const { labels, info } = await teacherLabels(cfg, train.dataset);
  const r = await trainAikd({ config: cfg, dataset: train.dataset, labels, labelsInfo: info }, { resultsRoot: ctx.root, parent: ctx.parent });
  r.models.dispose();
  if (!r.finished) throw new AikdError(`training ${r.run.id} did not finish`);
  if (ctx.inputs) r.run.setSummary({ unit_inputs: ctx.inputs });
  return { methodId: `aikd:${r.run.id}`, runId: r.run.id, summary: { steps: r.steps, best_val_loss: r.bestValLoss, best_step: r.bestStep, median_step_s: r.stepSeconds } };
};

/** Learned teachers (CR-FIQA, SDD-FIQA, FaceQnet, DifFIQA, DifFIQA(R)): the teachers package's head trainer. */
const teacherTrainer: MethodTrainer = async (m, train, ctx) => {
  // (no reuse across experiments: a head trains in seconds; within an experiment the unit's own run is reused)
  const { trainTeacher } = await import('@aikd/teachers');
  const frModel = m.frModel ?? 'faceres';
  const t = await trainTeacher(m.id, { dataset: train.dataset, frModel, params: m.params, seed: ctx.seed, parent: ctx.parent, root: ctx.root });
  return { methodId: t.methodId, runId: t.runId, summary: t.summary };
};

/** Register the trainers this package knows (called before an experiment runs). */
export function registerTrainers(): void {
  if (!methodTrainers.has('aikd')) methodTrainers.set('aikd', aikdTrainer);
  for (const id of ['crfiqa', 'sddfiqa', 'faceqnet', 'diffiqa', 'diffiqa-r']) if (!methodTrainers.has(id)) methodTrainers.set(id, teacherTrainer);
}
