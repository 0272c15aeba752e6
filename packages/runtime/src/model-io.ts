import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError, MissingResourceError } from '@aikd/core';
import { existsSync } from 'node:fs';

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Read a tfjs model.json and its weight shards from disk (no fetch, no tfjs-node). */
export function readModelArtifacts(modelJson: string): tf.io.ModelArtifacts {
  if (!existsSync(modelJson)) throw new MissingResourceError(`model file not found: ${modelJson}`);
  let j: ModelJson;
  try {
    j = JSON.parse(readFileSync(modelJson, 'utf8')) as ModelJson;
  } catch (e) {
    throw new InputError({ file: modelJson, expected: 'a tfjs model.json', got: (e as Error).message });
  }
  if (!Array.isArray(j.weightsManifest)) throw new InputError({ file: modelJson, where: 'key weightsManifest', expected: 'a list of weight groups' });
  const dir = dirname(modelJson);
  const shards = j.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
  const buf = Buffer.concat(shards);
  return {
    modelTopology: j.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: j.format,
    generatedBy: j.generatedBy,
    convertedBy: j.convertedBy,
    signature: j.signature as object,
    userDefinedMetadata: j.userDefinedMetadata as Record<string, object>,
    modelInitializer: j.modelInitializer as object,
    weightSpecs: j.weightsManifest.flatMap((g) => g.weights),
    weightData: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
  };
}

/** An IOHandler that loads a model saved as model.json + shards from a local path. */
export function fileIOHandler(modelJson: string): tf.io.IOHandler {
  return { load: async () => readModelArtifacts(modelJson) };
}

export async function loadGraphModelFromFile(modelJson: string): Promise<tf.GraphModel> {
  return tf.loadGraphModel(fileIOHandler(modelJson));
}
