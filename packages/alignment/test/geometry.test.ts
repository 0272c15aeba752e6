/**
 * Similarity fit (Umeyama) and the OpenCV-convention warp: analytic cases, invariants, and parity with the
 * independent numpy references in test/fixtures (made by scripts/make-fixtures.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '@aikd/core';
import {
  ARCFACE_TEMPLATE_112,
  alignToTemplate,
  applyAffine,
  composeAffine,
  estimateSimilarity,
  invertAffine,
  similarityAbout,
  templateForSize,
  warpAffine,
  type Affine,
  type Point,
  type RawImage,
} from '../src/index.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const det = (m: Affine) => m[0][0] * m[1][1] - m[0][1] * m[1][0];
const maxAbsDiff = (a: Affine, b: Affine) => Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i]!)));

function randomSimilarity(r: Rng): Affine {
  return similarityAbout([0, 0], r.uniform(0.1, 5), r.uniform(-Math.PI, Math.PI), r.uniform(-300, 300), r.uniform(-300, 300));
}

function image(width: number, height: number, f: (x: number, y: number, c: number) => number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { data, width, height, channels: 3 };
}
const px = (img: RawImage, x: number, y: number, c = 0) => img.data[(y * img.width + x) * 3 + c]!;

describe('estimateSimilarity (Umeyama, no reflection)', () => {
  it('recovers random similarity transforms exactly (1e-6) from exact correspondences', () => {
    const r = new Rng([7, 7, 7, 7]);
    for (let t = 0; t < 500; t++) {
      const m = randomSimilarity(r);
      const n = 2 + r.int(10);
      const src: Point[] = Array.from({ length: n }, () => [r.uniform(-50, 300), r.uniform(-50, 300)]);
      const fit = estimateSimilarity(src, src.map((p) => applyAffine(m, p)));
      expect(maxAbsDiff(fit, m)).toBeLessThan(1e-6);
    }
  });

  it('matches the numpy SVD Umeyama on noisy and mirrored point sets', () => {
    const { cases } = fixture('umeyama-reference.json') as { cases: { kind: string; src: Point[]; dst: Point[]; matrix: Affine }[] };
    expect(cases.length).toBe(16);
    for (const c of cases) expect(maxAbsDiff(estimateSimilarity(c.src, c.dst), c.matrix)).toBeLessThan(1e-9);
  });

  it('never returns a reflection, even when the points are a mirror image', () => {
    const r = new Rng([1, 2, 3, 4]);
    for (let t = 0; t < 300; t++) {
      const src: Point[] = Array.from({ length: 5 }, () => [r.uniform(0, 200), r.uniform(0, 200)]);
      const mirror = t % 2 === 0;
      const dst: Point[] = src.map(([x, y]) => [(mirror ? -x : x) + r.normal() * 3, y + r.normal() * 3]);
      const fit = estimateSimilarity(src, dst);
      expect(det(fit)).toBeGreaterThan(0);
      // a similarity: equal scales, orthogonal axes
      expect(fit[0][0]).toBeCloseTo(fit[1][1], 12);
      expect(fit[0][1]).toBeCloseTo(-fit[1][0], 12);
    }
  });

  it('is the least-squares optimum: perturbing the fitted parameters never lowers the error', () => {
    const r = new Rng([9, 9, 9, 9]);
    const src: Point[] = ARCFACE_TEMPLATE_112.map(([x, y]) => [x * 1.7 + 40 + r.normal() * 4, y * 1.7 + 25 + r.normal() * 4]);
    const dst = ARCFACE_TEMPLATE_112;
    const sse = (m: Affine) => src.reduce((s, p, i) => { const q = applyAffine(m, p); return s + (q[0] - dst[i]![0]) ** 2 + (q[1] - dst[i]![1]) ** 2; }, 0);
    const fit = estimateSimilarity(src, dst);
    const best = sse(fit);
    for (let t = 0; t < 200; t++) {
      const [p, q, tx, ty] = [fit[0][0], fit[1][0], fit[0][2], fit[1][2]].map((v) => v + r.normal() * 1e-3);
      expect(sse([[p!, -q!, tx!], [q!, p!, ty!]])).toBeGreaterThanOrEqual(best);
    }
  });

  it('rejects coincident points and mismatched lengths', () => {
    expect(() => estimateSimilarity([[1, 1], [1, 1], [1, 1]], [[0, 0], [1, 0], [0, 1]])).toThrow(/coincide/);
    expect(() => estimateSimilarity([[0, 0], [1, 1]], [[0, 0]])).toThrow(/2 source points but 1/);
  });
});

describe('templateForSize', () => {
  it('scales the ArcFace template by size/112', () => {
    expect(templateForSize(112)).toEqual(ARCFACE_TEMPLATE_112);
    expect(templateForSize(224)[4]).toEqual([70.7299 * 2, 92.2041 * 2]);
    expect(templateForSize(150)[0][0]).toBeCloseTo((38.2946 * 150) / 112, 12);
  });
});

describe('warpAffine (OpenCV INTER_LINEAR, BORDER_CONSTANT 0)', () => {
  const ramp = image(64, 48, (x, y, c) => (c === 0 ? 2 * x + 2 * y : c === 1 ? 255 - 3 * x : 4 * y));

  it('integer shifts are exact and the uncovered border is 0', () => {
    const out = warpAffine(ramp, [[1, 0, 5], [0, 1, -3]], 64, 48);
    for (let y = 0; y < 48; y++)
      for (let x = 0; x < 64; x++)
        for (let c = 0; c < 3; c++) {
          const sx = x - 5, sy = y + 3;
          const inside = sx >= 0 && sx < 64 && sy >= 0 && sy < 48;
          expect(px(out, x, y, c)).toBe(inside ? px(ramp, sx, sy, c) : 0);
        }
  });

  it('the identity returns the image unchanged', () => {
    const out = warpAffine(ramp, [[1, 0, 0], [0, 1, 0]], 64, 48);
    expect(Buffer.from(out.data).equals(Buffer.from(ramp.data))).toBe(true);
  });

  it('a linear ramp warped by a known similarity has the ramp values at the inverse-mapped points (±1 level)', () => {
    // red = 2x + 2y is linear, so bilinear sampling is exact up to the 1/32-px coordinate and 1/32768 weight quantisation
    const m = similarityAbout([32, 24], 1.6, 0.3, 3.2, -1.7);
    const inv = invertAffine(m);
    const out = warpAffine(ramp, m, 80, 60);
    let checked = 0;
    for (let y = 0; y < 60; y++)
      for (let x = 0; x < 80; x++) {
        const [sx, sy] = applyAffine(inv, [x, y]);
        if (sx < 0 || sy < 0 || sx > 62.9 || sy > 46.9) continue; // stay inside, away from the border blend
        expect(Math.abs(px(out, x, y, 0) - (2 * sx + 2 * sy))).toBeLessThanOrEqual(1);
        expect(Math.abs(px(out, x, y, 2) - 4 * sy)).toBeLessThanOrEqual(1);
        checked++;
      }
    expect(checked).toBeGreaterThan(2000);
  });

  it('half-pixel sampling averages neighbours with OpenCV rounding; pixels straddling the border blend with 0', () => {
    const tiny = image(2, 1, (x) => (x === 0 ? 100 : 201));
    // output x=0 samples source x=0.5 (the mean of 100 and 201 = 150.5 → rounds up); x=1 samples 1.5: half of 201 with the zero border
    const out = warpAffine(tiny, [[1, 0, -0.5], [0, 1, 0]], 3, 1);
    expect([px(out, 0, 0), px(out, 1, 0), px(out, 2, 0)]).toEqual([151, 101, 0]);
    // half a pixel above the top row: half of the value
    expect(px(warpAffine(tiny, [[1, 0, 0], [0, 1, 0.5]], 2, 2), 0, 0)).toBe(50);
  });

  it('matches the numpy re-implementation of OpenCV exactly, and exact bilinear sampling to < 1 level on average', () => {
    const ref = fixture('warp-reference.json');
    const src: RawImage = { data: fromB64(ref.source.rgb_base64), width: ref.source.width, height: ref.source.height, channels: 3 };
    expect(ref.cases.length).toBe(7);
    for (const c of ref.cases as { name: string; matrix: Affine; width: number; height: number; opencv_rgb_base64: string; float_rgb_base64: string }[]) {
      const out = warpAffine(src, c.matrix, c.width, c.height);
      const cv = fromB64(c.opencv_rgb_base64);
      const exact = fromB64(c.float_rgb_base64);
      let mismatches = 0, sumAbs = 0;
      for (let i = 0; i < cv.length; i++) {
        if (out.data[i] !== cv[i]) mismatches++;
        sumAbs += Math.abs(out.data[i]! - exact[i]!);
      }
      expect({ name: c.name, mismatches }).toEqual({ name: c.name, mismatches: 0 });
      expect(sumAbs / cv.length).toBeLessThan(0.5);
    }
  });

  it('composes: warping by B then A equals warping by A∘B up to resampling noise', () => {
    const a = similarityAbout([40, 30], 1.1, 0.2);
    const b = similarityAbout([32, 24], 0.9, -0.1, 2, 1);
    const once = warpAffine(ramp, composeAffine(a, b), 80, 60);
    const twice = warpAffine(warpAffine(ramp, b, 80, 60), a, 80, 60);
    let s = 0, n = 0;
    const invAB = invertAffine(composeAffine(a, b)), invA = invertAffine(a);
    const inside = (p: Point, w: number, h: number) => p[0] >= 1 && p[1] >= 1 && p[0] <= w - 2 && p[1] <= h - 2;
    for (let y = 0; y < 60; y++)
      for (let x = 0; x < 80; x++)
        if (inside(applyAffine(invAB, [x, y]), 64, 48) && inside(applyAffine(invA, [x, y]), 80, 60))
          for (let c = 0; c < 3; c++) { s += Math.abs(px(once, x, y, c) - px(twice, x, y, c)); n++; }
    expect(n).toBeGreaterThan(3000);
    expect(s / n).toBeLessThan(0.6);
  });
});

describe('alignToTemplate', () => {
  it('maps the landmarks onto the template and returns a size×size crop', () => {
    const m = similarityAbout([0, 0], 2.2, 0.35, 120, 80);
    const lm = ARCFACE_TEMPLATE_112.map((p) => applyAffine(invertAffine(m), p)) as typeof ARCFACE_TEMPLATE_112;
    const src = image(300, 300, (x, y) => (x * 7 + y * 13) & 255);
    const { image: crop, matrix } = alignToTemplate(src, lm, 224);
    expect([crop.width, crop.height]).toEqual([224, 224]);
    lm.forEach((p, i) => {
      const q = applyAffine(matrix, p);
      expect(q[0]).toBeCloseTo(ARCFACE_TEMPLATE_112[i]![0] * 2, 9);
      expect(q[1]).toBeCloseTo(ARCFACE_TEMPLATE_112[i]![1] * 2, 9);
    });
  });
});
