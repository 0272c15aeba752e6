/**
 * Real aligned faces for the PyTorch checkpoint fixtures: the faces in face-api's demo photos sample1.jpg and
 * sample2.jpg (the photos the fr-models tests already use), detected with face-api SSD and aligned by the
 * workbench's own 5-point similarity to the ArcFace 112×112 template, written as RGB PNGs to
 * test/fixtures/torch/faces/. make_fixtures.py then runs the PyTorch models on exactly these pixels, so a test can
 * decode the PNGs and compare its own outputs with PyTorch's without redoing detection or alignment.
 *
 * Run: node --import tsx packages/fr-models/scripts/write-torch-fixture-faces.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeImage, encodePng } from '@aikd/datasets';
import { alignToTemplate, disposeSharedDetectors, sharedDetector } from '@aikd/alignment';
import { initRuntime } from '@aikd/runtime';

const PHOTOS = [1, 2];
const MAX_FACES = 6;
const out = join(import.meta.dirname, '..', 'test', 'fixtures', 'torch', 'faces');

async function main(): Promise<void> {
  await initRuntime();
  const require = createRequire(import.meta.url);
  const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
  const detector = await sharedDetector('faceapi-ssd');
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const n of PHOTOS) {
    const img = await decodeImage(new Uint8Array(readFileSync(join(demo, `sample${n}.jpg`))));
    const faces = (await detector.detect(img)).sort((a, b) => a.box[0] - b.box[0]);
    for (const [k, face] of faces.entries()) {
      if (written.length >= MAX_FACES) break;
      const name = `sample${n}-face${k}.png`;
      writeFileSync(join(out, name), await encodePng(alignToTemplate(img, face.landmarks, 112).image));
      written.push(name);
    }
  }
  await disposeSharedDetectors();
  console.log(`wrote ${written.length} aligned faces to ${out}: ${written.join(', ')}`);
}

await main();
