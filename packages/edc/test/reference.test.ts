/**
 * Parity with an independent numpy implementation (scripts/make-reference.py → fixtures/reference.json):
 * numpy's linear quantile bit for bit, the iso threshold, curve and stepwise pAUC (the recomputed mode is checked against CR-FIQA's own code: crfiqa-parity.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeEdc, quantileLinear, type ComparisonSet } from '../src/index.ts';
import { f64, u8 } from './helpers.ts';

interface RefCase {
  seed: number;
  similarity: number[];
  mated: number[];
  pair_quality: number[];
  quantiles: Record<string, number>;
  fmr: number;
  iso: { threshold: number; x: number[]; y: number[]; pauc: Record<string, number> };
}

const ref = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')) as { cases: RefCase[] };

describe('numpy reference', () => {
  for (const c of ref.cases)
    describe(`case seed ${c.seed}`, () => {
      const set: ComparisonSet = { similarity: f64(c.similarity), mated: u8(c.mated), pairQuality: f64(c.pair_quality) };
      const matedSims = f64(c.similarity.filter((_, i) => c.mated[i] === 1));

      it('np.quantile (linear) bit for bit', () => {
        for (const [q, v] of Object.entries(c.quantiles)) expect(quantileLinear(matedSims, Number(q))).toBe(v);
      });

      it('iso: threshold at FMR, points, pAUC', () => {
        const r = computeEdc(set, { operatingPoint: { kind: 'fmr', value: c.fmr } });
        expect(r.threshold).toBe(c.iso.threshold);
        expect([...r.points.discardFraction]).toEqual(c.iso.x);
        expect([...r.points.error]).toEqual(c.iso.y);
        expect(r.pauc['0.2']).toBeCloseTo(c.iso.pauc['0.2']!, 14);
        expect(r.pauc['0.3']).toBeCloseTo(c.iso.pauc['0.3']!, 14);
      });
    });
});
