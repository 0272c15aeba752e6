/**
 * An AI-KD student trained inside an experiment (the `aikd` descriptor's trainer): the experiment's `train:`
 * section becomes the trainer's config sections, a learned teacher is trained first on the same data, and a
 * completed training with the same configuration is reused, even from another experiment, since training is the
 * most expensive step.
 */
import { AikdError, configHash } from '@aikd/core';
import { listRuns } from '@aikd/results';
import type { MethodTrainRequest, TrainableMethodSpec, TrainedMethod } from '@aikd/teachers/catalogue';
import { AIKD_TRAIN_RUN_KIND } from '../catalogue.ts';

const DATA_KEYS = new Set(['jitter_p', 'val_fraction', 'val_min', 'detector']);
const MODEL_KEYS = new Set(['trainable_tensors', 'head_hidden', 'iresnet']);
const TRAIN_KEYS = new Set([
  'epochs', 'batch_size', 'micro_batch', 'lr_head', 'momentum_head', 'weight_decay_head', 'lr_backbone', 'momentum_backbone',
  'weight_decay_backbone', 'warmup_fraction', 'clip_norm', 'consistency_weight', 'quality_weight', 'smooth_l1_beta', 'val_every',
  'val_criterion', 'checkpoint_every',
]);

/** An experiment's `train:` section of an AI-KD method → the trainer's config sections. */
export function aikdTrainSections(m: Pick<TrainableMethodSpec, 'label' | 'train'>): { data: Record<string, unknown>; model: Record<string, unknown>; train: Record<string, unknown> } {
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

export async function trainAikdStudent(req: MethodTrainRequest): Promise<TrainedMethod> {
  const { trainConfigSchema } = await import('./config.ts');
  const { trainAikd } = await import('./train.ts');
  const { teacherLabels } = await import('./command.ts');
  const m = req.method;
  const teacher = m.teacher;
  if (!teacher) throw new AikdError(`method ${m.label}: needs a "teacher" (the FIQA method it distils)`);
  let teacherId = teacher.id;
  // a teacher with official weights (onnx:, weights:) scores with them; a learned one without is trained first
  const official = teacher.weights ?? teacher.onnx;
  const teacherTrainer = !official && !teacher.id.includes(':') ? req.catalogue.get(teacher.id)?.trainer : undefined;
  if (teacherTrainer) {
    // a learned teacher is trained first, on the same training data
    const t = await teacherTrainer.train({ ...req, method: teacher });
    teacherId = t.methodId;
  }
  const s = aikdTrainSections(m);
  const cfg = trainConfigSchema.parse({
    name: `${m.label} on ${req.data.description}`,
    seed: req.seed,
    data: { dataset: req.data.name, test_identities: 0, ...s.data },
    labels: { method: teacherId, fr_model: teacher.frModel, params: teacher.params, ...(official ? { weights: official } : {}) },
    model: { backbone: m.frModel ?? 'mobileface', ...s.model },
    train: s.train,
  });
  const hash = configHash(cfg);
  const previous = listRuns(req.root)
    .filter((r) => r.kind === AIKD_TRAIN_RUN_KIND && r.status === 'completed' && (r.params as { config?: unknown }).config !== undefined && configHash((r.params as { config?: unknown }).config) === hash)
    .at(-1);
  if (previous) return { methodId: `aikd:${previous.id}`, runId: previous.id, summary: { reused: true } };
  const { labels, info } = await teacherLabels(cfg, req.data.dataset, req.root);
  const r = await trainAikd({ config: cfg, dataset: req.data.dataset, labels, labelsInfo: info }, { resultsRoot: req.root, parent: req.parent });
  r.models.dispose();
  if (!r.finished) throw new AikdError(`training ${r.run.id} did not finish`);
  return { methodId: `aikd:${r.run.id}`, runId: r.run.id, summary: { steps: r.steps, best_val_loss: r.bestValLoss, best_step: r.bestStep, median_step_s: r.stepSeconds } };
}
