/**
 * Areas under EDC curves: stepwise left-constant pAUC (iso), trapezoidal pAUC (recomputed), the normalisation
 * pAUC / (L · error₀), and the area under the theoretical-best line.
 */
import { AikdError } from '@aikd/core';
import { GRID_EPS } from './constants.ts';

function checkLimit(limit: number): void {
  if (!(limit > 0 && limit <= 1)) throw new AikdError(`discard limit: expected a number in (0, 1] (got ${limit})`);
}

/** Neumaier-compensated running sum, so 10⁷ small segments add up to the correctly rounded total. */
class Sum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    this.c += Math.abs(this.s) >= Math.abs(x) ? this.s - t + x : x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

/**
 * Stepwise, left-constant pAUC: Σ y_i · (min(x_{i+1}, L) − x_i) over the points with x_i < L (the last point's
 * segment ends at L). `x` ascending. NaN when a y inside [0, L) is NaN.
 */
export function pauc(x: ArrayLike<number>, y: ArrayLike<number>, limit: number): number {
  checkLimit(limit);
  const sum = new Sum();
  for (let i = 0; i < x.length && x[i]! < limit; i++) {
    const next = i + 1 < x.length ? Math.min(x[i + 1]!, limit) : limit;
    sum.add(y[i]! * (next - x[i]!));
  }
  return sum.value;
}

/**
 * Trapezoidal pAUC of the piecewise-linear curve through (x_i, y_i) on [x_0, L] (as `sklearn.metrics.auc` over the
 * grid points up to L). A grid point within 1e-9 of L counts as L (0.05 · 6 = 0.30000000000000004); when L falls
 * between two points the last trapezoid is cut at L with y interpolated linearly.
 */
export function paucTrapezoid(x: ArrayLike<number>, y: ArrayLike<number>, limit: number): number {
  checkLimit(limit);
  const sum = new Sum();
  for (let i = 0; i + 1 < x.length; i++) {
    const x0 = x[i]!;
    if (x0 >= limit - GRID_EPS) break;
    let x1 = x[i + 1]!;
    let y1 = y[i + 1]!;
    if (x1 > limit + GRID_EPS) {
      y1 = y[i]! + ((y1 - y[i]!) * (limit - x0)) / (x1 - x0);
      x1 = limit;
    }
    sum.add(((y[i]! + y1) / 2) * (x1 - x0));
  }
  return sum.value;
}

/**
 * Trapezoidal area under the piecewise-linear curve through every point (x ascending): `sklearn.metrics.auc(x, y)`,
 * CR-FIQA's summary of an ERC over its whole grid. NaN when any y is NaN.
 */
export function trapezoidArea(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const sum = new Sum();
  for (let i = 0; i + 1 < x.length; i++) sum.add(((y[i]! + y[i + 1]!) / 2) * (x[i + 1]! - x[i]!));
  return sum.value;
}

/** Area under the theoretical-best line max(0, e₀ − x) on [0, L]: e₀L − L²/2 when L < e₀, else e₀²/2. */
export function theoreticalBestArea(errorAt0: number, limit: number): number {
  checkLimit(limit);
  return limit < errorAt0 ? errorAt0 * limit - (limit * limit) / 2 : (errorAt0 * errorAt0) / 2;
}

/** pAUC / (L · e₀): 1 = discarding did not help, lower is better. null when e₀ = 0 (or either is not finite). */
export function normalizedPauc(area: number, limit: number, errorAt0: number): number | null {
  if (!(errorAt0 > 0) || !Number.isFinite(area)) return null;
  return area / (limit * errorAt0);
}

/**
 * The best curve any quality could give on a set of `n` comparisons with `errors` errors (discard counts
 * d = 0…n, stepwise): the errors are discarded first, so error(d) = max(0, errors − d) / (n − d), and error(n) = 0.
 * The straight line max(0, e₀ − x), whose area `theoreticalBestArea` reports (as the dasec/Schlett code does), is
 * this curve times (1 − x): remaining errors counted against all n comparisons instead of the n − d kept ones.
 */
export function oracleCurve(n: number, errors: number): { discardFraction: Float64Array; error: Float64Array } {
  const discardFraction = new Float64Array(n + 1);
  const error = new Float64Array(n + 1);
  for (let d = 0; d <= n; d++) {
    discardFraction[d] = d / n;
    error[d] = d < n ? Math.max(0, errors - d) / (n - d) : 0;
  }
  return { discardFraction, error };
}
