/**
 * Named tensors as a weights file: the tfjs weight encoding in a `.bin`, written atomically, and a manifest (file
 * name, sha256, specs) that the caller stores next to it; reading checks the hash and, optionally, the names. The
 * one writer of trained weights (learned methods' heads and UNets, AI-KD checkpoints).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AikdError, InputError, sha256Hex, writeFileAtomic } from '@aikd/core';

export interface WeightsManifest {
  /** File name of the weights, next to the manifest. */
  file: string;
  sha256: string;
  specs: tf.io.WeightsManifestEntry[];
}

export type NamedTensors = Record<string, tf.Tensor>;

/** Write named tensors to `path` (a .bin), atomically; returns the manifest to store next to it. */
export async function writeWeights(path: string, named: NamedTensors): Promise<WeightsManifest> {
  const { data, specs } = await tf.io.encodeWeights(Object.entries(named).map(([name, tensor]) => ({ name, tensor })));
  const bytes = new Uint8Array(data as ArrayBuffer);
  writeFileAtomic(path, bytes);
  return { file: basename(path), sha256: sha256Hex(bytes), specs };
}

/** Read weights written by `writeWeights`; the hash and the expected names are checked. */
export function readWeights(path: string, manifest: Omit<WeightsManifest, 'file'>, expected?: readonly string[]): NamedTensors {
  const buf = readFileSync(path);
  if (sha256Hex(buf) !== manifest.sha256)
    throw new InputError({ file: path, expected: `the weights its manifest names (sha256 ${manifest.sha256.slice(0, 12)}…)`, got: 'different bytes (a partial or replaced file)' });
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const named = tf.io.decodeWeights(ab, manifest.specs) as NamedTensors;
  if (expected) {
    const missing = expected.filter((n) => !named[n]);
    if (missing.length) {
      tf.dispose(Object.values(named));
      throw new AikdError(`${path}: missing weights ${missing.slice(0, 5).join(', ')}`);
    }
  }
  return named;
}
