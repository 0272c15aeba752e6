/**
 * Checkpoints. A resumable one holds every student weight (by variable name), the SGD momentum buffers and the
 * trainer's state; it is written as `ckpt-<step>.bin` first and `checkpoint.json` (which names it, with its hash)
 * last, each atomically, and older .bin files are removed only afterwards — a kill at any moment leaves a complete
 * checkpoint. The student itself is also saved with `model.save()` (model.json + weights.bin) for scoring.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf, readModelArtifacts, readWeights, writeWeights } from '@aikd/runtime';
import { AikdError, InputError, writeFileAtomic, writeJsonAtomic } from '@aikd/core';
import { registerBackboneLayers } from '@aikd/fr-models';

export interface TrainerState {
  /** Optimizer steps done. */
  step: number;
  bestValLoss: number | null;
  bestStep: number | null;
  /** Config hash of the run, so a checkpoint is never loaded into another configuration. */
  configHash: string;
}

interface CheckpointFile extends TrainerState {
  weightsFile: string;
  sha256: string;
  specs: tf.io.WeightsManifestEntry[];
  savedAt: string;
}

const PREFIX_MODEL = 'model/', PREFIX_OPT = 'sgd/';

export async function saveCheckpoint(dir: string, model: tf.LayersModel, optimizerState: Map<string, tf.Tensor>, state: TrainerState): Promise<void> {
  const named: { name: string; tensor: tf.Tensor }[] = [
    ...model.weights.map((w) => ({ name: PREFIX_MODEL + w.originalName, tensor: w.read() })),
    ...[...optimizerState].map(([name, tensor]) => ({ name: PREFIX_OPT + name, tensor })),
  ];
  const weightsFile = `ckpt-${state.step}.bin`;
  const { sha256, specs } = await writeWeights(join(dir, weightsFile), Object.fromEntries(named.map((w) => [w.name, w.tensor])));
  const file: CheckpointFile = { ...state, weightsFile, sha256, specs, savedAt: new Date().toISOString() };
  writeJsonAtomic(join(dir, 'checkpoint.json'), file);
  for (const f of readdirSync(dir)) if (/^ckpt-\d+\.bin$/.test(f) && f !== weightsFile) rmSync(join(dir, f), { force: true });
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint.json'));
}

/** Restore model weights and optimizer state; returns the trainer state. Checks names, shapes, hash and config. */
export function loadCheckpoint(dir: string, model: tf.LayersModel, configHash: string): { state: TrainerState; optimizer: Map<string, tf.Tensor> } {
  const jsonPath = join(dir, 'checkpoint.json');
  let file: CheckpointFile;
  try {
    file = JSON.parse(readFileSync(jsonPath, 'utf8')) as CheckpointFile;
  } catch (e) {
    throw new InputError({ file: jsonPath, expected: 'a training checkpoint (JSON)', got: (e as Error).message });
  }
  if (file.configHash !== configHash) throw new AikdError(`${jsonPath}: the checkpoint belongs to configuration ${file.configHash}, not ${configHash}`);
  const binPath = join(dir, file.weightsFile);
  const map = readWeights(binPath, file);
  for (const w of model.weights) {
    const t = map[PREFIX_MODEL + w.originalName];
    if (!t) throw new InputError({ file: binPath, expected: `weight ${w.originalName}` });
    w.write(t);
  }
  const optimizer = new Map<string, tf.Tensor>();
  for (const [name, t] of Object.entries(map)) if (name.startsWith(PREFIX_OPT)) optimizer.set(name.slice(PREFIX_OPT.length), t);
  tf.dispose(Object.entries(map).filter(([n]) => n.startsWith(PREFIX_MODEL)).map(([, t]) => t));
  const { step, bestValLoss, bestStep } = file;
  return { state: { step, bestValLoss, bestStep, configHash: file.configHash }, optimizer };
}

/** `model.save()` to a folder (model.json + weights.bin, each written atomically). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData as ArrayBuffer;
      writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(data));
      writeJsonAtomic(join(dir, 'model.json'), {
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    }),
  );
}

export async function loadModel(dir: string): Promise<tf.LayersModel> {
  registerBackboneLayers(); // the student's custom layers (pixel normalisation, GELU, …)
  return tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(join(dir, 'model.json'))));
}
