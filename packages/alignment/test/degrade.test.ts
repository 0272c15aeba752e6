/** The demo set's degradations: each one's strength follows its severity and it does what its parameter says. */
import { describe, expect, it } from 'vitest';
import { rngFor } from '@aikd/core';
import { applyAffine, degrade, degradationFamilies, type RawImage } from '../src/index.ts';
import { texturedImage } from './helpers.ts';

const img = texturedImage(96, 96, 5);
const face: [number, number, number, number] = [24, 24, 48, 48];
const run = (name: (typeof degradationFamilies)[number], s: number, label = 'a') => degrade(name, img, s, rngFor(1, name, label), face);

function mad(a: RawImage, b: RawImage): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / a.data.length;
}

function gradientEnergy(a: RawImage): number {
  let s = 0;
  for (let y = 0; y < a.height; y++) for (let x = 1; x < a.width; x++) s += (a.data[(y * a.width + x) * 3 + 2]! - a.data[(y * a.width + x - 1) * 3 + 2]!) ** 2;
  return s;
}

describe('degradations', () => {
  it('blur, noise, JPEG and down-up scaling damage the image more as severity rises', async () => {
    for (const name of ['blur', 'motion-blur', 'noise', 'jpeg', 'downup'] as const) {
      const errs: number[] = [];
      for (const s of [0.1, 0.5, 1]) errs.push(mad((await run(name, s)).image, img));
      expect(errs[0], name).toBeGreaterThan(0);
      expect(errs[1], name).toBeGreaterThan(errs[0]!);
      expect(errs[2], name).toBeGreaterThan(errs[1]!);
    }
    const e = await Promise.all([0.1, 0.5, 1].map(async (s) => gradientEnergy((await run('blur', s)).image)));
    expect(e[0]!).toBeGreaterThan(e[1]!);
    expect(e[1]!).toBeGreaterThan(e[2]!);
  });

  it('records the strength parameter it used', async () => {
    expect((await run('blur', 1)).value).toBeCloseTo(5, 9);
    expect((await run('jpeg', 0)).value).toBe(75);
    expect((await run('jpeg', 1)).value).toBe(5);
    expect((await run('downup', 0)).value).toBeCloseTo(2, 9);
    expect(Math.abs((await run('exposure', 0.5)).value)).toBeCloseTo(1.5, 9);
    expect(Math.abs((await run('rotation', 1)).value)).toBeCloseTo(45, 9);
  });

  it('noise has the stated standard deviation', async () => {
    const grey: RawImage = { data: new Uint8Array(96 * 96 * 3).fill(128), width: 96, height: 96, channels: 3 };
    const r = await degrade('noise', grey, 0.3, rngFor(2, 'n'), face);
    const d = Array.from(r.image.data, (v) => v - 128);
    const sd = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(Math.abs(sd - r.value) / r.value).toBeLessThan(0.05);
  });

  it('exposure brightens or darkens by its sign; occlusion covers the stated fraction of the face box', async () => {
    const mean = (a: RawImage) => a.data.reduce((s, v) => s + v, 0) / a.data.length;
    for (const label of ['a', 'b', 'c', 'd']) {
      const r = await run('exposure', 0.6, label);
      expect(Math.sign(mean(r.image) - mean(img))).toBe(Math.sign(r.value));
    }
    const o = await run('occlusion', 0.7);
    let changed = 0;
    for (let y = face[1]; y < face[1] + face[3]; y++)
      for (let x = face[0]; x < face[0] + face[2]; x++) {
        const i = (y * 96 + x) * 3;
        if (o.image.data[i] !== img.data[i] || o.image.data[i + 1] !== img.data[i + 1] || o.image.data[i + 2] !== img.data[i + 2]) changed++;
      }
    expect(Math.abs(changed / (face[2] * face[3]) - o.value)).toBeLessThan(0.02);
    expect(o.value).toBeGreaterThan(0.05 + 0.35 * 0.7 - 0.05);
  });

  for (const name of ['rotation', 'pose'] as const)
    it(`${name} moves content where its geometry says (so landmarks can follow)`, async () => {
      const dot: RawImage = { data: new Uint8Array(96 * 96 * 3), width: 96, height: 96, channels: 3 };
      for (let y = 30; y < 33; y++) for (let x = 60; x < 63; x++) dot.data.fill(255, (y * 96 + x) * 3, (y * 96 + x) * 3 + 3);
      const r = await degrade(name, dot, 0.8, rngFor(3, 'r'), face);
      let sx = 0, sy = 0, n = 0;
      for (let y = 0; y < 96; y++) for (let x = 0; x < 96; x++) { const v = r.image.data[(y * 96 + x) * 3]!; sx += v * x; sy += v * y; n += v; }
      const [ex, ey] = applyAffine(r.geometry, [61, 31]);
      expect(Math.hypot(sx / n - ex, sy / n - ey)).toBeLessThan(0.3);
      // and it moved: rotation by more than 30°, pose by a visible foreshortening
      if (name === 'rotation') expect(Math.abs(r.value)).toBeGreaterThan(30);
      else {
        expect(r.value).toBeCloseTo(0.3 * 0.8, 6);
        expect(Math.hypot(ex - 61, ey - 31)).toBeGreaterThan(2);
      }
    });

  it('motion blur smears along one direction: a vertical line stays sharp under a vertical streak', async () => {
    const line: RawImage = { data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, channels: 3 };
    for (let y = 0; y < 64; y++) line.data.fill(255, (y * 64 + 32) * 3, (y * 64 + 32) * 3 + 3);
    const streaks = async (seed: number) => {
      const r = await degrade('motion-blur', line, 1, rngFor(seed, 'm'), face);
      return r.image.data[(32 * 64 + 32) * 3]!; // the line's own pixel keeps more of its brightness when the streak runs along it
    };
    const kept = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(streaks));
    expect(Math.max(...kept)).toBeGreaterThan(Math.min(...kept) + 50);
    expect((await degrade('motion-blur', line, 1, rngFor(1, 'm'), face)).value).toBe(18);
  });

  it('is deterministic for the same stream', async () => {
    for (const name of degradationFamilies) {
      const [a, b] = [await run(name, 0.4), await run(name, 0.4)];
      expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data)), name).toBe(true);
    }
  });
});
