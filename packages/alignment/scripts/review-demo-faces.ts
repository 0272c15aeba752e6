/**
 * Review aid for the demo dataset's label file: detects the faces of every demo source photo the way the builder
 * does, writes contact sheets (numbered loose crops) to review by eye, and prints a label-file skeleton with the
 * detected boxes (identities to be filled in by a person). Also prints face-api descriptor distances < 0.55 as
 * hints for possible repeats — hints only: a distance rule merged two different women in one photo.
 *
 *   node --import tsx packages/alignment/scripts/review-demo-faces.ts [outDir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { tf } from '@aikd/runtime';
import { encodePng } from '@aikd/datasets';
import { createDetector, squareToCropMatrix, warpAffine } from '../src/index.ts';
import { listDemoSources } from '../src/demo/sources.ts';
import { scanSource } from '../src/demo/scan.ts';
import { faceApiModelDir } from '../src/detectors/faceapi/index.ts';

const out = process.argv[2] ?? 'demo-review';
mkdirSync(out, { recursive: true });
const require = createRequire(import.meta.url);
const detector = await createDetector('faceapi-ssd', { minScore: 0.3 });
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
await faceapi.nets.faceRecognitionNet.loadFromDisk(faceApiModelDir());

type Row = { n: number; key: string; face: number; box: number[]; score: number; crop: Buffer; descriptor?: Float32Array };
const rows: Row[] = [];
const skeleton: Record<string, unknown> = {};
for (const source of listDemoSources()) {
  const { image, faces } = await scanSource(source, detector);
  skeleton[source.key] = faces.length ? { faces: faces.map((f) => ({ face: f.index, box: f.box.map(Math.round), identity: '?' })) } : { skip: 'no face detected' };
  for (const f of faces) {
    const side = 2 * Math.max(f.box[2], f.box[3]);
    const m = squareToCropMatrix(f.box[0] + f.box[2] / 2 - side / 2, f.box[1] + f.box[3] / 2 - side / 2, side, 150);
    const crop = warpAffine(image, m, 150, 150);
    // face-api's descriptor wants the face box itself as the 150×150 chip
    const boxSide = Math.max(f.box[2], f.box[3]);
    const boxCrop = warpAffine(image, squareToCropMatrix(f.box[0] + f.box[2] / 2 - boxSide / 2, f.box[1] + f.box[3] / 2 - boxSide / 2, boxSide, 150), 150, 150);
    const chip = tf.tensor3d(boxCrop.data, [150, 150, 3], 'int32');
    const descriptor = (await faceapi.computeFaceDescriptor(chip)) as Float32Array;
    chip.dispose();
    rows.push({ n: rows.length, key: source.key, face: f.index, box: f.box.map(Math.round), score: f.score, crop: Buffer.from(await encodePng(crop)), descriptor });
  }
}
const cols = 8, tile = 150, label = 34, perSheet = 48;
for (let s = 0; s * perSheet < rows.length; s++) {
  const page = rows.slice(s * perSheet, (s + 1) * perSheet);
  const comps: OverlayOptions[] = [];
  page.forEach((r, i) => {
    const x = (i % cols) * tile, y = Math.floor(i / cols) * (tile + label);
    const name = r.key.split('/').pop()!.replace(/\.\w+$/, '').replace(/&/g, '');
    const svg = `<svg width="${tile}" height="${label}" xmlns="http://www.w3.org/2000/svg"><rect width="100%" height="100%" fill="black"/><text x="3" y="14" font-size="11" fill="yellow" font-family="sans-serif">#${r.n} ${name}</text><text x="3" y="29" font-size="11" fill="white" font-family="sans-serif">face ${r.face} score ${r.score.toFixed(2)}</text></svg>`;
    comps.push({ input: r.crop, left: x, top: y }, { input: Buffer.from(svg), left: x, top: y + tile });
  });
  const file = join(out, `sheet-${s}.png`);
  await sharp({ create: { width: cols * tile, height: Math.ceil(page.length / cols) * (tile + label), channels: 3, background: '#282828' } }).composite(comps).png().toFile(file);
  console.error(`wrote ${file}`);
}
const near: string[] = [];
for (let i = 0; i < rows.length; i++)
  for (let j = i + 1; j < rows.length; j++) {
    const a = rows[i]!.descriptor!, b = rows[j]!.descriptor!;
    const d = Math.sqrt(a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0));
    if (d < 0.55) near.push(`${d.toFixed(3)}  #${i} ${rows[i]!.key} face ${rows[i]!.face}  ~  #${j} ${rows[j]!.key} face ${rows[j]!.face}`);
  }
writeFileSync(join(out, 'near-pairs.txt'), near.sort().join('\n') + '\n');
writeFileSync(join(out, 'labels-skeleton.json'), JSON.stringify({ files: skeleton }, null, 1) + '\n');
console.error(`wrote ${join(out, 'near-pairs.txt')} (${near.length} pairs) and ${join(out, 'labels-skeleton.json')}`);
detector.dispose();
