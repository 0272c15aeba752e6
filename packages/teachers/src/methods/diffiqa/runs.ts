/**
 * `diffiqa:<run-id>`: DifFIQA with the small local UNet of a `method train --method diffiqa` run, around any FR
 * model (the run's by default). Given parameters are scoring parameters (R, t, steps, eta, clip) or training
 * parameters, which must equal the run's.
 */
import { join } from 'node:path';
import { resolveParams } from '../../params.ts';
import type { QualityMethod, QualityMethodOptions } from '../../types.ts';
import type { LearnedMethodDescriptor } from '../../train/learned.ts';
import { checkRunParams } from '../../train/load.ts';
import { readJsonFile, methodRun, type UnetFile } from '../../train/store.ts';
import { readWeights } from '@aikd/runtime';
import { openRecognizer, type OpenedRecognizer } from '../common.ts';
import { localDenoiser } from './denoiser.ts';
import { diffiqaMethod } from './diffiqa.ts';
import { diffiqaScoreParams } from './params.ts';
import { unetFromTensors } from './unet.ts';

const SCORING_KEYS = ['R', 't', 'steps', 'eta', 'clip'] as const;

export async function openDiffiqaRun(d: LearnedMethodDescriptor, runId: string, opts: QualityMethodOptions): Promise<QualityMethod> {
  const { dir, record, params } = methodRun(d.id, runId, opts.root);
  const { initRuntime } = await import('@aikd/runtime');
  await initRuntime();
  const overrides = checkRunParams(d, runId, params.params, opts.params, SCORING_KEYS);
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
    opened = await openRecognizer({ frModel: opts.frModel ?? params.fr_model, featureCache: false }); // diffused pixels: nothing to cache
  } catch (e) {
    await denoiser.dispose();
    throw e;
  }
  return diffiqaMethod(`diffiqa:${runId}`, denoiser, opened, P, { run: runId });
}
