/**
 * The (mis)alignment procedures on records with known landmarks (no detector involved): proper = the template
 * fit; landmark-jitter is bit-identical for the same (seed, epoch, id), independent of order, bounded by p, and
 * equal to proper at p = 0; aligned crops re-warp from the template; affine-jitter stays in its ranges; parameters
 * are validated and recorded. Cross-process reproducibility goes through the CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@aikd/core';
import { encodePng } from '@aikd/datasets';
import {
  ARCFACE_TEMPLATE_112,
  alignToTemplate,
  applyAffine,
  createProcedure,
  estimateSimilarity,
  invertAffine,
  similarityParts,
  templateForSize,
  type AlignmentResult,
  type ImageRecord,
  type Landmarks5,
} from '../src/index.ts';
import { FACE_200, sameBytes, texturedImage } from './helpers.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

const img = texturedImage(200, 200);
const rec = (id: string, landmarks: Landmarks5 = FACE_200): ImageRecord => ({ id, landmarks });
const opts = { size: 112, seed: 42 };

describe('proper', () => {
  it('is the similarity fit of the side-file landmarks to the template, warped', async () => {
    const r = await createProcedure('proper').align(img, rec('a'), opts);
    const ref = alignToTemplate(img, FACE_200, 112);
    expect(r.matrix).toEqual(ref.matrix);
    expect(sameBytes(r.image.data, ref.image.data)).toBe(true);
    expect(r.landmarks).toEqual(FACE_200);
    expect(r.params).toMatchObject({ detector: 'faceapi-ssd', size: 112, seed: 42, epoch: 0, landmarkSource: 'side-file' });
  });

  it('uses a given template and size (224 = template ×2)', async () => {
    const r = await createProcedure('proper').align(img, rec('a'), { size: 224, seed: 0 });
    const t = templateForSize(224);
    FACE_200.forEach((p, i) => {
      const q = applyAffine(r.matrix, p);
      const fitted = applyAffine(estimateSimilarity(FACE_200, t), p);
      expect(q[0]).toBeCloseTo(fitted[0], 9);
      expect(Math.hypot(q[0] - t[i]![0], q[1] - t[i]![1])).toBeLessThan(6); // a least-squares fit, not exact
    });
    expect([r.image.width, r.image.height]).toEqual([224, 224]);
  });
});

describe('landmark-jitter', () => {
  it('is bit-identical for the same seed, epoch and id, whatever the order or instance', async () => {
    const ids = ['x/1.png', 'x/2.png', 'y/3.png'];
    const a = createProcedure('landmark-jitter');
    const b = createProcedure('landmark-jitter', { p: 3 });
    const first = await Promise.all(ids.map((id) => a.align(img, rec(id), opts)));
    const reversed: AlignmentResult[] = [];
    for (const id of [...ids].reverse()) reversed.unshift(await b.align(img, rec(id), opts));
    first.forEach((r, i) => {
      expect(r.matrix).toEqual(reversed[i]!.matrix);
      expect(r.landmarks).toEqual(reversed[i]!.landmarks);
      expect(sameBytes(r.image.data, reversed[i]!.image.data)).toBe(true);
    });
    // different ids, seeds and epochs draw differently
    expect(first[0]!.landmarks).not.toEqual(first[1]!.landmarks);
    expect((await a.align(img, rec(ids[0]!), { ...opts, seed: 43 })).landmarks).not.toEqual(first[0]!.landmarks);
    expect((await a.align(img, rec(ids[0]!), { ...opts, epoch: 1 })).landmarks).not.toEqual(first[0]!.landmarks);
  });

  it('moves every coordinate by at most p source pixels, and covers the range', async () => {
    const p = 3;
    const proc = createProcedure('landmark-jitter', { p });
    const offsets: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await proc.align(img, rec(`img-${i}`), opts);
      r.landmarks.forEach((q, k) => offsets.push(q[0] - FACE_200[k]![0], q[1] - FACE_200[k]![1]));
      expect(r.params.offsets).toHaveLength(10);
    }
    expect(Math.max(...offsets.map(Math.abs))).toBeLessThanOrEqual(p);
    expect(Math.min(...offsets)).toBeLessThan(-2.9);
    expect(Math.max(...offsets)).toBeGreaterThan(2.9);
    const mean = offsets.reduce((s, v) => s + v, 0) / offsets.length;
    expect(Math.abs(mean)).toBeLessThan(0.15); // U[−3, 3]: sd of the mean of 2000 draws ≈ 0.04
  });

  it('with p = 0 equals proper exactly', async () => {
    const j = await createProcedure('landmark-jitter', { p: 0 }).align(img, rec('z'), opts);
    const p = await createProcedure('proper').align(img, rec('z'), opts);
    expect(j.matrix).toEqual(p.matrix);
    expect(j.landmarks).toEqual(p.landmarks);
    expect(sameBytes(j.image.data, p.image.data)).toBe(true);
  });

  it('on an already-aligned crop takes the template as the landmarks: p = 0 returns the crop unchanged', async () => {
    const crop = alignToTemplate(img, FACE_200, 112).image;
    const noLandmarks: ImageRecord = { id: 'aligned/1' };
    const same = await createProcedure('landmark-jitter', { p: 0 }).align(crop, noLandmarks, { ...opts, aligned: true });
    expect(same.params.landmarkSource).toBe('aligned-template');
    expect(same.landmarks).toEqual(ARCFACE_TEMPLATE_112);
    expect(same.matrix[0][0]).toBeCloseTo(1, 12);
    expect(sameBytes(same.image.data, crop.data)).toBe(true);
    const moved = await createProcedure('landmark-jitter', { p: 3 }).align(crop, noLandmarks, { ...opts, aligned: true });
    expect(sameBytes(moved.image.data, crop.data)).toBe(false);
    // the jittered fit is a small similarity around the identity
    const { scale, angle } = similarityParts(moved.matrix);
    expect(Math.abs(scale - 1)).toBeLessThan(0.15);
    expect(Math.abs(angle)).toBeLessThan(0.15);
  });
});

describe('affine-jitter', () => {
  it('applies rotation/scale/shift within the ranges on top of proper, seeded', async () => {
    const proc = createProcedure('affine-jitter', { rotation: 10, scale: 0.1, shift: 0.05 });
    const proper = estimateSimilarity(FACE_200, templateForSize(112));
    const p0 = similarityParts(proper);
    for (let i = 0; i < 50; i++) {
      const r = await proc.align(img, rec(`a${i}`), opts);
      const d = r.params.drawn as { rotationDeg: number; scale: number; tx: number; ty: number };
      const parts = similarityParts(r.matrix);
      expect(Math.abs(d.rotationDeg)).toBeLessThanOrEqual(10);
      expect((parts.angle - p0.angle) * (180 / Math.PI)).toBeCloseTo(d.rotationDeg, 9);
      expect(parts.scale / p0.scale).toBeCloseTo(d.scale, 9);
      expect(Math.abs(d.scale - 1)).toBeLessThanOrEqual(0.1);
      expect(Math.max(Math.abs(d.tx), Math.abs(d.ty))).toBeLessThanOrEqual(0.05 * 112);
      // the crop centre moves by exactly the drawn shift
      const c = applyAffine(r.matrix, applyAffine(invertAffine(proper), [55.5, 55.5]));
      expect(c[0] - 55.5).toBeCloseTo(d.tx, 9);
      expect(c[1] - 55.5).toBeCloseTo(d.ty, 9);
    }
    expect((await proc.align(img, rec('a1'), opts)).matrix).toEqual((await proc.align(img, rec('a1'), opts)).matrix);
  });
});

describe('createProcedure', () => {
  it('records every parameter with defaults and validates them', () => {
    expect(createProcedure('landmark-jitter').params).toEqual({ p: 3, detector: 'faceapi-ssd' });
    expect(createProcedure('detector-swap').params).toEqual({ detector: 'facemesh' });
    expect(createProcedure('bbox', { scale: '1.2' }).params).toEqual({ detector: 'faceapi-ssd', scale: 1.2 });
    expect(createProcedure('affine-jitter').params).toEqual({ rotation: 10, scale: 0.1, shift: 0.05, detector: 'faceapi-ssd' });
    expect(() => createProcedure('landmark-jitter', { p: -1 })).toThrow(/"p" must be ≥ 0/);
    expect(() => createProcedure('landmark-jitter', { q: 1 })).toThrow(/unknown parameter "q"/);
    expect(() => createProcedure('proper', { detector: 'dlib' })).toThrow(/must be one of faceapi-ssd, faceapi-tiny, facemesh/);
    expect(() => createProcedure('nope' as never)).toThrow(/unknown alignment procedure "nope"/);
  });
});

describe('aikd align (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aikd-align-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(args: string[]) {
    const r = spawnSync(process.execPath, aikdArgv(args), { encoding: 'utf8', cwd: workspaceRoot });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('landmark-jitter is bit-identical across processes and --json reports matrix, landmarks, procedure, seed', async () => {
    const src = join(dir, 'face.png');
    writeFileSync(src, await encodePng(img));
    const lm = FACE_200.flat().join(',');
    const outs = [join(dir, 'a.png'), join(dir, 'b.png')];
    const results = outs.map((out) => run(['--json', 'align', '--image', src, '--landmarks', lm, '--procedure', 'landmark-jitter', '--seed', '9', '--out', out]));
    for (const r of results) expect(r.status, r.stderr).toBe(0);
    const [a, b] = results.map((r) => JSON.parse(r.stdout));
    expect({ ...a, out: undefined }).toEqual({ ...b, out: undefined });
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['matrix', 'landmarks', 'procedure', 'seed']));
    expect(a.procedure).toBe('landmark-jitter');
    expect(a.seed).toBe(9);
    expect(readFileSync(outs[0]!).equals(readFileSync(outs[1]!))).toBe(true);
    // the same draw as in this process (seed 9, epoch 0, id = file name)
    const here = await createProcedure('landmark-jitter').align(img, rec('face.png'), { size: 112, seed: 9 });
    expect(a.matrix).toEqual(here.matrix);
    const bad = run(['align', '--image', src, '--landmarks', '1,2,3', '--out', join(dir, 'c.png')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--landmarks: expected 10 numbers/);
  });
});
