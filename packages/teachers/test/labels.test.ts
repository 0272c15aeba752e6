/** The label generators of the learned methods on cases small enough to compute by hand. */
import { describe, expect, it } from 'vitest';
import { templateForSize } from '@aikd/alignment';
import type { Landmarks5, RawImage } from '@aikd/datasets';
import { rngFor } from '@aikd/core';
import {
  certaintyRatios,
  chooseReferences,
  exposureDeviation,
  faceqnetLabels,
  laplacianVariance,
  measureImage,
  noiseSigma,
  poseDeviation,
  sddPseudoLabels,
  wasserstein1,
} from '../src/index.ts';

const S = Math.SQRT1_2;

describe('CR-FIQA: CCS / NNCCS with identity centres', () => {
  // A = {(1,0,0), (0,3,0)} (norms do not matter), B = {(0,0,1), (1,0,0)}, C = {(0,1,1)}
  // centres: A = (1,1,0)/√2, B = (1,0,1)/√2, C = (0,1,1)/√2
  const rows = { n: 5, dim: 3, data: [1, 0, 0, 0, 3, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1] };
  const ids = ['A', 'A', 'B', 'B', 'C'];

  it('cosine to the own centre over the largest cosine to another centre', () => {
    const r = certaintyRatios(rows, ids);
    expect(r.identities).toEqual(['A', 'B', 'C']);
    // a1 = (1,0,0): A √½, B √½, C 0 → 1; a2 = (0,1,0): A √½, C √½ → 1; b1 = (0,0,1): B √½, C √½ → 1;
    // b2 = (1,0,0): B √½, A √½ → 1; c1 = (0,1,1)/√2: C 1, A ½, B ½ → 2
    const expectClose = (got: Float64Array, want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 12));
    expectClose(r.ccs, [S, S, S, S, 1]);
    expectClose(r.nnccs, [S, S, S, S, 0.5]);
    expectClose(r.ratio, [1, 1, 1, 1, 2]);
    expectClose(r.centres.subarray(0, 3), [S, S, 0]);
  });

  it('needs two identities and parallel inputs', () => {
    expect(() => certaintyRatios({ n: 2, dim: 3, data: [1, 0, 0, 0, 1, 0] }, ['A', 'A'])).toThrow(/at least 2 identities: .*nearest \*other\* identity's centre, which does not exist with 1 \(only "A"\)/);
    expect(() => certaintyRatios(rows, ['A', 'B'])).toThrow(/5 embeddings but 2 identities/);
  });

  it('stops when NNCCS ≤ 0 (the ratio would be unbounded or flip sign), naming the image', () => {
    // A = {(1,0), (1,0.1)}, B = {(−1,0)}: centres point apart; every NNCCS is negative
    const apart = { n: 3, dim: 2, data: [1, 0, 1, 0.1, -1, 0] };
    expect(() => certaintyRatios(apart, ['A', 'A', 'B'], ['a1.png', 'a2.png', 'b1.png'])).toThrow(
      /NNCCS \(the cosine to the nearest other identity's centre\) is ≤ 0 for 3 of 3 images, e.g. "(a1|b1)\.png" of identity "[AB]" \(NNCCS -1\.0000/,
    );
    // orthogonal centres: NNCCS exactly 0 (a division by zero) is refused too; without ids, rows are named
    expect(() => certaintyRatios({ n: 2, dim: 2, data: [1, 0, 0, 1] }, ['A', 'B'])).toThrow(/≤ 0 for 2 of 2 images, e.g. row 0 of identity "A" \(NNCCS 0\.0000/);
    // one sample with NNCCS ≤ 0 among good ones is enough to stop
    // (A, B and C: C's only sample points away from both other centres)
    const one = { n: 4, dim: 2, data: [1, 0, 1, 0, 0.8, 0.6, -1, -0.05] };
    expect(() => certaintyRatios(one, ['A', 'A', 'B', 'C'], ['a1', 'a2', 'b1', 'c1'])).toThrow(/for 1 of 4 images, e.g. "c1" of identity "C"/);
  });
});

describe('SDD-FIQA: Wasserstein pseudo-labels', () => {
  it('Wasserstein-1 of known 1-D distributions', () => {
    expect(wasserstein1([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 12); // a shift by 5 (scipy's documented example)
    expect(wasserstein1([0, 1], [0, 3])).toBeCloseTo(1, 12); // |F_u − F_v| = ½ on [1, 3)
    expect(wasserstein1([1, 2, 3], [1])).toBeCloseTo(1, 12); // ⅔ on [1, 2) + ⅓ on [2, 3)
    expect(wasserstein1([0.5], [0, -1, 0])).toBeCloseTo((0.5 + 1.5 + 0.5) / 3, 12); // a point: E|p − V|
    expect(wasserstein1([3, 1, 2], [2, 3, 1])).toBe(0);
    expect(wasserstein1([0, 4], [1, 2, 7])).toBeCloseTo(wasserstein1([1, 2, 7], [0, 4]), 12);
    expect(() => wasserstein1([], [1])).toThrow(/non-empty/);
  });

  it('labels on unit vectors at known angles: W1 of mated vs non-mated cosines, normalised to [0, 100]', () => {
    const deg = [0, 60, 90, 180, 270];
    const rows = { n: 5, dim: 2, data: deg.flatMap((d) => [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)]) };
    const ids = ['A', 'A', 'B', 'B', 'C'];
    const c = (d: number) => Math.cos((d * Math.PI) / 180);
    // m = 24 exceeds every pool, so every draw takes all partners and the K runs agree
    const w = [
      wasserstein1([c(60)], [c(90), c(180), c(270)]),
      wasserstein1([c(60)], [c(30), c(120), c(210)]),
      wasserstein1([c(90)], [c(90), c(30), c(180)]),
      wasserstein1([c(90)], [c(180), c(120), c(90)]),
    ];
    expect(w[0]).toBeCloseTo(2.5 / 3, 12);
    const lo = Math.min(...w), hi = Math.max(...w);
    const r = sddPseudoLabels(rows, ids, ['a1', 'a2', 'b1', 'b2', 'c1'], { m: 24, K: 3, seed: 0 });
    w.forEach((x, i) => expect(r.labels[i]).toBeCloseTo(((x - lo) / (hi - lo)) * 100, 9));
    expect(r.labels[4]).toBeNaN(); // C has no mated partner
    expect(r.runs).toHaveLength(3);
    expect(Array.from(r.runs[0]!).slice(0, 4)).toEqual(Array.from(r.runs[2]!).slice(0, 4));
  });

  it('with fewer draws than partners the K repeats differ, per image seed, and stay in [0, 100]', () => {
    const rng = rngFor('sdd-test');
    const n = 40, dim = 8;
    const data = Array.from({ length: n * dim }, () => rng.normal());
    const ids = Array.from({ length: n }, (_, i) => `id${i % 4}`);
    const names = Array.from({ length: n }, (_, i) => `img${i}`);
    const a = sddPseudoLabels({ n, dim, data }, ids, names, { m: 3, K: 4, seed: 1 });
    const b = sddPseudoLabels({ n, dim, data }, ids, names, { m: 3, K: 4, seed: 1 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.runs[0]!)).not.toEqual(Array.from(a.runs[1]!));
    for (const v of a.labels) expect(v >= 0 && v <= 100).toBe(true);
    expect(Math.min(...a.runs[0]!)).toBeGreaterThanOrEqual(0);
  });
});

/** A textured grey-ish crop: smooth sinusoids (so it has detail everywhere) — the "good" image. */
function textured(size: number, f = (v: number) => v): RawImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = 128 + 40 * Math.sin(x * 0.9) * Math.cos(y * 0.7) + 20 * Math.sin((x + y) * 0.35);
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(f(v))));
    }
  return { data, width: size, height: size, channels: 3 };
}

function boxBlur(img: RawImage, r: number): RawImage {
  const { width: w, height: h } = img, out = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0, n = 0;
        for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
          const yy = Math.min(h - 1, Math.max(0, y + dy)), xx = Math.min(w - 1, Math.max(0, x + dx));
          s += img.data[(yy * w + xx) * 3 + c]!;
          n++;
        }
        out[(y * w + x) * 3 + c] = Math.round(s / n);
      }
  return { ...img, data: out };
}

describe('FaceQnet: ICAO-style reference and labels', () => {
  it('image measures on hand-computable images', () => {
    // one bright pixel in a 5×5 image: Laplacian −4 at it, 1 at its 4 neighbours, 0 at the other 4 interior pixels
    const g = new Float64Array(25);
    g[12] = 1;
    expect(laplacianVariance(g, 5, 5)).toBeCloseTo((16 + 4) / 9, 12);
    // the Immerkær mask cancels constants and planes
    expect(noiseSigma(Float64Array.from({ length: 36 }, (_, i) => 3 * (i % 6) + 2 * Math.floor(i / 6) + 7), 6, 6)).toBe(0);
    expect(noiseSigma(Float64Array.from({ length: 36 }, () => 9), 6, 6)).toBe(0);
    expect(exposureDeviation([127.5, 127.5])).toBe(0);
    expect(exposureDeviation([255, 255])).toBe(2); // |255 − 127.5|/127.5 + all clipped
    expect(exposureDeviation([0, 127.5])).toBeCloseTo(0.5 + 0.5, 12);
  });

  it('pose deviation: |roll| + |yaw| + |ln(pitch ratio / the template ratio)| on a hand-made face', () => {
    // eyes level 40 px apart, nose centred 20 px below them, mouth 20 px below the nose: roll 0, yaw 0, ratio 1
    const face: Landmarks5 = [[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]];
    const r0 = (71.7366 - (51.6963 + 51.5014) / 2) / ((92.3655 + 92.2041) / 2 - 71.7366); // the ArcFace template's ratio
    const pitch = Math.abs(Math.log(1 / r0));
    expect(poseDeviation(face)).toBeCloseTo(pitch, 6);
    const a = 0.3, rot = face.map(([x, y]) => [Math.cos(a) * x - Math.sin(a) * y + 9, Math.sin(a) * x + Math.cos(a) * y - 4]) as Landmarks5;
    expect(poseDeviation(rot)).toBeCloseTo(pitch + a, 6); // roll only (rotation and shift keep the rest)
    const scaled = face.map(([x, y]) => [3 * x, 3 * y]) as Landmarks5;
    expect(poseDeviation(scaled)).toBeCloseTo(pitch, 6);
    const turned = face.map((p, i) => (i === 2 ? [p[0] + 10, p[1]] : p)) as Landmarks5; // nose 10 px sideways
    expect(poseDeviation(turned)).toBeCloseTo(pitch + 10 / 40, 6);
    expect(poseDeviation(templateForSize(112))).toBeLessThan(0.01);
  });

  it('the reference is the image no criterion fails: not the blurred, noisy, dark, turned or occluded one', () => {
    const good = textured(64);
    const noisyRng = rngFor('noise-img');
    const noisy: RawImage = { ...good, data: good.data.map((v) => Math.max(0, Math.min(255, Math.round(v + 30 * noisyRng.normal())))) };
    const occluded: RawImage = { ...good, data: good.data.map((v, i) => (Math.floor(i / 3 / 64) < 24 && (i / 3) % 64 < 40 ? 90 : v)) };
    const t = templateForSize(64);
    const turned = t.map((p, i) => (i === 2 ? [p[0] + 8, p[1]] : p)) as Landmarks5;
    const imgs = [boxBlur(good, 2), noisy, textured(64, (v) => v * 0.25), good, good, occluded];
    const lms = [t, t, t, turned, t, t];
    const measures = imgs.map((im, i) => measureImage(im, lms[i]));
    // identity X: all six; identity Y: the blurred and the good image (the good one appears later)
    const refs = chooseReferences([...measures, measures[0]!, measures[4]!], ['X', 'X', 'X', 'X', 'X', 'X', 'Y', 'Y']);
    expect(refs.get('X')).toBe(4);
    expect(refs.get('Y')).toBe(7);
  });

  it('labels: cosine to the reference, min-max normalised; the reference itself is the top; singletons get none', () => {
    // X: x0 = (1,0) reference, x1 = (1,1)/√2, x2 = (0,1); Y: y0 = (1,0) reference, y1 = (−1,0); Z: one image
    const rows = { n: 6, dim: 2, data: [1, 0, 1, 1, 0, 2, 3, 0, -1, 0, 5, 5] };
    const ids = ['X', 'X', 'X', 'Y', 'Y', 'Z'];
    const r = faceqnetLabels(rows, ids, new Map([['X', 0], ['Y', 3], ['Z', 5]]));
    expect(Array.from(r.cosine.subarray(0, 5)).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([1, Math.round(S * 1e9) / 1e9, 0, 1, -1]);
    expect(r.min).toBe(-1);
    expect(r.max).toBe(1);
    [1, (S + 1) / 2, 0.5, 1, 0].forEach((v, i) => expect(r.labels[i]).toBeCloseTo(v, 12));
    expect(r.labels[5]).toBeNaN();
    expect(Array.from(r.reference)).toEqual([0, 0, 0, 3, 3, -1]);
  });
});
