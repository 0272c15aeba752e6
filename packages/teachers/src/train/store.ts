/**
 * Where trained learned methods live: a `teacher-train` run folder with `head/head.json` + `head.bin` (regressors)
 * or `unet/unet.json` + `unet.bin` (DifFIQA's local UNet), under the results root the caller names
 * (`QualityMethodOptions.root`, default AIKD_RESULTS or `<workspace>/results`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AikdError, InputError, MissingResourceError } from '@aikd/core';
import { readRunRecord, runsDir, type RunRecord } from '@aikd/results';
import { METHOD_TRAIN_RUN_KIND } from '../constants.ts';
import type { HeadState } from './head.ts';
import type { WeightsManifest } from '@aikd/runtime';
import type { UnetConfig } from '../methods/diffiqa/unet.ts';

export interface MethodRunParams {
  method: string;
  dataset: string;
  fr_model: string;
  seed: number | string;
  params: Record<string, unknown>;
  test_identities?: string[] | null;
}

export interface HeadFile {
  state: HeadState;
  weights: WeightsManifest;
  epoch: number;
  valLoss: number | null;
  valSpearman: number | null;
  frModel: string;
  frWeightsHash: string;
  method: string;
  /** Range of the training labels (label units). */
  labelRange: [number, number];
}

export interface UnetFile {
  config: UnetConfig;
  weights: WeightsManifest;
  parameters: number;
  trainSteps: number;
  bestStep: number;
  bestValLoss: number | null;
  timesteps: number;
  tMax: number;
  dataset: string;
  trainImages: number;
}

/** The folder and record of a training run of `method` under the results root `root`, checked to be of `method`. */
export function methodRun(method: string, runId: string, root?: string): { dir: string; record: RunRecord; params: MethodRunParams } {
  if (!runId) throw new AikdError(`method "${method}:<run-id>": give the id of a training run (aikd method train --method ${method} …)`);
  const dir = join(runsDir(root), runId);
  if (!existsSync(join(dir, 'run.json'))) throw new MissingResourceError(`method ${method}:${runId}: no run "${runId}" under ${runsDir(root)}`);
  const record = readRunRecord(join(dir, 'run.json'));
  const params = record.params as unknown as MethodRunParams;
  if (record.kind !== METHOD_TRAIN_RUN_KIND || params.method !== method)
    throw new AikdError(`method ${method}:${runId}: run ${runId} is a "${record.kind}" run${params?.method ? ` of ${params.method}` : ''}, not a ${method} training run`);
  return { dir, record, params };
}

export function readJsonFile<T>(path: string, what: string, runStatus: string): T {
  if (!existsSync(path)) throw new MissingResourceError(`${path}: the run has no ${what} (run status ${runStatus}; it is written at the first improvement)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new InputError({ file: path, expected: `the ${what} (JSON)`, got: (e as Error).message });
  }
}
