/**
 * Built-in FR models, images/s at batch 32 on aligned crops of real faces (repeated to fill the batch):
 * - `aikd` = `Recognizer.embed` as every command runs it (ONNX Runtime on the converted model, crops → tensor →
 *   embeddings), against its anchor measured in the same run: a bare onnxruntime-node session on the same model
 *   file as a user would open it (all cores, full graph optimisation, ORT's other defaults: spinning threads, the
 *   whole batch in one call), input tensor made once (ratio = the pipeline's speed against plain ONNX Runtime's;
 *   above 1 where aikd's session settings and batch parts beat the defaults);
 * - the model's tfjs form as it ships, on tfjs-wasm (what inference ran on before; ratio = the speed-up).
 * Best of a few timed repetitions after a warm-up, so load from other processes hurts every column alike.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { initRuntime, ort } from '@aikd/runtime';
import { decodeImage } from '@aikd/datasets';
import { alignToTemplate, sharedDetector } from '@aikd/alignment';
import { textTable } from '@aikd/core';
import { frModelCatalogue, createRecognizer, cropsToOnnxInput, type BundledFrModel } from '../src/index.ts';
import { CONVERTED, convertedModel } from '../src/builtin/onnx-builtin.ts';

const BATCH = 32;
const REPS = Number(process.env.BENCH_EMBED_REPS ?? 5);
const require = createRequire(import.meta.url);
const photo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
await initRuntime({ backend: 'wasm' });
const img = await decodeImage(new Uint8Array(readFileSync(photo)));
const faces = await (await sharedDetector('faceapi-ssd')).detect(img);

/** Images/s of each function: the fastest of `reps` timed calls after one warm-up, the functions' calls alternating
 * so that load from other processes hits them alike. */
async function rates(runs: (() => Promise<unknown>)[], reps = REPS): Promise<number[]> {
  for (const run of runs) await run();
  const best = runs.map(() => Infinity);
  for (let r = 0; r < reps; r++)
    for (const [k, run] of runs.entries()) {
      const t = performance.now();
      await run();
      best[k] = Math.min(best[k]!, performance.now() - t);
    }
  return best.map((ms) => BATCH / (ms / 1000));
}

const rows: Record<string, unknown>[] = [];
for (const id of frModelCatalogue.tfjsIds()) {
  const m = frModelCatalogue.get(id) as BundledFrModel;
  const rec = await createRecognizer(id);
  const crops = Array.from({ length: BATCH }, (_, i) => faces[i % faces.length]!).map((f) => alignToTemplate(img, f.landmarks, rec.spec.inputSize, rec.spec.template).image);
  const S = rec.spec.inputSize;
  const file = (await convertedModel(m, await m.spec('onnx'))).model;
  // ONNX Runtime as a user would open it: all cores, full optimisation, its other settings at their defaults
  const bare = await ort.InferenceSession.create(file, { intraOpNumThreads: availableParallelism(), graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
  const input = new ort.Tensor('float32', cropsToOnnxInput(crops, { size: S, ...CONVERTED.preprocess }), [BATCH, S, S, 3]);
  const [pipeline, anchor] = (await rates([() => rec.embed(crops), () => bare.run({ [CONVERTED.input]: input }, [CONVERTED.embedding])])) as [number, number];
  await bare.release();

  const tfjs = await createRecognizer(id, { engine: 'tfjs' });
  const [wasm] = (await rates([() => tfjs.embed(crops)], 2)) as [number];
  await tfjs.dispose();
  await rec.dispose();
  const row = {
    model: id,
    'aikd img/s': +pipeline.toFixed(1),
    'bare ORT img/s (anchor)': +anchor.toFixed(1),
    'aikd / bare ORT': +(pipeline / anchor).toFixed(2),
    'tfjs-wasm img/s': +wasm.toFixed(1),
    'aikd / tfjs-wasm': +(pipeline / wasm).toFixed(1),
    'target ≥ 4× wasm': pipeline / wasm >= 4 ? 'met' : 'MISSED',
  };
  rows.push(row);
  console.error(textTable([row]).split('\n')[2]);
}
console.log(textTable(rows));
