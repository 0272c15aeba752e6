/**
 * Images per second of each FIQA method on each built-in FR model (default parameters: SER-FIQ T = 100, p = 0.4;
 * FaceQAN k = 10, l = 5), on aligned crops at the model's input size (random pixels: the cost does not depend on
 * the content). Small counts: one warm-up batch, then the timed batch. Scoring only — alignment is not included.
 */
import { rngFor, textTable } from '@aikd/core';
import { initRuntime } from '@aikd/runtime';
import type { RawImage } from '@aikd/datasets';
import { createRecognizer, frModelCatalogue } from '@aikd/fr-models';
import { createQualityMethod } from '../src/index.ts';

const backend = (await initRuntime()).backend;

function crop(seed: number, size: number): RawImage {
  const r = rngFor('bench', seed);
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = r.int(256);
  return { data, width: size, height: size, channels: 3 };
}

/** Timed images per method: enough for a stable number, few enough for minutes in total. */
const COUNT: Record<string, (fr: string) => number> = {
  'embedding-norm': () => 32,
  serfiq: (fr) => (fr.startsWith('faceres') ? 4 : 16),
  faceqan: (fr) => (fr === 'mobileface' ? 4 : 1),
};

const rows: Record<string, unknown>[] = [];
for (const fr of frModelCatalogue.tfjsIds()) {
  const rec = await createRecognizer(fr);
  for (const name of Object.keys(COUNT)) {
    const n = COUNT[name]!(fr);
    const warm = await createQualityMethod(name, { frModel: rec, params: name === 'faceqan' ? { k: 2, l: 2 } : name === 'serfiq' ? { T: 4 } : {} });
    const size = warm.input.size;
    await warm.score([crop(0, size), crop(1, size)], { ids: ['w0', 'w1'], seed: 0 });
    const m = await createQualityMethod(name, { frModel: rec });
    const crops = Array.from({ length: n }, (_, i) => crop(i + 10, size));
    const ids = crops.map((_, i) => `img${i}`);
    const batch = m.batchSize ?? n;
    const t = performance.now();
    for (let i = 0; i < n; i += batch) await m.score(crops.slice(i, i + batch), { ids: ids.slice(i, i + batch), seed: 0 });
    const s = (performance.now() - t) / 1000;
    rows.push({ method: name, fr_model: fr, input: `${size}²`, images: n, images_per_s: Number((n / s).toPrecision(3)), ms_per_image: Number(((1000 * s) / n).toPrecision(3)) });
    process.stderr.write(`${name} ${fr}: ${(n / s).toPrecision(3)} images/s\n`);
  }
  await rec.dispose();
}
console.log(`FIQA scoring throughput (tensor backend: ${backend}, 1 thread; SER-FIQ T=100 p=0.4, FaceQAN k=10 l=5)`);
console.log(textTable(rows));
