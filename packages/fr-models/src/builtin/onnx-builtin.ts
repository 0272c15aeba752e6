/**
 * The built-in FR models on ONNX Runtime. On first use each is converted to ONNX from its trainable tf.layers
 * rebuild (backbones/, itself checked against the shipped graph: cos ≥ 0.99999) with the project's ONNX writer,
 * checked once more against the rebuild on a probe batch, and cached by content: the source weights' hash, the
 * conventions and the conversion code (`.aikd/cache/onnx/<id>-<key>/`). Inference (embeddings, SER-FIQ's features
 * and head) then runs on ONNX Runtime; the model's tfjs form loads only when input gradients are asked for.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AikdError, cacheDir, configHash, log, outputMode, rngFor, writeFileAtomic } from '@aikd/core';
import type { tf as TF } from '@aikd/runtime';
import type { BundledFrModel } from '../catalogue.ts';
import type { Recognizer, RecognizerSpec } from '../types.ts';
import { cosine } from '../verify.ts';

/** Files of the conversion: the model (pixels → embedding, penultimate) and its head (penultimate → embedding). */
export interface ConvertedModel {
  model: string;
  head: string;
  /** Converted now (false: from the cache). */
  converted: boolean;
}

/** Names inside the converted graphs, and what their pixel input takes: the crops' RGB values as they are, NHWC. */
export const CONVERTED = {
  input: 'pixels',
  embedding: 'embedding',
  penultimate: 'penultimate',
  preprocess: { colour: 'RGB', mean: 0, std: 1, layout: 'NHWC' },
} as const;

let codeHash: string | undefined;
/** A hash of the code that writes the conversion (the ONNX writer and the rebuilds), from wherever it runs
 * (sources or build): changed code converts again instead of reusing an old file. */
function conversionCodeHash(): string {
  if (codeHash) return codeHash;
  const here = dirname(fileURLToPath(import.meta.url));
  const h = createHash('sha256');
  for (const dir of ['onnx', 'backbones', 'builtin'])
    for (const f of readdirSync(join(here, '..', dir), { recursive: true }).map(String).sort())
      if (/\.[cm]?[jt]s$/.test(f)) h.update(`${dir}/${f}\0`).update(readFileSync(join(here, '..', dir, f)));
  return (codeHash = h.digest('hex').slice(0, 16));
}

/** Where a built-in model's conversion is cached: a key of everything the conversion is made from, the converting
 * code (`code`, default: the hash of this code) included, so a conversion written by older code is never reused. */
export function conversionDir(m: Pick<BundledFrModel, 'id'>, spec: Pick<RecognizerSpec, 'weightsHash' | 'colour' | 'template'>, code = conversionCodeHash()): string {
  const key = configHash({ kind: 'onnx-conversion', id: m.id, weights: spec.weightsHash, colour: spec.colour, template: spec.template, code });
  return cacheDir('onnx', `${m.id}-${key}`);
}

/** The cached ONNX form of a built-in model, converted when it is missing. */
export async function convertedModel(m: BundledFrModel, spec: RecognizerSpec): Promise<ConvertedModel> {
  const dir = conversionDir(m, spec);
  const files = { model: join(dir, 'model.onnx'), head: join(dir, 'head.onnx') };
  // the model file is written last: its presence means the conversion is complete
  if (existsSync(files.model) && existsSync(files.head)) return { ...files, converted: false };

  const t0 = performance.now();
  const { tf, initRuntime } = await import('@aikd/runtime');
  const { instantiate } = await import('../backbones/index.ts');
  const { layersToOnnx } = await import('../onnx/from-layers.ts');
  const { encodeModel } = await import('../onnx/proto.ts');
  await initRuntime();
  const source = await m.trainable(spec);
  const bb = instantiate(source, `${m.id}_onnx`);
  source.dispose();
  try {
    const out = bb.model.outputs[0]!.sourceLayer.name;
    if (!bb.penultimate) throw new AikdError(`${m.id}: its rebuild marks no penultimate layer, so its ONNX form could not give SER-FIQ's features`);
    const model = encodeModel(
      layersToOnnx(bb.model, { input: CONVERTED.input, outputs: [{ layer: out, name: CONVERTED.embedding }, { layer: bb.penultimate, name: CONVERTED.penultimate }] }),
    );
    const head = encodeModel(layersToOnnx(bb.model, { from: { layer: bb.penultimate, name: CONVERTED.penultimate }, outputs: [{ layer: out, name: CONVERTED.embedding }] }));
    // the conversion must give what the rebuild gives (a probe batch of two seeded noise images)
    const S = spec.inputSize, n = 2, per = S * S * 3;
    const rng = rngFor('onnx-conversion-probe', m.id);
    const nhwc = Float32Array.from({ length: n * per }, () => rng.uniform(0, 255));
    const ref = tf.tidy(() => bb.model.predict(tf.tensor4d(nhwc, [n, S, S, 3])) as TF.Tensor).dataSync() as Float32Array;
    const { createOnnxSession, ort } = await import('@aikd/runtime');
    const session = await createOnnxSession(model, { label: `${m.id} (ONNX conversion)`, threads: 1 });
    const got = (await session.run({ [CONVERTED.input]: new ort.Tensor('float32', nhwc, [n, S, S, 3]) }, [CONVERTED.embedding]))[CONVERTED.embedding]!.data as Float32Array;
    await session.release();
    const d = ref.length / n;
    for (let i = 0; i < n; i++) {
      const c = cosine(ref.subarray(i * d, (i + 1) * d), got.subarray(i * d, (i + 1) * d));
      if (!(c >= 0.99999)) throw new AikdError(`${m.id}: its ONNX conversion does not reproduce the tfjs rebuild (cosine ${c} on a probe image); not cached`);
    }
    writeFileAtomic(files.head, head);
    writeFileAtomic(files.model, model);
    if (!outputMode().json) log.info(`${m.id}: converted to ONNX for ONNX Runtime in ${((performance.now() - t0) / 1000).toFixed(1)} s (cached in ${dir})`);
    return { ...files, converted: true };
  } finally {
    bb.model.dispose();
  }
}

/** A built-in model as a recogniser: inference on ONNX Runtime, input gradients from its tfjs form (loaded on demand). */
export async function openOnOnnxRuntime(m: BundledFrModel): Promise<Recognizer> {
  const spec = await m.spec('onnx');
  const files = await convertedModel(m, spec);
  const { createOnnxRecognizer } = await import('../onnx/onnx-recognizer.ts');
  const rec = await createOnnxRecognizer(
    files.model,
    { size: spec.inputSize, ...CONVERTED.preprocess, input: CONVERTED.input, output: CONVERTED.embedding },
    { id: m.id, spec, head: { model: files.head, featureName: CONVERTED.penultimate } },
  );
  let tfjs: Promise<Recognizer> | undefined;
  return {
    ...rec,
    gradients: async () => (await (tfjs ??= m.tfjs())).gradients!(),
    async dispose() {
      await rec.dispose();
      if (tfjs) await (await tfjs).dispose();
    },
  };
}
