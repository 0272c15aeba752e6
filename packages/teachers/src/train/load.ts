/**
 * `<method>:<run-id>`: a trained learned method as a FIQA method. Regressors apply their head to the same frozen FR
 * model they were trained on (its embedding or features of the crop); methods with a trainer of their own open
 * their runs themselves (DifFIQA: methods/diffiqa/runs.ts). Parameters given when opening are the method's scoring
 * parameters, or training parameters, which must equal the run's.
 */
import { join } from 'node:path';
import { AikdError, stableStringify } from '@aikd/core';
import type { Recognizer } from '@aikd/fr-models';
import type { QualityMethod, QualityMethodOptions } from '../types.ts';
import { checkCount, inputOf, openRecognizer, type OpenedRecognizer } from '../methods/common.ts';
import { featuresOf } from './features.ts';
import { HEAD_WEIGHT_NAMES, predictHead } from './head.ts';
import type { LearnedMethodDescriptor } from './learned.ts';
import { readJsonFile, methodRun, type HeadFile } from './store.ts';
import { readWeights } from '@aikd/runtime';

/** Split given parameters into scoring overrides and training values that must match the run's. */
export function checkRunParams(d: LearnedMethodDescriptor, runId: string, trained: Record<string, unknown>, given: Record<string, unknown> | undefined, scoring: readonly string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  const known = new Set([...Object.keys(d.trainer.params.shape), ...scoring]);
  for (const [k, v] of Object.entries(given ?? {})) {
    if (!known.has(k)) throw new AikdError(`${d.id}:${runId}: unknown parameter ${k} (scoring parameters: ${scoring.join(', ') || 'none'})`);
    if (scoring.includes(k)) overrides[k] = v;
    else if (v !== undefined && stableStringify(v) !== stableStringify(trained[k]))
      throw new AikdError(`${d.id}:${runId} was trained with ${k} = ${JSON.stringify(trained[k])}, not ${JSON.stringify(v)}; train another run for that value`);
  }
  return overrides;
}

const frId = (fr: QualityMethodOptions['frModel']) => (typeof fr === 'string' ? fr : fr?.id);

/** A run of a learned method or of a method of another package with runs: `openMethodRun('crfiqa', runId)`. */
export async function openMethodRun(method: string, runId: string, opts: QualityMethodOptions = {}): Promise<QualityMethod> {
  const { methodCatalogue } = await import('../catalogue/index.ts');
  return methodCatalogue.open(`${method}:${runId}`, opts);
}

/** `<method>:<run-id>` of a regressor: the run's head on its frozen FR model. */
export async function openTrainedHead(d: LearnedMethodDescriptor, runId: string, opts: QualityMethodOptions = {}): Promise<QualityMethod> {
  const method = d.id;
  const { dir, record, params } = methodRun(method, runId, opts.root);
  const { initRuntime } = await import('@aikd/runtime');
  await initRuntime();
  checkRunParams(d, runId, params.params, opts.params, []);
  const file = readJsonFile<HeadFile>(join(dir, 'head', 'head.json'), 'saved head', record.status);
  const asked = frId(opts.frModel);
  if (asked && asked !== file.frModel)
    throw new AikdError(`${method}:${runId} is a head on ${file.frModel}'s ${file.state.featureShape.length === 1 ? 'embedding' : 'features'}; it cannot score with ${asked} (train a run on ${asked})`);
  const W = readWeights(join(dir, 'head', file.weights.file), file.weights, HEAD_WEIGHT_NAMES(file.state.config));
  let opened: OpenedRecognizer;
  try {
    opened = await openRecognizer({ frModel: opts.frModel ?? file.frModel, featureCache: opts.featureCache });
  } catch (e) {
    const { tf } = await import('@aikd/runtime');
    tf.dispose(Object.values(W));
    throw e;
  }
  const rec: Recognizer = opened.rec;
  if (rec.spec.weightsHash !== file.frWeightsHash)
    throw new AikdError(`${method}:${runId}: ${rec.id}'s weights (${rec.spec.weightsHash}) are not those the head was trained on (${file.frWeightsHash})`);
  const input = params.params.input as 'embedding' | 'features';
  const F = file.state.featureShape.reduce((a, b) => a * b, 1);
  return {
    id: `${method}:${runId}`,
    requires: { frModel: true, training: true },
    params: { run: runId, ...params.params, best_epoch: file.epoch, val_loss: file.valLoss, val_spearman: file.valSpearman },
    frModel: rec.id,
    weightsHash: `${file.weights.sha256.slice(0, 16)}+${rec.spec.weightsHash}`,
    range: { min: null, max: null, note: `${method} head (${input}) on frozen ${rec.id}, trained on ${params.dataset}; training labels spanned [${file.labelRange.map((v) => v.toPrecision(4)).join(', ')}]` },
    input: inputOf(rec),
    batchSize: rec.spec.inputSize > 160 ? 8 : 32,
    async score(crops, ctx) {
      checkCount(`${method}:${runId}`, crops, ctx.ids);
      if (!crops.length) return new Float64Array(0);
      let X: Float32Array;
      if (input === 'embedding') {
        const e = await rec.embed(crops);
        X = new Float32Array(crops.length * F);
        e.forEach((v, i) => X.set(v, i * F));
      } else X = (await featuresOf(rec, crops)).data;
      if (X.length !== crops.length * F) throw new AikdError(`${method}:${runId}: ${rec.id} gave ${X.length / crops.length} values per image, the head expects ${F}`);
      return predictHead(W, file.state, X, crops.length);
    },
    async dispose() {
      const { tf } = await import('@aikd/runtime');
      tf.dispose(Object.values(W));
      if (opened.owned) await rec.dispose();
    },
  };
}
