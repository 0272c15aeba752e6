/**
 * Built-in FR models, images/s at batch 32 on aligned crops of real faces (repeated to fill the batch):
 * - `aikd` = `Recognizer.embed` as every command runs it (ONNX Runtime on the converted model, crops → tensor →
 *   embeddings), against its anchor measured in the same run: a bare onnxruntime-node session on the same model
 *   file as a user would open it (all cores, full graph optimisation, ORT's other defaults: spinning threads, the
 *   whole batch in one call), input tensor made once (ratio = the pipeline's speed against plain ONNX Runtime's;
 *   above 1 where aikd's session settings and batch parts beat the defaults);
 * - the model's tfjs form as it ships, on tfjs-wasm (what inference ran on before, single-threaded in Node; ratio =
 *   the speed-up).
 * Best of a few timed repetitions after a warm-up, the three alternating, so load from other processes hurts every
 * column alike; CPU time per image beside it (ONNX Runtime uses every core, tfjs-wasm one: on an idle machine the
 * wall-clock speed-up is about the CPU-time ratio times the cores ONNX Runtime gets).
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
const REPS = Number(process.env.BENCH_EMBED_REPS ?? 3);
const require = createRequire(import.meta.url);
const photo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
await initRuntime({ backend: 'wasm' });
const img = await decodeImage(new Uint8Array(readFileSync(photo)));
const faces = await (await sharedDetector('faceapi-ssd')).detect(img);

/** Images/s of each function, the fastest of `reps` timed calls after one warm-up, and its CPU time per image (all
 * threads of this process; the least of the calls): the functions' calls alternate so that load from other
 * processes hits them alike, and CPU time is what load changes least. */
async function rates(runs: (() => Promise<unknown>)[], reps = REPS): Promise<{ rate: number; cpuMs: number }[]> {
  for (const run of runs) await run();
  const best = runs.map(() => ({ ms: Infinity, cpuMs: Infinity }));
  for (let r = 0; r < reps; r++)
    for (const [k, run] of runs.entries()) {
      const c = process.cpuUsage();
      const t = performance.now();
      await run();
      const ms = performance.now() - t, u = process.cpuUsage(c);
      best[k] = { ms: Math.min(best[k]!.ms, ms), cpuMs: Math.min(best[k]!.cpuMs, (u.user + u.system) / 1000) };
    }
  return best.map((b) => ({ rate: BATCH / (b.ms / 1000), cpuMs: b.cpuMs / BATCH }));
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
  const tfjs = await createRecognizer(id, { engine: 'tfjs' });
  const [pipeline, anchor, wasm] = (await rates([() => rec.embed(crops), () => bare.run({ [CONVERTED.input]: input }, [CONVERTED.embedding]), () => tfjs.embed(crops)])) as [
    { rate: number; cpuMs: number },
    { rate: number; cpuMs: number },
    { rate: number; cpuMs: number },
  ];
  await bare.release();
  await tfjs.dispose();
  await rec.dispose();
  const row = {
    model: id,
    'aikd img/s': +pipeline.rate.toFixed(1),
    'bare ORT img/s (anchor)': +anchor.rate.toFixed(1),
    'aikd / bare ORT': +(pipeline.rate / anchor.rate).toFixed(2),
    'tfjs-wasm img/s': +wasm.rate.toFixed(1),
    'aikd / tfjs-wasm': +(pipeline.rate / wasm.rate).toFixed(1),
    'target ≥ 4× wasm': pipeline.rate / wasm.rate >= 4 ? 'met' : 'MISSED',
    'CPU ms/img aikd · bare · wasm': [pipeline, anchor, wasm].map((x) => x.cpuMs.toFixed(1)).join(' · '),
    'wasm CPU / aikd CPU': +(wasm.cpuMs / pipeline.cpuMs).toFixed(1),
  };
  rows.push(row);
  console.error(textTable([row]).split('\n')[2]);
}
console.log(textTable(rows));
