/**
 * `<method>:<run-id>`: a trained teacher as a FIQA method. Regressors apply their head to the same frozen FR model
 * they were trained on (its embedding or features of the crop); `diffiqa:<run-id>` runs DifFIQA with the run's
 * local UNet around any FR model (the run's by default). Parameters given when opening are scoring parameters
 * (DifFIQA's R, t, steps, eta, clip) or training parameters, which must equal the run's.
 */
import { join } from 'node:path';
import { AikdError, stableStringify } from '@aikd/core';
import type { Recognizer } from '@aikd/fr-models';
import { type LearnedMethodId } from '../constants.ts';
import { resolveParams } from '../params.ts';
import type { QualityMethod, QualityMethodOptions } from '../types.ts';
import { checkCount, inputOf, openRecognizer, type OpenedRecognizer } from '../methods/common.ts';
import { diffiqaMethod } from '../methods/diffiqa/diffiqa.ts';
import { diffiqaScoreParams } from '../methods/diffiqa/params.ts';
import { localDenoiser } from '../methods/diffiqa/denoiser.ts';
import { unetFromTensors } from '../methods/diffiqa/unet.ts';
import { featuresOf } from './features.ts';
import { HEAD_WEIGHT_NAMES, predictHead } from './head.ts';
import { TRAIN_PARAMS } from './params.ts';
import { readJsonFile, teacherRun, type HeadFile, type UnetFile } from './store.ts';
import { readWeights } from './weights.ts';

const SCORING_KEYS = ['R', 't', 'steps', 'eta', 'clip'] as const;

/** Split given parameters into scoring overrides and training values that must match the run's. */
function checkParams(method: LearnedMethodId, runId: string, trained: Record<string, unknown>, given: Record<string, unknown> | undefined, scoring: readonly string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  const known = new Set([...Object.keys(TRAIN_PARAMS[method].shape), ...scoring]);
  for (const [k, v] of Object.entries(given ?? {})) {
    if (!known.has(k)) throw new AikdError(`${method}:${runId}: unknown parameter ${k} (scoring parameters: ${scoring.join(', ') || 'none'})`);
    if (scoring.includes(k)) overrides[k] = v;
    else if (v !== undefined && stableStringify(v) !== stableStringify(trained[k]))
      throw new AikdError(`${method}:${runId} was trained with ${k} = ${JSON.stringify(trained[k])}, not ${JSON.stringify(v)}; train another run for that value`);
  }
  return overrides;
}

const frId = (fr: QualityMethodOptions['frModel']) => (typeof fr === 'string' ? fr : fr?.id);

export async function openTrainedTeacher(method: LearnedMethodId, runId: string, opts: QualityMethodOptions = {}): Promise<QualityMethod> {
  const { dir, record, params } = teacherRun(method, runId);
  const { initRuntime } = await import('@aikd/runtime');
  await initRuntime();
  if (method === 'diffiqa') {
    const overrides = checkParams(method, runId, params.params, opts.params, SCORING_KEYS);
    const P = resolveParams(`diffiqa:${runId}`, diffiqaScoreParams, { ...Object.fromEntries(SCORING_KEYS.map((k) => [k, params.params[k]])), timesteps: params.params.timesteps, ...overrides });
    const file = readJsonFile<UnetFile>(join(dir, 'unet', 'unet.json'), 'saved UNet', record.status);
    const named = readWeights(join(dir, 'unet', file.weights.file), file.weights);
    const denoiser = localDenoiser(
      unetFromTensors(file.config, named),
      file.config,
      `small local UNet of run ${runId} (${file.parameters} parameters, ${file.config.size}×${file.config.size}, ${file.trainSteps} steps on ${file.trainImages} images of ${file.dataset}; not the paper's UNet)`,
      file.weights.sha256.slice(0, 16),
    );
    let opened: OpenedRecognizer;
    try {
      opened = await openRecognizer({ frModel: opts.frModel ?? params.fr_model });
    } catch (e) {
      await denoiser.dispose();
      throw e;
    }
    return diffiqaMethod(`diffiqa:${runId}`, denoiser, opened, P, { run: runId });
  }
  checkParams(method, runId, params.params, opts.params, []);
  const file = readJsonFile<HeadFile>(join(dir, 'head', 'head.json'), 'saved head', record.status);
  const asked = frId(opts.frModel);
  if (asked && asked !== file.frModel)
    throw new AikdError(`${method}:${runId} is a head on ${file.frModel}'s ${file.state.featureShape.length === 1 ? 'embedding' : 'features'}; it cannot score with ${asked} (train a run on ${asked})`);
  const W = readWeights(join(dir, 'head', file.weights.file), file.weights, HEAD_WEIGHT_NAMES(file.state.config));
  let opened: OpenedRecognizer;
  try {
    opened = await openRecognizer({ frModel: opts.frModel ?? file.frModel });
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
