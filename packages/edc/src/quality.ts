import { AikdError } from '@aikd/core';
import type { ComparisonSet, PairQualityRule } from './types.ts';

/**
 * Pair qualities on the "higher = better" scale, with −Infinity for a failure to assess (a non-finite quality of
 * either sample, or a non-finite pair quality): such comparisons sort first, so they are discarded first, as one
 * tie group. With `lowerIsBetter` the sample qualities are negated first, so `min` still picks the worse sample.
 */
export function pairQualities(set: ComparisonSet, rule: PairQualityRule = 'min', lowerIsBetter = false): Float64Array {
  const n = set.similarity.length;
  const sign = lowerIsBetter ? -1 : 1;
  const out = new Float64Array(n);
  if (set.pairQuality) {
    if (set.pairQuality.length !== n) throw new AikdError(`pair quality has ${set.pairQuality.length} values for ${n} comparisons`);
    const p = set.pairQuality;
    for (let i = 0; i < n; i++) {
      const x = p[i]!;
      out[i] = Number.isFinite(x) ? sign * x + 0 : -Infinity;
    }
    return out;
  }
  const a = set.qualityA;
  const b = set.qualityB;
  if (!a || !b) throw new AikdError('comparisons need either pair qualities or both sample qualities (quality_a, quality_b)');
  if (a.length !== n || b.length !== n) throw new AikdError(`sample qualities have ${a.length}/${b.length} values for ${n} comparisons`);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      out[i] = -Infinity;
      continue;
    }
    const qa = sign * x;
    const qb = sign * y;
    const q = rule === 'min' ? (qa < qb ? qa : qb) : rule === 'max' ? (qa > qb ? qa : qb) : (qa + qb) / 2;
    out[i] = q + 0; // −0 → +0, so tie groups are exactly the `===` groups
  }
  return out;
}
