/** `aikd train`: resolve the config, open the dataset, get the teacher's labels, train, report. */
import { AikdError, emit, log, resolveFromRoot, textTable } from '@aikd/core';
import { openDataset, type Dataset } from '@aikd/datasets';
import { Run, readResultTable, readParquetTable } from '@aikd/results';
import { createQualityMethod, scoreDataset, tableToScores, type QualityMethod } from '@aikd/teachers';
import { resolveTrainConfig, trainConfigSchema, type TrainConfig, type TrainOverrides } from './config.ts';
import { trainAikd } from './train.ts';

/**
 * The teacher's raw qualities for a dataset: from a scores file, or scored here (cached by the teachers package);
 * a teacher trained here (`crfiqa:<run-id>`) is found under the results root `root`.
 */
export async function teacherLabels(cfg: TrainConfig, ds: Dataset, root?: string): Promise<{ labels: Map<string, number>; info: Record<string, unknown>; teacher?: () => Promise<QualityMethod> }> {
  const L = cfg.labels;
  if (L.scores) {
    const file = resolveFromRoot(L.scores);
    const table = file.endsWith('.parquet') ? readParquetTable(file) : readResultTable(file).table;
    const s = tableToScores(table, file);
    return { labels: new Map(s.ids.map((id, i) => [id, s.quality[i]!])), info: { method: L.method, frModel: L.fr_model, source: 'file', file } };
  }
  const frModel = L.fr_model ?? cfg.model.backbone;
  const teacher = () => createQualityMethod(L.method, { frModel, params: L.params, weights: L.weights, root });
  const method = await teacher();
  try {
    const set = await scoreDataset(ds, method, { alignment: 'proper', seed: L.seed ?? cfg.seed });
    return {
      teacher,
      labels: new Map(set.ids.map((id, i) => [id, set.quality[i]!])),
      info: { method: method.id, frModel: method.frModel, params: method.params, seed: L.seed ?? cfg.seed, range: method.range, source: set.fromCache ? 'score cache' : 'scored', cache: set.cachePath, seconds: set.seconds },
    };
  } finally {
    await method.dispose();
  }
}

export async function trainCommand(o: Record<string, unknown>): Promise<void> {
  const overrides: TrainOverrides = {
    method: o.method as string | undefined,
    labelsFrModel: o.labelsFrModel as string | undefined,
    scores: o.scores as string | undefined,
    backbone: o.frModel as string | undefined,
    dataset: o.dataset as string | undefined,
    testIdentities: o.testIdentities as number | undefined,
    epochs: o.epochs as number | undefined,
    batch: o.batch as number | undefined,
    microBatch: o.microBatch as number | undefined,
    lr: o.lr as number | undefined,
    lrHead: o.lrHead as number | undefined,
    lrBackbone: o.lrBackbone as number | undefined,
    p: o.p as number | undefined,
    seed: o.seed as number | undefined,
    trainableTensors: o.trainableTensors as number | undefined,
    trainDepth: o.trainDepth as TrainOverrides['trainDepth'],
    valEvery: o.valEvery as number | undefined,
    valCriterion: o.valCriterion as TrainOverrides['valCriterion'],
    valSplit: o.valSplit as TrainOverrides['valSplit'],
    bn: o.bn as TrainOverrides['bn'],
    clip: o.clip as TrainOverrides['clip'],
    augmentPerFace: o.augment as number | undefined,
    name: o.name as string | undefined,
  };
  let cfg: TrainConfig;
  let resume: Run | undefined;
  if (o.resume) {
    if (o.config || Object.values(overrides).some((v) => v !== undefined))
      throw new AikdError('--resume continues a run with its own configuration: give no --config or training flags with it');
    resume = Run.open(String(o.resume));
    if (resume.info.kind !== 'train') throw new AikdError(`run ${resume.id} is a "${resume.info.kind}" run, not a training run`);
    cfg = trainConfigSchema.parse((resume.info.params as { config: unknown }).config);
  } else cfg = resolveTrainConfig(o.config ? resolveFromRoot(String(o.config)) : undefined, overrides);

  const ds = await openDataset(cfg.data.dataset);
  try {
    const { labels, info, teacher } = await teacherLabels(cfg, ds);
    if (o.lrFind) {
      if (resume) throw new AikdError('--lr-find starts a search of its own: give it no --resume');
      const { lrFind } = await import('./lr-find.ts');
      const f = await lrFind({ config: cfg, dataset: ds, labels, labelsInfo: info, teacher }, { steps: o.lrFindSteps as number, lrMin: o.lrMin as number, lrMax: o.lrMax as number });
      const out = { run_id: f.run.id, suggested_lr: f.suggested, min_loss_lr: f.minLossLr, steps: f.lrs.length, diverged_at_step: f.divergedAt };
      const every = Math.max(1, Math.ceil(f.lrs.length / 12));
      emit(out, () =>
        [
          textTable(f.lrs.map((lr, i) => ({ step: i + 1, lr: lr.toPrecision(3), loss: f.losses[i]!.toPrecision(4), smoothed: f.smoothed[i]!.toPrecision(4) })).filter((_, i) => i % every === 0 || i === f.lrs.length - 1)),
          f.suggested !== null ? `suggested lr ${f.suggested.toPrecision(2)} (steepest descent of the smoothed loss): aikd train … --lr ${f.suggested.toPrecision(2)}` : 'no suggestion: the smoothed loss never fell in this range',
          `curve: run ${f.run.id} (metrics lr, loss, loss_smoothed)`,
        ].join('\n'),
      );
      return;
    }
    const r = await trainAikd({ config: cfg, dataset: ds, labels, labelsInfo: info, teacher }, { resume, stopAfterSteps: o.maxSteps as number | undefined });
    r.models.dispose();
    const out = {
      run_id: r.run.id,
      run_dir: r.run.dir,
      finished: r.finished,
      steps: r.steps,
      total_steps: r.totalSteps,
      best_val_loss: r.bestValLoss,
      best_step: r.bestStep,
      median_step_seconds: r.stepSeconds,
      method: `aikd:${r.run.id}`,
    };
    emit(out, () =>
      [
        textTable([{ ...out, run_dir: undefined, method: undefined }], ['run_id', 'finished', 'steps', 'total_steps', 'best_val_loss', 'best_step', 'median_step_seconds']),
        r.finished ? `score with: aikd score --dataset <name> --method aikd:${r.run.id}` : `resume with: aikd train --resume ${r.run.id}`,
      ].join('\n'),
    );
    if (!r.finished) log.info(`stopped at step ${r.steps} of ${r.totalSteps}`);
  } finally {
    await ds.close();
  }
}
