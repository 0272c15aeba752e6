/**
 * Loading InsightFace `.bin` files: a 6,000-pair pickle of 12,000 JPEG blobs (112×112, noisy enough to be ~5 KB
 * each like real ArcFace crops), written in the three layouts found in the wild (Python 2 protocol 2 as released;
 * Python 3 protocol 2 via _codecs.encode; protocol 4 with frames). Each case runs in a fresh process so peak RSS
 * is its own: open (unpickle the index), read every image's bytes, decode 500 of them.
 * AIKD_BENCH_LARGE=1 adds a ~500 MB file (12,000 blobs of ~42 KB) to show memory does not grow with file size.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rngFor, textTable } from '@aikd/core';
import { encodeJpeg } from '../src/image-codec.ts';
import { openDatasetEntry } from '../src/open.ts';
import { decodeImage } from '../src/image-codec.ts';
import { writeBinPickle, type PickleStyle } from '../test/helpers/pickle-writer.ts';

const PAIRS = 6000;
const DISTINCT = 97; // distinct JPEGs, cycled (a real file repeats images too)

async function makeJpegs(size: number, noise: number, quality: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let k = 0; k < DISTINCT; k++) {
    const rng = rngFor(7, 'bench-jpeg', k);
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) {
          const base = 128 + 90 * Math.sin((x + k * 3) / 9 + c) * Math.cos((y - k) / 11);
          data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base + noise * rng.normal())));
        }
    out.push(await encodeJpeg({ data, width: size, height: size, channels: 3 }, quality));
  }
  return out;
}

function writeBin(path: string, jpegs: Uint8Array[], style: PickleStyle): void {
  const fd = openSync(path, 'w');
  const issame = Array.from({ length: PAIRS }, (_, i) => Math.floor(i / 300) % 2 === 0);
  try {
    writeBinPickle((chunk) => void writeSync(fd, chunk), 2 * PAIRS, (i) => jpegs[i % DISTINCT]!, issame, style);
  } finally {
    closeSync(fd);
  }
}

/** Child: measure one file. */
async function measure(file: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  let t = performance.now();
  const ds = await openDatasetEntry({ name: 'bench', format: 'insightface-bin', paths: { bin: file } });
  const openMs = performance.now() - t;
  const rssAfterOpen = process.memoryUsage().rss;
  t = performance.now();
  let bytes = 0;
  for (const r of ds.images()) bytes += (await ds.readImage(r.id)).length;
  const readMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 500; i++) await decodeImage(await ds.readImage(ds.images()[i * 24]!.id));
  const decodeMs = performance.now() - t;
  await ds.close();
  process.stdout.write(
    JSON.stringify({ images: ds.images().length, pairs: ds.pairs().length, openMs, readMs, decodeMs, bytes, rssBefore, rssAfterOpen, maxRss: process.resourceUsage().maxRSS * 1024 }),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aikd-bin-bench-'));
  try {
    const cases: { name: string; file: string }[] = [];
    const small = await makeJpegs(112, 10, 92);
    for (const style of ['py2', 'py3-proto2', 'proto4'] as PickleStyle[]) {
      const file = join(dir, `${style}.bin`);
      writeBin(file, small, style);
      cases.push({ name: style, file });
    }
    if (process.env.AIKD_BENCH_LARGE) {
      const large = await makeJpegs(224, 30, 95);
      const file = join(dir, 'large-py2.bin');
      writeBin(file, large, 'py2');
      cases.push({ name: 'py2, large blobs', file });
    }
    const self = fileURLToPath(import.meta.url);
    const rows = cases.map(({ name, file }) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--measure', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
      const m = JSON.parse(r.stdout);
      const mb = (x: number) => Math.round(x / 2 ** 20);
      const fileBytes = statSync(file).size;
      return {
        layout: name,
        'file MB': mb(fileBytes),
        images: m.images,
        pairs: m.pairs,
        'open s': +(m.openMs / 1000).toFixed(2),
        'read all s': +(m.readMs / 1000).toFixed(2),
        'decode 500 s': +(m.decodeMs / 1000).toFixed(2),
        'RSS before MB': mb(m.rssBefore),
        'RSS after open MB': mb(m.rssAfterOpen),
        'peak RSS MB': mb(m.maxRss),
        'peak / file': +(m.maxRss / fileBytes).toFixed(2),
      };
    });
    console.log(textTable(rows));
    console.log(`(${PAIRS} pairs, ${2 * PAIRS} JPEG blobs; peak RSS includes Node, tsx and sharp)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--measure') await measure(process.argv[3]!);
else await main();
