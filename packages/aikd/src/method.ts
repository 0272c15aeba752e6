/**
 * `aikd:<run-id>`: a trained AI-KD student as a FIQA method. Quality = the student's head output MLP(M^s(x)) on
 * crops aligned to its backbone's template (aikd.md §6); higher = better, on the scale of the normalised teacher
 * labels (≈ [0, 1]).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, initRuntime } from '@aikd/runtime';
import { AikdError, MissingResourceError, fileSha256, log, packageCodeVersion } from '@aikd/core';
import { readRunRecord, runsDir } from '@aikd/results';
import type { QualityMethod, QualityMethodOptions } from '@aikd/teachers';
import { AIKD_TRAIN_RUN_KIND } from './catalogue.ts';
import { cropsToPixels } from '@aikd/fr-models';
import { loadModel } from './train/checkpoint.ts';
import { studentForward } from './train/model.ts';
import { DEFAULT_MICRO_BATCH, type StudentInfo } from './train/train.ts';

export async function createAikdMethod(runId: string, opts: QualityMethodOptions = {}, root = opts.root): Promise<QualityMethod> {
  if (!runId) throw new AikdError('method "aikd:<run-id>": give the id of a training run (see `aikd runs list`)');
  const dir = join(runsDir(root), runId);
  if (!existsSync(join(dir, 'run.json'))) throw new MissingResourceError(`method aikd:${runId}: no run "${runId}" under ${runsDir(root)}`);
  const record = readRunRecord(join(dir, 'run.json'));
  if (record.kind !== AIKD_TRAIN_RUN_KIND) throw new AikdError(`method aikd:${runId}: run ${runId} is a "${record.kind}" run, not a training run`);
  const infoFile = join(dir, 'student.json');
  if (!existsSync(join(dir, 'student', 'model.json')) || !existsSync(infoFile))
    throw new MissingResourceError(`method aikd:${runId}: the run has no saved student yet (status ${record.status}; one is saved at the first validation)`);
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as StudentInfo;
  const frModel = typeof opts.frModel === 'string' ? opts.frModel : opts.frModel?.id;
  if (frModel && frModel !== info.backbone.id)
    log.warn(`aikd:${runId} scores with its own student backbone (a trained copy of ${info.backbone.id}); --fr-model ${frModel} does not change that`);
  await initRuntime();
  const model = await loadModel(join(dir, 'student'));
  const size = info.backbone.inputSize;
  return {
    id: `aikd:${runId}`,
    requires: { training: true },
    params: { run: runId, backbone: info.backbone.id, teacher_method: info.labels.method, teacher_fr_model: info.labels.frModel, best_step: info.bestStep, labels_min_max: [info.labels.min, info.labels.max] },
    frModel: info.backbone.id,
    weightsHash: (await fileSha256(join(dir, 'student', 'weights.bin'))).slice(0, 16),
    codeVersion: packageCodeVersion('aikd'),
    range: { min: null, max: null, note: `regressed ${info.labels.method} quality, min-max normalised to [0, 1] on the training split` },
    input: { size, template: info.backbone.template },
    batchSize: DEFAULT_MICRO_BATCH[info.backbone.family] ?? 8,
    async score(crops) {
      if (!crops.length) return new Float64Array(0);
      const q = tf.tidy(() => studentForward(model, cropsToPixels(crops, size))[1]);
      const out = Float64Array.from(q.dataSync());
      q.dispose();
      return out;
    },
    dispose: () => {
      model.dispose();
    },
  };
}
