/**
 * Moving DifFIQA's perturbation between the FR model's resolution S and the denoiser's resolution D, on NHWC
 * float arrays. When D < S the crop is area-averaged to D, the diffusion runs there, and only its change
 * (x_t − x_D, x̂ − x_D) is upsampled bilinearly and added to the full-resolution crop: without a diffusion change
 * the FR model sees the original crop exactly, so the resolution change itself never lowers a score (which would
 * otherwise favour blurry images). When D = S nothing is resampled and this is the original computation.
 */

/** Per output index: the source indices it covers and their weights (box filter with fractional coverage). */
function areaWeights(src: number, dst: number): { idx: number[]; w: number[] }[] {
  const scale = src / dst;
  return Array.from({ length: dst }, (_, o) => {
    const a = o * scale, b = (o + 1) * scale;
    const idx: number[] = [], w: number[] = [];
    for (let i = Math.floor(a); i < Math.min(src, Math.ceil(b)); i++) {
      const cover = Math.min(b, i + 1) - Math.max(a, i);
      if (cover > 1e-12) (idx.push(i), w.push(cover / scale));
    }
    return { idx, w };
  });
}

/** Area-average n images [n, S, S, c] to [n, D, D, c] (D ≤ S; an integer S/D is a plain block mean). */
export function areaDownsample(src: Float32Array, n: number, S: number, D: number, c = 3): Float32Array {
  if (D === S) return src.slice();
  if (D > S) throw new RangeError(`areaDownsample: ${S} → ${D} is not a downsampling`);
  const W = areaWeights(S, D);
  const rows = new Float32Array(n * D * S * c); // pass 1: along y
  for (let k = 0; k < n; k++)
    for (let oy = 0; oy < D; oy++) {
      const { idx, w } = W[oy]!;
      const o = ((k * D + oy) * S) * c;
      for (let j = 0; j < idx.length; j++) {
        const s = ((k * S + idx[j]!) * S) * c, wj = w[j]!;
        for (let q = 0; q < S * c; q++) rows[o + q]! += wj * src[s + q]!;
      }
    }
  const out = new Float32Array(n * D * D * c); // pass 2: along x
  for (let r = 0; r < n * D; r++)
    for (let ox = 0; ox < D; ox++) {
      const { idx, w } = W[ox]!;
      const o = (r * D + ox) * c;
      for (let j = 0; j < idx.length; j++) {
        const s = (r * S + idx[j]!) * c, wj = w[j]!;
        for (let ch = 0; ch < c; ch++) out[o + ch]! += wj * rows[s + ch]!;
      }
    }
  return out;
}

/** Source position and weights of bilinear interpolation with half-pixel centres (edges clamped). */
function bilinearTaps(src: number, dst: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst), f = new Float32Array(dst);
  for (let o = 0; o < dst; o++) {
    const x = Math.min(src - 1, Math.max(0, ((o + 0.5) * src) / dst - 0.5));
    const a = Math.floor(x);
    i0[o] = a;
    i1[o] = Math.min(src - 1, a + 1);
    f[o] = x - a;
  }
  return { i0, i1, f };
}

/** Bilinear upsampling of n images [n, D, D, c] to [n, S, S, c]. */
export function bilinearUpsample(src: Float32Array, n: number, D: number, S: number, c = 3): Float32Array {
  if (D === S) return src.slice();
  const T = bilinearTaps(D, S);
  const out = new Float32Array(n * S * S * c);
  for (let k = 0; k < n; k++)
    for (let y = 0; y < S; y++) {
      const y0 = T.i0[y]!, y1 = T.i1[y]!, fy = T.f[y]!;
      for (let x = 0; x < S; x++) {
        const x0 = T.i0[x]!, x1 = T.i1[x]!, fx = T.f[x]!;
        const o = ((k * S + y) * S + x) * c;
        const p00 = ((k * D + y0) * D + x0) * c, p01 = ((k * D + y0) * D + x1) * c, p10 = ((k * D + y1) * D + x0) * c, p11 = ((k * D + y1) * D + x1) * c;
        for (let ch = 0; ch < c; ch++) {
          const top = src[p00 + ch]! + fx * (src[p01 + ch]! - src[p00 + ch]!);
          const bot = src[p10 + ch]! + fx * (src[p11 + ch]! - src[p10 + ch]!);
          out[o + ch] = top + fy * (bot - top);
        }
      }
    }
  return out;
}
