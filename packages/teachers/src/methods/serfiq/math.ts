/** SER-FIQ's arithmetic, kept free of tensors so it can be checked by hand. */
import type { Rng } from '@aikd/core';

/**
 * T dropout masks over F features, row-major [T, F]: each entry is kept with probability 1 − p and then scaled by
 * 1/(1 − p) (inverted dropout, as frameworks do in training mode), else 0. One 32-bit draw per entry: kept iff
 * u < ⌊(1 − p)·2³²⌋, so the masks are a pure function of the stream.
 */
export function dropoutMasks(rng: Rng, T: number, F: number, p: number): Float32Array {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout rate must be in [0, 1) (got ${p})`);
  const out = new Float32Array(T * F);
  const keepBelow = Math.floor((1 - p) * 4294967296);
  const scale = Math.fround(1 / (1 - p));
  const u = new Uint32Array(Math.min(out.length, 1 << 16));
  for (let start = 0; start < out.length; start += u.length) {
    const draws = rng.fillUint32(start + u.length <= out.length ? u : u.subarray(0, out.length - start));
    for (let i = 0; i < draws.length; i++) out[start + i] = draws[i]! < keepBelow ? scale : 0;
  }
  return out;
}

/**
 * 2·sigmoid(−mean pairwise Euclidean distance) of T embeddings (rows of `emb`, [T, d]) after L2 normalisation.
 * All T(T−1)/2 pairs, computed as differences in float64 (no 2 − 2cos cancellation). A zero row stays zero.
 */
export function serfiqFromEmbeddings(emb: ArrayLike<number>, T: number, d: number): number {
  if (T < 2) throw new RangeError(`SER-FIQ needs at least 2 passes (got T = ${T})`);
  if (emb.length !== T * d) throw new RangeError(`expected ${T}×${d} embedding values, got ${emb.length}`);
  const x = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += emb[t * d + j]! * emb[t * d + j]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) x[t * d + j] = emb[t * d + j]! * inv;
  }
  let sum = 0;
  for (let a = 0; a < T; a++)
    for (let b = a + 1; b < T; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const diff = x[a * d + j]! - x[b * d + j]!;
        s += diff * diff;
      }
      sum += Math.sqrt(s);
    }
  const mean = sum / ((T * (T - 1)) / 2);
  return 2 / (1 + Math.exp(mean));
}

/** The official repo's display rescale (since 2021-08): 1/(1 + exp(−α(s − r))); monotone, so rankings are unchanged. */
export function serfiqDisplayRescale(s: number, alpha: number, r: number): number {
  return 1 / (1 + Math.exp(-alpha * (s - r)));
}
