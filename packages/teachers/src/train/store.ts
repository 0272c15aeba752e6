/**
 * Where trained teachers live: a `teacher-train` run folder with `head/head.json` + `head.bin` (regressors) or
 * `unet/unet.json` + `unet.bin` (DifFIQA's local UNet). Runs trained in this process under another results root
 * are remembered, so `<method>:<run-id>` finds them without the root being passed around.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AikdError, InputError, MissingResourceError } from '@aikd/core';
import { readRunRecord, runsDir, type RunRecord } from '@aikd/results';
import { TEACHER_RUN_KIND } from '../constants.ts';
import type { HeadState } from './head.ts';
import type { WeightsManifest } from './weights.ts';
import type { UnetConfig } from '../methods/diffiqa/unet.ts';

const roots = new Map<string, string | undefined>();

export function rememberRunRoot(runId: string, root: string | undefined): void {
  roots.set(runId, root);
}

export interface TeacherRunParams {
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

/** The folder and record of a teacher run, checked to be of `method`. */
export function teacherRun(method: string, runId: string): { dir: string; record: RunRecord; params: TeacherRunParams } {
  if (!runId) throw new AikdError(`method "${method}:<run-id>": give the id of a training run (aikd teacher train --method ${method} …)`);
  const dir = join(runsDir(roots.get(runId)), runId);
  if (!existsSync(join(dir, 'run.json'))) throw new MissingResourceError(`method ${method}:${runId}: no run "${runId}" under ${runsDir(roots.get(runId))}`);
  const record = readRunRecord(join(dir, 'run.json'));
  const params = record.params as unknown as TeacherRunParams;
  if (record.kind !== TEACHER_RUN_KIND || params.method !== method)
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
