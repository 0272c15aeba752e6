import { AikdError } from '@aikd/core';
import type { Affine, Point } from '../types.ts';

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; never a reflection) taking `src` onto
 * `dst` — Umeyama's estimate, as `skimage.transform.SimilarityTransform.estimate` computes it.
 *
 * In 2-D Umeyama's SVD solution has a closed form: with centred points, the optimal linear part is
 * [[p, −q], [q, p]] with p = Σ(x·x' + y·y') / Σ|x|², q = Σ(x·y' − y·x') / Σ|x|². The SVD route with the sign
 * correction for det < 0 gives the same matrix (the scale is (σ₁ ± σ₂)/var = 2·|similarity part|/var either way),
 * and this form cannot return a reflection by construction. Tested against an SVD implementation in numpy.
 */
export function estimateSimilarity(src: readonly (readonly [number, number])[], dst: readonly (readonly [number, number])[]): Affine {
  const n = src.length;
  if (n !== dst.length) throw new AikdError(`estimateSimilarity: ${n} source points but ${dst.length} destination points`);
  if (n < 2) throw new AikdError(`estimateSimilarity: need at least 2 point pairs (got ${n})`);
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i]!, d = dst[i]!;
    if (![s[0], s[1], d[0], d[1]].every(Number.isFinite)) throw new AikdError(`estimateSimilarity: point ${i} is not finite (${JSON.stringify(s)} → ${JSON.stringify(d)})`);
    sx += s[0]; sy += s[1]; dx += d[0]; dy += d[1];
  }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let varSrc = 0, a = 0, b = 0;
  for (let i = 0; i < n; i++) {
    const x = src[i]![0] - sx, y = src[i]![1] - sy;
    const u = dst[i]![0] - dx, v = dst[i]![1] - dy;
    varSrc += x * x + y * y;
    a += x * u + y * v;
    b += x * v - y * u;
  }
  if (!(varSrc > 1e-12 * Math.max(1, sx * sx + sy * sy))) throw new AikdError(`estimateSimilarity: the source points coincide (${JSON.stringify(src)}); no transform is defined`);
  const p = a / varSrc, q = b / varSrc;
  return [
    [p, -q, dx - (p * sx - q * sy)],
    [q, p, dy - (q * sx + p * sy)],
  ];
}

/** Root-mean-square distance between `m(src)` and `dst`. */
export function fitResidual(m: Affine, src: readonly Point[], dst: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < src.length; i++) {
    const [x, y] = src[i]!;
    const ex = m[0][0] * x + m[0][1] * y + m[0][2] - dst[i]![0];
    const ey = m[1][0] * x + m[1][1] * y + m[1][2] - dst[i]![1];
    s += ex * ex + ey * ey;
  }
  return Math.sqrt(s / src.length);
}
