/**
 * An AI-KD student trained inside an experiment (the `aikd` descriptor's trainer): the experiment's `train:`
 * section becomes the trainer's config sections (sections.ts), a learned teacher is trained first on the same
 * data, and a completed training with the same configuration and the same inputs (the training unit's key: data
 * content, weights, code) is reused, even from another experiment, since training is the most expensive step.
 */
import { AikdError, configHash } from '@aikd/core';
import { listRuns } from '@aikd/results';
import type { MethodTrainRequest, TrainedMethod } from '@aikd/teachers/catalogue';
import { AIKD_TRAIN_RUN_KIND } from '../catalogue.ts';
import { aikdTrainSections } from './sections.ts';

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
  // the configuration names the dataset, not its content: reused only when trained with the same inputs
  const previous = listRuns(req.root)
    .filter(
      (r) =>
        r.kind === AIKD_TRAIN_RUN_KIND &&
        r.status === 'completed' &&
        (r.params as { config?: unknown }).config !== undefined &&
        configHash((r.params as { config?: unknown }).config) === hash &&
        req.inputs !== undefined &&
        r.summary?.unit_inputs === req.inputs,
    )
    .at(-1);
  if (previous) return { methodId: `aikd:${previous.id}`, runId: previous.id, summary: { reused: true } };
  const { labels, info, teacher: openTeacher } = await teacherLabels(cfg, req.data.dataset, req.root);
  const r = await trainAikd({ config: cfg, dataset: req.data.dataset, labels, labelsInfo: info, teacher: openTeacher }, { resultsRoot: req.root, parent: req.parent });
  r.models.dispose();
  if (!r.finished) throw new AikdError(`training ${r.run.id} did not finish`);
  if (req.inputs) r.run.setSummary({ unit_inputs: req.inputs });
  return { methodId: `aikd:${r.run.id}`, runId: r.run.id, summary: { steps: r.steps, best_val_loss: r.bestValLoss, best_step: r.bestStep, median_step_s: r.stepSeconds } };
}
