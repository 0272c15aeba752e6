/**
 * Alignments per second (similarity fit + OpenCV-exact warp, pure TypeScript) and detections per second of each
 * detector, on a 256-px loose face crop (the demo set's images) and on a 1920-px group photo (face-api's
 * demo/sample1.jpg, 3 faces). Median of timed repetitions after a warm-up.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { textTable } from '@aikd/core';
import { initRuntime } from '@aikd/runtime';
import { decodeImage } from '@aikd/datasets';
import { createDetector, createProcedure, looseCrop, warpAffine, estimateSimilarity, templateForSize, type RawImage } from '../src/index.ts';

const require = createRequire(import.meta.url);
const backend = (await initRuntime()).backend;
const photo = await decodeImage(readFileSync(join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg')));
const ssd = await createDetector('faceapi-ssd');
const faces = await ssd.detect(photo);
const { image: crop, matrix } = looseCrop(photo, faces[0]!.box, 256, 2);
const cropLandmarks = faces[0]!.landmarks.map(([x, y]) => [matrix[0][0] * x + matrix[0][1] * y + matrix[0][2], matrix[1][0] * x + matrix[1][1] * y + matrix[1][2]]) as typeof faces[0]['landmarks'];

async function rate(fn: () => unknown, minMs = 1500, warm = 2): Promise<number> {
  for (let i = 0; i < warm; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (performance.now() - start < minMs || times.length < 3) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return 1000 / times[Math.floor(times.length / 2)]!;
}

const rows: Record<string, unknown>[] = [];
const add = (what: string, input: string, perSecond: number) => rows.push({ what, input, per_second: Number(perSecond.toPrecision(3)), ms: Number((1000 / perSecond).toPrecision(3)) });

// alignment (no detection: landmarks given, as with a side file)
for (const size of [112, 224]) {
  const m = estimateSimilarity(cropLandmarks, templateForSize(size));
  add(`warpAffine ${size}×${size}`, '256² crop', await rate(() => warpAffine(crop, m, size, size)));
}
const rec = { id: 'bench', landmarks: cropLandmarks };
for (const [name, params] of [['proper', {}], ['landmark-jitter', { p: 3 }], ['affine-jitter', {}]] as const) {
  const proc = createProcedure(name, params);
  let i = 0;
  add(`align ${name} 112`, '256² crop', await rate(() => proc.align(crop, { ...rec, id: `bench-${i++}` }, { size: 112, seed: 0 })));
}
const photoRec = { id: 'photo', landmarks: faces[0]!.landmarks };
add('align proper 112', '1920×1280 photo', await rate(() => createProcedure('proper').align(photo, photoRec, { size: 112, seed: 0 })));

// detection
const detectors = { 'faceapi-ssd': ssd, 'faceapi-tiny': await createDetector('faceapi-tiny'), facemesh: await createDetector('facemesh') };
for (const [name, det] of Object.entries(detectors)) {
  add(`detect ${name}`, '256² crop', await rate(() => det.detect(crop), 3000));
  add(`detect ${name}`, '1920×1280 photo', await rate(() => det.detect(photo as RawImage), 4000, 1));
}
for (const d of Object.values(detectors)) d.dispose();

console.log(`alignment and detection throughput (tensor backend: ${backend}; alignment itself is pure TypeScript, 1 thread)`);
console.log(textTable(rows));
