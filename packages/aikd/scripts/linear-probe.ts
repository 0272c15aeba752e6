/**
 * A linear read-out bound for the study scripts: ridge regression from standardised features (a frozen FR model's
 * embeddings) to a teacher's qualities, λ chosen by k-fold cross-validation over identities (Spearman of the
 * held-out predictions). It tells how much of a teacher's ranking a head on those features can carry with this
 * training data, without SGD, a hidden layer or a checkpoint choice in the way.
 */
import { spearman } from '@aikd/teachers';

export interface LinearProbe {
  lambda: number;
  /** Spearman of the cross-validated predictions with the labels, at the chosen λ. */
  cvRho: number;
  predict(x: ArrayLike<number>): number;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export function fitLinearProbe(X: ArrayLike<number>[], y: number[], groups: string[], opts: { lambdas?: number[]; folds?: number } = {}): LinearProbe {
  const d = X[0]!.length;
  const lambdas = opts.lambdas ?? [1, 10, 100, 1000, 10000, 100000];
  const folds = opts.folds ?? 4;
  const mu = Array.from({ length: d }, (_, j) => mean(X.map((x) => x[j]!)));
  const sg = Array.from({ length: d }, (_, j) => Math.sqrt(mean(X.map((x) => (x[j]! - mu[j]!) ** 2))) || 1);
  const z = (x: ArrayLike<number>) => Array.from({ length: d }, (_, j) => (x[j]! - mu[j]!) / sg[j]!);
  const Z = X.map(z);
  const people = [...new Set(groups)].sort();
  const fold = (i: number) => people.indexOf(groups[i]!) % folds;
  const fit = (rows: number[], lambda: number): number[] => {
    // (ZᵀZ + λI) w = Zᵀ(y − ȳ) by Gauss–Jordan elimination with partial pivoting; the intercept is ȳ
    const ym = mean(rows.map((i) => y[i]!));
    const A = Array.from({ length: d }, (_, j) =>
      Array.from({ length: d + 1 }, (_, k) => (k === d ? rows.reduce((s, i) => s + Z[i]![j]! * (y[i]! - ym), 0) : rows.reduce((s, i) => s + Z[i]![j]! * Z[i]![k]!, 0) + (j === k ? lambda : 0))),
    );
    for (let c = 0; c < d; c++) {
      let p = c;
      for (let r = c + 1; r < d; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
      [A[c], A[p]] = [A[p]!, A[c]!];
      for (let r = 0; r < d; r++) {
        if (r === c) continue;
        const f = A[r]![c]! / A[c]![c]!;
        for (let k = c; k <= d; k++) A[r]![k]! -= f * A[c]![k]!;
      }
    }
    return [...A.map((row, j) => row[d]! / row[j]!), ym];
  };
  const apply = (w: number[], zx: number[]) => zx.reduce((s, v, j) => s + v * w[j]!, w[d]!);
  let best = { lambda: lambdas[0]!, cvRho: -Infinity };
  for (const lambda of lambdas) {
    const pred: number[] = new Array(y.length);
    for (let f = 0; f < folds; f++) {
      const w = fit(y.map((_, i) => i).filter((i) => fold(i) !== f), lambda);
      y.forEach((_, i) => fold(i) === f && (pred[i] = apply(w, Z[i]!)));
    }
    const r = spearman(pred, y);
    if (r > best.cvRho) best = { lambda, cvRho: r };
  }
  const w = fit(y.map((_, i) => i), best.lambda);
  return { ...best, predict: (x) => apply(w, z(x)) };
}
