/**
 * Images per second of each built-in recogniser, per tensor backend present, at batch 1 and 32 (aligned crops of
 * real faces, repeated to fill the batch). The cpu backend is timed once per setting (it is 10–20× slower).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initRuntime, useBackend, resolveTensorflowProvider, tensorflowProviders, type BackendName } from '@aikd/runtime';
import { decodeImage } from '@aikd/datasets';
import { alignToTemplate, sharedDetector } from '@aikd/alignment';
import { textTable } from '@aikd/core';
import { frModelCatalogue, createRecognizer } from '../src/index.ts';

const require = createRequire(import.meta.url);
const photo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
await initRuntime({ backend: 'wasm' });
const img = await decodeImage(new Uint8Array(readFileSync(photo)));
const faces = await (await sharedDetector('faceapi-ssd')).detect(img);
const backends: BackendName[] = [...(tensorflowProviders.some((p) => resolveTensorflowProvider(p)) ? ['tensorflow' as const] : []), 'wasm', 'cpu'];
const skipCpu = process.env.BENCH_CPU === '0';
const rows: Record<string, unknown>[] = [];
for (const id of frModelCatalogue.tfjsIds()) {
  const rec = await createRecognizer(id);
  const crops = faces.map((f) => alignToTemplate(img, f.landmarks, rec.spec.inputSize, rec.spec.template).image);
  for (const b of backends) {
    if (b === 'cpu' && skipCpu) continue;
    await useBackend(b);
    const row: Record<string, unknown> = { model: id, backend: b };
    for (const batch of [1, 32]) {
      const input = Array.from({ length: batch }, (_, i) => crops[i % crops.length]!);
      await rec.embed(input); // warm-up (kernel compilation, weight upload)
      const reps = b === 'cpu' ? 1 : batch === 1 ? 10 : 3;
      const t = performance.now();
      for (let r = 0; r < reps; r++) await rec.embed(input);
      row[`img/s b${batch}`] = Math.round(((batch * reps) / ((performance.now() - t) / 1000)) * 10) / 10;
    }
    rows.push(row);
    console.error(textTable([row]).split('\n')[2]);
  }
  await useBackend('wasm');
  await rec.dispose();
}
console.log(textTable(rows));
