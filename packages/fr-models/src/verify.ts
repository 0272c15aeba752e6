/**
 * Verification metrics with cosine similarity: the standard 10-fold accuracy (threshold chosen on the other nine
 * folds), TAR at FAR, EER and ROC AUC. Pure TypeScript on typed arrays.
 */
import { AikdError } from '@aikd/core';
import { thresholdAtFmr } from '@aikd/edc';

export function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb || 1e-30);
}

/** Threshold maximising accuracy (mated if s ≥ t) on the given subset; midpoints between distinct scores. */
export function bestThreshold(s: ArrayLike<number>, mated: ArrayLike<boolean>, idx: number[]): number {
  const o = [...idx].sort((i, j) => s[i]! - s[j]!);
  const nM = o.filter((i) => mated[i]).length;
  // threshold below everything: all accepted → correct = nM
  let correct = nM, best = correct, bestT = o.length ? s[o[0]!]! - 1e-6 : 0;
  for (let k = 0; k < o.length; k++) {
    const i = o[k]!;
    correct += mated[i] ? -1 : 1; // moving the threshold above s_i rejects pair i
    if (k + 1 < o.length && s[o[k + 1]!] === s[i]) continue; // all ties move together
    if (correct > best) {
      best = correct;
      bestT = k + 1 < o.length ? (s[i]! + s[o[k + 1]!]!) / 2 : s[i]! + 1e-6;
    }
  }
  return bestT;
}

export interface TenFold {
  mean: number;
  std: number;
  folds: { fold: number; accuracy: number; threshold: number; n: number }[];
  /** How folds were assigned: from the protocol, or stratified by index when the dataset has none. */
  foldSource: 'protocol' | 'stratified';
}

export function tenFoldAccuracy(s: ArrayLike<number>, mated: ArrayLike<boolean>, folds?: ArrayLike<number | undefined>, k = 10): TenFold {
  const n = s.length;
  let fold: number[];
  let foldSource: TenFold['foldSource'] = 'protocol';
  if (folds && Array.from(folds).every((f) => f !== undefined)) fold = Array.from(folds as ArrayLike<number>);
  else {
    // no protocol folds: mated and non-mated pairs dealt round-robin into k folds, so every fold has both kinds
    foldSource = 'stratified';
    let m = 0, nm = 0;
    fold = Array.from({ length: n }, (_, i) => (mated[i] ? m++ : nm++) % k);
  }
  const ids = [...new Set(fold)].sort((a, b) => a - b);
  if (ids.length < 2) throw new AikdError(`10-fold accuracy needs at least 2 folds (got ${ids.length})`);
  const res = ids.map((f) => {
    const train: number[] = [], test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    const t = bestThreshold(s, mated, train);
    const ok = test.filter((i) => (s[i]! >= t) === Boolean(mated[i])).length;
    return { fold: f, accuracy: test.length ? ok / test.length : NaN, threshold: t, n: test.length };
  });
  const accs = res.map((r) => r.accuracy);
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / accs.length);
  return { mean, std, folds: res, foldSource };
}

/**
 * TAR at a FAR target, with the workbench's one threshold-at-FMR rule (`thresholdAtFmr` of @aikd/edc, the EDC's
 * iso threshold): t = the smallest non-mated score such that #(non-mated ≥ t)/N ≤ far; a pair scoring exactly t
 * matches (mated and non-mated alike), so tie groups are never split. `reachable` is false when far < 1/N (no false
 * accept can be allowed, so the achieved FAR is 0 whatever the target).
 */
export function tarAtFar(s: ArrayLike<number>, mated: ArrayLike<boolean>, far: number): { tar: number; threshold: number; achievedFar: number; reachable: boolean } {
  const non: number[] = [];
  const gen: number[] = [];
  for (let i = 0; i < s.length; i++) (mated[i] ? gen : non).push(s[i]!);
  const N = non.length;
  if (!N || !gen.length) throw new AikdError('TAR@FAR needs mated and non-mated pairs');
  const t = thresholdAtFmr(Float64Array.from(non), far);
  return { tar: gen.filter((x) => x >= t.threshold).length / gen.length, threshold: t.threshold, achievedFar: t.achievedFmr, reachable: 1 / N <= far };
}

/** Equal error rate: where FAR and FRR cross (mean of the two at the closest threshold). */
export function eer(s: ArrayLike<number>, mated: ArrayLike<boolean>): { eer: number; threshold: number } {
  const idx = Array.from({ length: s.length }, (_, i) => i).sort((i, j) => s[i]! - s[j]!);
  const nM = idx.filter((i) => mated[i]).length, nN = idx.length - nM;
  if (!nM || !nN) throw new AikdError('EER needs mated and non-mated pairs');
  let frr = 0, far = nN; // threshold below everything: every non-mated accepted, no mated rejected
  let best = { gap: Infinity, eer: 1, threshold: s[idx[0]!]! };
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (mated[i]) frr++;
    else far--;
    if (k + 1 < idx.length && s[idx[k + 1]!] === s[i]) continue;
    const FAR = far / nN, FRR = frr / nM;
    if (Math.abs(FAR - FRR) < best.gap) best = { gap: Math.abs(FAR - FRR), eer: (FAR + FRR) / 2, threshold: k + 1 < idx.length ? (s[i]! + s[idx[k + 1]!]!) / 2 : s[i]! };
  }
  return { eer: best.eer, threshold: best.threshold };
}

/** ROC AUC = P(mated score > non-mated score) + ½ P(equal) (Mann–Whitney with mid-ranks). */
export function rocAuc(s: ArrayLike<number>, mated: ArrayLike<boolean>): number {
  const idx = Array.from({ length: s.length }, (_, i) => i).sort((i, j) => s[i]! - s[j]!);
  let rankSum = 0, nM = 0;
  for (let k = 0; k < idx.length; ) {
    let e = k;
    while (e + 1 < idx.length && s[idx[e + 1]!] === s[idx[k]!]) e++;
    const mid = (k + e) / 2 + 1;
    for (let j = k; j <= e; j++) if (mated[idx[j]!]) {
      rankSum += mid;
      nM++;
    }
    k = e + 1;
  }
  const nN = idx.length - nM;
  if (!nM || !nN) throw new AikdError('AUC needs mated and non-mated pairs');
  return (rankSum - (nM * (nM + 1)) / 2) / (nM * nN);
}
