/**
 * Named weights of the small networks trained here (regression heads, the local DifFIQA UNet): seeded
 * initialisation, and a `.bin` (tfjs weight encoding) + manifest written atomically, checked by hash on load.
 */
import { readFileSync } from 'node:fs';
import { AikdError, InputError, sha256Hex, writeFileAtomic, type Rng } from '@aikd/core';
import { tf } from '@aikd/runtime';

export interface WeightsManifest {
  /** File name of the weights, next to the manifest. */
  file: string;
  sha256: string;
  specs: tf.io.WeightsManifestEntry[];
}

export type NamedTensors = Record<string, tf.Tensor>;

/** He-normal values (std √(2/fanIn)) from a seeded stream; `scale` 0 gives zeros. */
export function heNormal(rng: Rng, size: number, fanIn: number, scale = 1): Float32Array {
  const out = new Float32Array(size);
  if (scale === 0) return out;
  const std = scale * Math.sqrt(2 / fanIn);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

/** Write named tensors to `path` (a .bin), atomically; returns the manifest to store next to it. */
export async function writeWeights(path: string, named: NamedTensors): Promise<WeightsManifest> {
  const { data, specs } = await tf.io.encodeWeights(Object.entries(named).map(([name, tensor]) => ({ name, tensor })));
  const bytes = new Uint8Array(data as ArrayBuffer);
  writeFileAtomic(path, bytes);
  return { file: path.split('/').pop()!, sha256: sha256Hex(bytes), specs };
}

/** Read weights written by `writeWeights`; the hash and the expected names are checked. */
export function readWeights(path: string, manifest: WeightsManifest, expected?: readonly string[]): NamedTensors {
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
