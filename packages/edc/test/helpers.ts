/**
 * Test helpers: seeded random comparison sets with many ties, and brute-force O(n²) implementations written
 * straight from the definitions in issue 3 (no sorting tricks, no shared code with src/).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { rngFor } from '@aikd/core';
import type { ComparisonSet } from '../src/index.ts';

export interface RandomSetOptions {
  n: number;
  matedShare?: number;
  /** Qualities are integers 0…qualityLevels−1 (few levels = big tie groups). */
  qualityLevels?: number;
  /** Similarities are multiples of 1/similarityLevels. */
  similarityLevels?: number;
  /** Share of comparisons whose quality is NaN (failure to assess). */
  failedShare?: number;
}

export function randomSet(seed: number, o: RandomSetOptions): ComparisonSet & { pairQuality: Float64Array } {
  const r = rngFor(seed, 'edc-test-set');
  const { n, matedShare = 0.5, qualityLevels = 5, similarityLevels = 20, failedShare = 0 } = o;
  const similarity = new Float64Array(n);
  const mated = new Uint8Array(n);
  const pairQuality = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    mated[i] = r.next() < matedShare ? 1 : 0;
    const q = r.int(qualityLevels);
    pairQuality[i] = r.next() < failedShare ? NaN : q;
    // quality helps a little: mated similarity rises with quality
    const s = (mated[i] ? 0.5 + (0.2 * q) / qualityLevels : 0.15) + 0.2 * r.normal();
    similarity[i] = Math.round(s * similarityLevels) / similarityLevels;
  }
  return { similarity, mated, pairQuality };
}

/** ISO threshold by trying every candidate: the smallest t in {non-mated s} ∪ {next double above max} with FMR ≤ f. */
export function bruteThresholdAtFmr(nonmated: number[], f: number): number {
  const n = nonmated.length;
  const max = Math.max(...nonmated);
  const next = new Float64Array([max]);
  const bits = new BigInt64Array(next.buffer);
  bits[0] = max >= 0 ? bits[0]! + 1n : bits[0]! - 1n;
  const candidates = [...new Set(nonmated)].sort((a, b) => a - b).concat(max === 0 ? Number.MIN_VALUE : next[0]!);
  for (const t of candidates) if (nonmated.filter((s) => s >= t).length / n <= f) return t;
  throw new Error('unreachable: the next double above the maximum always qualifies');
}

/**
 * ISO EDC from the definition: for every distinct quality level τ (ascending), keep the comparisons with quality ≥ τ
 * (failures, NaN, count as −∞) and count the errors among them by scanning everything.
 */
export function bruteIsoCurve(sim: ArrayLike<number>, quality: ArrayLike<number>, t: number, error: 'fnmr' | 'fmr'): { x: number[]; y: number[] } {
  const n = sim.length;
  const q = Array.from(quality, (v) => (Number.isFinite(v) ? v : -Infinity));
  const isErr = (s: number) => (error === 'fnmr' ? s < t : s >= t);
  const levels = [...new Set(q)].sort((a, b) => a - b);
  const x: number[] = [];
  const y: number[] = [];
  for (const level of levels) {
    let kept = 0;
    let errs = 0;
    for (let i = 0; i < n; i++)
      if (q[i]! >= level) {
        kept++;
        if (isErr(sim[i]!)) errs++;
      }
    x.push((n - kept) / n);
    y.push(errs / kept);
  }
  if (x[x.length - 1] !== 1) {
    x.push(1);
    y.push(0);
  }
  return { x, y };
}

/** Area of a left-constant step function on [0, L] by integrating over every elementary interval. */
export function bruteStepArea(x: number[], y: number[], limit: number): number {
  let area = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = i + 1 < x.length ? x[i + 1]! : 1;
    const lo = Math.max(0, a);
    const hi = Math.min(limit, b);
    if (hi > lo) area += y[i]! * (hi - lo);
  }
  return area;
}

export const f64 = (a: number[]) => Float64Array.from(a);
export const u8 = (a: number[]) => Uint8Array.from(a);

/** A temporary folder for one test file (removed after its tests), and `write(name, text)` → the written file's path. */
export function tempFolder(prefix: string): { dir: string; write: (name: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  return { dir, write };
}
