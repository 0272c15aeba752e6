/**
 * The Gaussian diffusion arithmetic DifFIQA uses (`LSIbabnikz/DifFIQA` diffusion_base/diff_gauss.py, diff_util.py),
 * in float64 on plain arrays so it can be checked by hand: the cosine β schedule, q_sample, the DDIM time pairs
 * of `ddim_sample_at_t` and one DDIM step with the pred-x0 objective.
 */

/** Nichol & Dhariwal's cosine schedule: ᾱ(x) = cos²(((x/T) + s)/(1 + s)·π/2) / ᾱ(0), β_t = 1 − ᾱ(t+1)/ᾱ(t), clipped to [0, 0.999]. */
export function cosineBetaSchedule(timesteps: number, s = 0.008): Float64Array {
  const f = (x: number) => Math.cos((((x / timesteps) + s) / (1 + s)) * Math.PI * 0.5) ** 2;
  const f0 = f(0);
  const betas = new Float64Array(timesteps);
  for (let t = 0; t < timesteps; t++) betas[t] = Math.min(0.999, Math.max(0, 1 - f(t + 1) / f0 / (f(t) / f0)));
  return betas;
}

/** ᾱ_t = Π_{k ≤ t}(1 − β_k) (what the original registers as `alphas_cumprod`, used by q_sample and DDIM). */
export function alphasCumprod(betas: ArrayLike<number>): Float64Array {
  const out = new Float64Array(betas.length);
  let p = 1;
  for (let t = 0; t < betas.length; t++) out[t] = p *= 1 - betas[t]!;
  return out;
}

/** q(x_t | x_0): √ᾱ_t·x0 + √(1 − ᾱ_t)·ε, elementwise into `out`. */
export function qSample<T extends Float32Array | Float64Array = Float32Array>(x0: ArrayLike<number>, noise: ArrayLike<number>, acT: number, out?: T): T {
  const o = (out ?? new Float32Array(x0.length)) as T;
  const a = Math.sqrt(acT), b = Math.sqrt(1 - acT);
  for (let i = 0; i < x0.length; i++) o[i] = a * x0[i]! + b * noise[i]!;
  return o;
}

/**
 * The (time, time_next) pairs of the original's `ddim_sample_at_t(…, t, nof_s)`: times = linspace(−1, t − 1,
 * nof_s + 1) truncated to integers (Python `int()`, toward zero), reversed. For t = 5 and 6 steps this is
 * (4,3) (3,2) (2,1) (1,0) (0,0) (0,−1): the first model call uses time t − 1 on an image noised at t, and one pair
 * repeats time 0 (a deterministic step, σ = 0) — kept as the original does it.
 */
export function ddimTimePairs(t: number, steps: number): [number, number][] {
  if (!(Number.isInteger(t) && t >= 1)) throw new RangeError(`ddimTimePairs: t must be an integer ≥ 1 (got ${t})`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`ddimTimePairs: steps must be an integer ≥ 1 (got ${steps})`);
  const end = t - 1;
  // torch.linspace computes in float32; these small values are exact enough that truncation agrees with float64
  // `|| 0` turns −0 (trunc of −0.17) into 0
  const times = Array.from({ length: steps + 1 }, (_, i) => Math.trunc(-1 + ((end + 1) * i) / steps) || 0).reverse();
  return times.slice(0, -1).map((time, i) => [time, times[i + 1]!]);
}

/** The coefficients of one DDIM update x' = √ᾱ_next·x̂0 + c·ε̂ + σ·z (σ = η·√((1 − ᾱ/ᾱ_next)(1 − ᾱ_next)/(1 − ᾱ))). */
export function ddimCoefficients(acT: number, acNext: number, eta: number): { sqrtNext: number; c: number; sigma: number } {
  const sigma = eta * Math.sqrt(Math.max(0, ((1 - acT / acNext) * (1 - acNext)) / (1 - acT)));
  return { sqrtNext: Math.sqrt(acNext), c: Math.sqrt(Math.max(0, 1 - acNext - sigma * sigma)), sigma };
}

/**
 * One step of the original's DDIM loop on a pred-x0 model output, elementwise, in place on `img`:
 * x̂0 = clip(model output, −1, 1) (when `clip`), ε̂ = (x_t/√ᾱ_t − x̂0)/√(1/ᾱ_t − 1); then x' = x̂0 when time_next < 0,
 * else √ᾱ_next·x̂0 + c·ε̂ + σ·z.
 */
export function ddimUpdate(
  img: Float32Array | Float64Array,
  modelOut: ArrayLike<number>,
  noise: ArrayLike<number> | undefined,
  ac: ArrayLike<number>,
  time: number,
  timeNext: number,
  eta: number,
  clip: boolean,
): void {
  const acT = ac[time]!;
  const rA = Math.sqrt(1 / acT), rM1 = Math.sqrt(1 / acT - 1);
  const k = timeNext >= 0 ? ddimCoefficients(acT, ac[timeNext]!, eta) : undefined;
  for (let i = 0; i < img.length; i++) {
    let x0 = modelOut[i]!;
    if (clip) x0 = x0 < -1 ? -1 : x0 > 1 ? 1 : x0;
    if (!k) {
      img[i] = x0;
      continue;
    }
    const eps = (rA * img[i]! - x0) / rM1;
    img[i] = k.sqrtNext * x0 + k.c * eps + (k.sigma ? k.sigma * noise![i]! : 0);
  }
}

/** How many noise fields one reconstruction draws: one for q_sample, one per DDIM pair with σ > 0 possible (time_next ≥ 0). */
export function noiseFieldCount(pairs: readonly [number, number][]): number {
  return 1 + pairs.filter(([, n]) => n >= 0).length;
}
