import { AikdError } from '@aikd/core';
import {
  EDC_MODES,
  ERROR_TYPES,
  PAIR_QUALITY_RULES,
  DEFAULT_DISCARD_LIMITS,
  DEFAULT_ERROR,
  DEFAULT_GRID_MAX,
  DEFAULT_GRID_STEP,
  DEFAULT_METHOD,
  DEFAULT_MODE,
  DEFAULT_OPERATING_POINT,
  DEFAULT_PAIR_QUALITY,
  EDC_MODE_DEFINITIONS,
  GRID_EPS,
} from './constants.ts';
import { pairQualities } from './quality.ts';
import { thresholdAtFmr, thresholdAtFmrSorted, quantileLinear, quantileLinearSorted, countAtLeast, countBelow } from './threshold.ts';
import { sortForIso, isoPoints, isoPointsByCounting, isoBuffers, type IsoSorted, type IsoBuffers } from './iso.ts';
import { sortForRecomputed, recomputedPoints, recomputedCurve, discardGrid, type RecomputedSorted } from './recomputed.ts';
import { pauc, paucTrapezoid, trapezoidArea, theoreticalBestArea, normalizedPauc } from './area.ts';
import { argsortStable } from './sort.ts';
import type { ComparisonSet, EdcOptions, EdcPoints, EdcResult, OperatingPoint } from './types.ts';

/** Key of a discard limit in `EdcResult.pauc` etc.: `String(limit)`, e.g. "0.3". */
export const limitKey = (limit: number): string => String(limit);

/** Throw on options no computation can honour (before any work is done). */
export function validateEdcOptions(o: EdcOptions): void {
  // the library is called from JS too: a typo in a string option must not silently pick a default branch
  const oneOf = (what: string, v: unknown, allowed: readonly string[]) => {
    if (v !== undefined && !allowed.includes(v as string)) throw new AikdError(`${what}: expected ${allowed.map((x) => `"${x}"`).join(' or ')} (got ${JSON.stringify(v)})`);
  };
  oneOf('mode', o.mode, EDC_MODES);
  oneOf('error', o.error, ERROR_TYPES);
  oneOf('pairQuality', o.pairQuality, PAIR_QUALITY_RULES);
  oneOf('operatingPoint.kind', o.operatingPoint?.kind, ['fmr', 'threshold', 'starting_error']);
  if (o.operatingPoint && typeof o.operatingPoint.value !== 'number') throw new AikdError(`operatingPoint.value: expected a number (got ${JSON.stringify(o.operatingPoint.value)})`);
  const op = o.operatingPoint ?? DEFAULT_OPERATING_POINT;
  if (op.kind === 'fmr' && !(op.value >= 0 && op.value <= 1)) throw new AikdError(`--fmr: expected a rate in [0, 1] (got ${op.value})`);
  if (op.kind === 'starting_error' && !(op.value >= 0 && op.value <= 1)) throw new AikdError(`--starting-error: expected a rate in [0, 1] (got ${op.value})`);
  if (op.kind === 'threshold' && !Number.isFinite(op.value)) throw new AikdError(`--threshold: expected a finite number (got ${op.value})`);
  for (const l of o.discardLimits ?? DEFAULT_DISCARD_LIMITS)
    if (!(l > 0 && l <= 1)) throw new AikdError(`--discard-limit: expected a fraction in (0, 1] (got ${l})`);
  if ((o.mode ?? DEFAULT_MODE) === 'recomputed') {
    if ((o.error ?? DEFAULT_ERROR) !== 'fnmr')
      throw new AikdError('--mode recomputed computes FNMR at a recomputed FMR threshold; --error fmr needs --mode iso');
    if (op.kind !== 'fmr') throw new AikdError(`--mode recomputed sets the threshold from --fmr at every grid point; --${op.kind.replace('_', '-')} needs --mode iso`);
    discardGrid(o.gridStep ?? DEFAULT_GRID_STEP, o.gridMax ?? DEFAULT_GRID_MAX);
  }
}

/** The number of mated comparisons, after checking every flag is 0/1 and every similarity finite. */
function countMated(similarity: Float64Array, mated: Uint8Array): number {
  const n = similarity.length;
  let nMated = 0;
  let bad = -1;
  for (let i = 0; i < n; i++) {
    const m = mated[i]!;
    const s = similarity[i]!;
    if (m > 1 || s - s !== 0) {
      bad = i;
      break;
    }
    nMated += m;
  }
  if (bad >= 0) {
    if (mated[bad]! > 1) throw new AikdError(`comparison ${bad}: mated must be 0 or 1 (got ${mated[bad]})`);
    throw new AikdError(`comparison ${bad}: similarity must be a finite number (got ${similarity[bad]})`);
  }
  return nMated;
}

/** Similarities by comparison type, with their pair qualities (iso mode; recomputed mode keeps all pairs together). */
function splitByType(similarity: Float64Array, mated: Uint8Array, quality: Float64Array, nMated: number) {
  const n = similarity.length;
  const simM = new Float64Array(nMated);
  const qM = new Float64Array(nMated);
  const idxM = new Uint32Array(nMated);
  const simN = new Float64Array(n - nMated);
  const qN = new Float64Array(n - nMated);
  const idxN = new Uint32Array(n - nMated);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (mated[i]) {
      simM[a] = similarity[i]!;
      idxM[a] = i;
      qM[a++] = quality[i]!;
    } else {
      simN[b] = similarity[i]!;
      idxN[b] = i;
      qN[b++] = quality[i]!;
    }
  }
  return { simM, qM, idxM, simN, qN, idxN };
}

/** The similarities of one comparison type (`mated[i] === type`), `count` of them, in input order. */
function similaritiesOf(similarity: Float64Array, mated: Uint8Array, type: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0, k = 0; i < similarity.length; i++) if (mated[i] === type) out[k++] = similarity[i]!;
  return out;
}

/** The similarities and pair qualities of one comparison type, `count` of them, in input order. */
function curveOf(similarity: Float64Array, quality: Float64Array, mated: Uint8Array, type: number, count: number) {
  const sim = new Float64Array(count);
  const q = new Float64Array(count);
  for (let i = 0, k = 0; i < similarity.length; i++)
    if (mated[i] === type) {
      sim[k] = similarity[i]!;
      q[k++] = quality[i]!;
    }
  return { sim, q };
}

function describeOp(op: OperatingPoint): string {
  return op.kind === 'fmr' ? `FMR ${op.value}` : op.kind === 'threshold' ? `threshold ${op.value}` : `starting error ${op.value}`;
}

/** Σ weights over the mated and over the non-mated comparisons. */
export interface WeightTotals {
  mated: number;
  nonmated: number;
}

/** What one evaluation of a prepared EDC gives (the full curve, or a bootstrap replicate's). */
export interface EdcEvaluation {
  points: EdcPoints;
  threshold: number;
  achievedFmr: number | null;
  fnmrAt0: number | null;
  errorAt0: number;
  /** pAUC and pAUC_norm per discard limit (in `limits` order); NaN where undefined. */
  pauc: Float64Array;
  paucNorm: Float64Array;
  /** recomputed mode: trapezoids over the whole grid; NaN otherwise or where undefined. */
  auc: number;
}

/**
 * One method's comparisons with everything sorted that does not depend on which comparisons a bootstrap replicate
 * keeps: `evaluate()` is the EDC itself, `evaluate(weights)` the EDC of the comparisons repeated `weights[i]` times.
 */
export interface PreparedEdc {
  readonly method: string;
  readonly mode: EdcOptions['mode'] & string;
  readonly limits: readonly number[];
  readonly set: ComparisonSet;
  /**
   * Discard fractions at which bootstrap bands of the curve are taken: the grid (recomputed), or 0, 0.01, …, 1 for
   * the step curves of iso mode (whose own points move with every resample).
   */
  readonly bandGrid: Float64Array;
  /**
   * `totals`, when the caller knows them cheaply (the resampler does), are the weights summed over mated and over
   * non-mated comparisons; they must equal those sums.
   */
  evaluate(weights?: ArrayLike<number>, totals?: WeightTotals): EdcEvaluation;
  /** The full result (what `computeEdc` returns). */
  result(): EdcResult;
}

function areas(mode: string, points: EdcPoints, limits: readonly number[], errorAt0: number) {
  const area = mode === 'iso' ? pauc : paucTrapezoid;
  const a = new Float64Array(limits.length);
  const norm = new Float64Array(limits.length);
  limits.forEach((l, k) => {
    a[k] = area(points.discardFraction, points.error, l);
    norm[k] = normalizedPauc(a[k]!, l, errorAt0) ?? NaN;
  });
  return { pauc: a, paucNorm: norm };
}

/** Points of the iso bootstrap band: every 1 % of discarded comparisons. */
const ISO_BAND_POINTS = 100;

/**
 * The curve's error at each of `at` (ascending): the value of the last point at or left of x for step curves, the
 * linear interpolation for trapezoid ones (on the grid itself: the grid values); NaN outside the curve.
 */
export function curveAt(points: EdcPoints, interpolation: 'step' | 'trapezoid', at: Float64Array, out: Float64Array<ArrayBufferLike> = new Float64Array(at.length)): Float64Array<ArrayBufferLike> {
  const x = points.discardFraction;
  const y = points.error;
  const n = x.length;
  let i = 0;
  for (let j = 0; j < at.length; j++) {
    const u = at[j]!;
    while (i + 1 < n && x[i + 1]! <= u + GRID_EPS) i++;
    if (n === 0 || x[0]! > u + GRID_EPS) out[j] = NaN;
    else if (interpolation === 'step' || Math.abs(x[i]! - u) <= GRID_EPS) out[j] = y[i]!;
    else if (i + 1 < n) out[j] = y[i]! + ((y[i + 1]! - y[i]!) * (u - x[i]!)) / (x[i + 1]! - x[i]!);
    else out[j] = NaN;
  }
  return out;
}

/** Sort once; evaluate as often as needed (see PreparedEdc). */
export function prepareEdc(set: ComparisonSet, options: EdcOptions = {}, method = DEFAULT_METHOD): PreparedEdc {
  validateEdcOptions(options);
  const mode = options.mode ?? DEFAULT_MODE;
  const error = options.error ?? DEFAULT_ERROR;
  const op = options.operatingPoint ?? DEFAULT_OPERATING_POINT;
  const rule = options.pairQuality ?? DEFAULT_PAIR_QUALITY;
  const lowerIsBetter = options.lowerIsBetter ?? false;
  const limits = [...(options.discardLimits ?? DEFAULT_DISCARD_LIMITS)];
  const n = set.similarity.length;
  if (set.mated.length !== n) throw new AikdError(`method "${method}": ${set.mated.length} mated flags for ${n} similarities`);

  const quality = pairQualities(set, rule, lowerIsBetter);
  const nMated = countMated(set.similarity, set.mated);
  const nNonmated = n - nMated;
  const needMated = error === 'fnmr' || mode === 'recomputed';
  const needNonmated = error === 'fmr' || op.kind === 'fmr';
  if (needMated && nMated === 0) throw new AikdError(`method "${method}": no mated comparisons (an FNM-EDC needs some)`);
  if (needNonmated && nNonmated === 0)
    throw new AikdError(
      `method "${method}": no non-mated comparisons` +
        (op.kind === 'fmr' ? ` to set the threshold at ${describeOp(op)} (give --threshold or --starting-error instead)` : ' (an FM-EDC needs some)'),
    );

  let evaluate: (weights?: ArrayLike<number>, totals?: WeightTotals) => EdcEvaluation;
  let bandGrid: Float64Array;
  let nFailedToAssess: number;
  let gridStep: number | null = null;
  // how many comparisons the curve ranks (for the all-unassessed warning)
  let rankedCount = n;
  if (mode === 'iso') {
    bandGrid = Float64Array.from({ length: ISO_BAND_POINTS + 1 }, (_, j) => j / ISO_BAND_POINTS);
    const curveType = error === 'fnmr' ? 1 : 0;
    rankedCount = error === 'fnmr' ? nMated : nNonmated;
    if (rankedCount === 0) throw new AikdError(`no ${error === 'fnmr' ? 'mated' : 'non-mated'} comparisons for an ${error === 'fnmr' ? 'FNM' : 'FM'}-EDC`);
    nFailedToAssess = 0;
    for (let k = 0; k < n; k++) if (set.mated[k] === curveType && quality[k] === -Infinity) nFailedToAssess++;
    // the comparisons split by type, with their indices: bootstrap replicates only (the curve reads them in place)
    let split: ReturnType<typeof splitByType> | undefined;
    const byType = () => (split ??= splitByType(set.similarity, set.mated, quality, nMated));
    // the threshold's own inputs: one comparison type's similarities
    const thresholdType = op.kind === 'fmr' ? 0 : op.kind === 'starting_error' ? curveType : -1;
    const atFmr = op.kind === 'fmr' ? thresholdAtFmr(similaritiesOf(set.similarity, set.mated, 0, nNonmated), op.value) : undefined;
    const fixed =
      op.kind === 'threshold'
        ? op.value
        : atFmr
          ? atFmr.threshold
          : error === 'fnmr'
            ? quantileLinear(similaritiesOf(set.similarity, set.mated, 1, nMated), op.value)
            : quantileLinear(similaritiesOf(set.similarity, set.mated, 0, nNonmated), 1 - op.value);
    // sorted with their comparison order on the first replicate only: the curve itself needs no argsort
    let sortedForReplicates: IsoSorted | undefined;
    let sortedIdx: Uint32Array | undefined; // comparison index of each sorted position (replicates only)
    let sortedThreshold: { values: Float64Array; idx: Uint32Array } | undefined;
    // replicates reuse these (no allocation per replicate)
    let curveWeights: Uint32Array | undefined;
    let buffers: IsoBuffers | undefined;
    evaluate = (weights, totals) => {
      let threshold = fixed;
      if (!weights) {
        // over all comparisons of the curve's type (no indices: only replicates need them)
        const curve = curveOf(set.similarity, quality, set.mated, curveType, rankedCount);
        const points = isoPointsByCounting(curve.sim, curve.q, threshold, error);
        const errorAt0 = points.error[0]!;
        // errors of both types at the threshold: the curve counted its own, the FMR rule the false matches
        let falseMatches = error === 'fmr' ? points.errors : atFmr ? atFmr.falseMatches : -1;
        let falseNonMatches = error === 'fnmr' ? points.errors : -1;
        if (falseMatches < 0 || falseNonMatches < 0) {
          falseMatches = falseNonMatches = 0;
          for (let i = 0; i < n; i++) {
            const s = set.similarity[i]!;
            if (set.mated[i]) falseNonMatches += s < threshold ? 1 : 0;
            else falseMatches += s >= threshold ? 1 : 0;
          }
        }
        const achievedFmr = nNonmated ? falseMatches / nNonmated : null;
        const fnmrAt0 = nMated ? falseNonMatches / nMated : null;
        return { points, threshold, achievedFmr, fnmrAt0, errorAt0, ...areas(mode, points, limits, errorAt0), auc: NaN };
      }
      const { simM, qM, idxM, simN, qN, idxN } = byType();
      const curveIdx = error === 'fnmr' ? idxM : idxN;
      const sorted = (sortedForReplicates ??= sortForIso(error === 'fnmr' ? simM : simN, error === 'fnmr' ? qM : qN, error));
      if (!sortedIdx) {
        sortedIdx = new Uint32Array(sorted.order.length);
        for (let k = 0; k < sortedIdx.length; k++) sortedIdx[k] = curveIdx[sorted.order[k]!]!;
      }
      curveWeights ??= new Uint32Array(sortedIdx.length);
      buffers ??= isoBuffers(sortedIdx.length);
      for (let k = 0; k < sortedIdx.length; k++) curveWeights[k] = weights[sortedIdx[k]!]!;
      if (thresholdType >= 0) {
        if (!sortedThreshold) {
          const values = thresholdType ? simM : simN;
          const idx = thresholdType ? idxM : idxN;
          const o = argsortStable(values);
          sortedThreshold = { values: o.sorted, idx: Uint32Array.from(o.order, (k) => idx[k]!) };
        }
        const st = sortedThreshold;
        if (op.kind === 'fmr') {
          // only the top of the non-mated scores is read: no gather of all their weights
          threshold = thresholdAtFmrSorted(st.values, op.value, (k) => weights[st.idx[k]!]!, totals?.nonmated).threshold;
        } else threshold = quantileLinearSorted(st.values, error === 'fnmr' ? op.value : 1 - op.value, gather(weights, st.idx));
      }
      // a replicate needs only the curve
      const points = isoPoints(sorted, threshold, error, curveWeights, buffers);
      const errorAt0 = points.error[0]!;
      return { points, threshold, achievedFmr: null, fnmrAt0: null, errorAt0, ...areas(mode, points, limits, errorAt0), auc: NaN };
    };
  } else {
    gridStep = options.gridStep ?? DEFAULT_GRID_STEP;
    const grid = discardGrid(gridStep, options.gridMax ?? DEFAULT_GRID_MAX);
    bandGrid = grid;
    // the curve itself needs no sort (recomputedCurve); bootstrap replicates sort once, on the first
    let sorted: RecomputedSorted | undefined;
    nFailedToAssess = 0;
    for (let i = 0; i < n; i++) if (quality[i] === -Infinity) nFailedToAssess++;
    evaluate = (weights, totals) => {
      const points = weights
        ? recomputedPoints((sorted ??= sortForRecomputed(set.similarity, set.mated, quality)), op.value, grid, weights, totals ? totals.mated + totals.nonmated : undefined)
        : recomputedCurve(set.similarity, set.mated, quality, op.value, grid);
      const errorAt0 = points.error[0]!;
      return {
        points,
        threshold: points.threshold[0]!,
        achievedFmr: Number.isNaN(points.fmr[0]!) ? null : points.fmr[0]!,
        fnmrAt0: Number.isNaN(errorAt0) ? null : errorAt0,
        errorAt0,
        ...areas(mode, points, limits, errorAt0),
        auc: trapezoidArea(points.discardFraction, points.error),
      };
    };
  }
  // a method that assessed none of the ranked comparisons: its curve is the input order's, not a ranking
  const unassessed =
    rankedCount > 0 && nFailedToAssess === rankedCount
      ? `method "${method}": none of the ${rankedCount} ${mode === 'recomputed' ? '' : error === 'fnmr' ? 'mated ' : 'non-mated '}comparisons has an assessed quality (all NaN or missing): discarding ranks nothing, so the curve and its pAUC_norm say nothing about the method`
      : undefined;

  const result = (): EdcResult => {
    const e = evaluate();
    const warnings: string[] = [];
    const notes = [EDC_MODE_DEFINITIONS[mode]];
    if (mode === 'recomputed') notes.push('thresholds are angular distances arccos(s)/pi: a pair matches when its distance is below');
    if (nFailedToAssess > 0) notes.push(`${nFailedToAssess} comparisons without an assessed quality were discarded first`);
    if (unassessed) warnings.push(unassessed);
    const paucs: Record<string, number | null> = {};
    const norms: Record<string, number | null> = {};
    const best: Record<string, number> = {};
    limits.forEach((l, k) => {
      const key = limitKey(l);
      paucs[key] = Number.isFinite(e.pauc[k]!) ? e.pauc[k]! : null;
      norms[key] = Number.isFinite(e.paucNorm[k]!) ? e.paucNorm[k]! : null;
      best[key] = theoreticalBestArea(e.errorAt0, l);
    });
    if (e.errorAt0 === 0) warnings.push(`method "${method}": the ${error.toUpperCase()} at discard 0 is 0 (${describeOp(op)}), so pAUC_norm is undefined (null)`);
    if (Object.values(paucs).some((x) => x === null))
      warnings.push(`method "${method}": some grid points keep no mated or no non-mated comparisons, so the pAUC is undefined (null)`);
    return {
      method,
      mode,
      error,
      operatingPoint: op,
      pairQuality: rule,
      lowerIsBetter,
      interpolation: mode === 'iso' ? 'step' : 'trapezoid',
      gridStep,
      threshold: e.threshold,
      achievedFmr: e.achievedFmr,
      fnmrAt0: e.fnmrAt0,
      errorAt0: e.errorAt0,
      discardLimits: limits,
      pauc: paucs,
      paucNorm: norms,
      theoreticalBest: best,
      auc: Number.isFinite(e.auc) ? e.auc : null,
      definition: EDC_MODE_DEFINITIONS[mode],
      nMated,
      nNonmated,
      nFailedToAssess,
      points: e.points.fmr ? e.points : { discardFraction: e.points.discardFraction, error: e.points.error, remaining: e.points.remaining, threshold: e.points.threshold },
      warnings,
      notes,
    };
  };
  return { method, mode, limits, set, bandGrid, evaluate, result };
}

/**
 * The EDC of one method's comparisons and its areas. The conventions (EDC_MODE_DEFINITIONS), in short:
 * `iso` (default) fixes the threshold once on all comparisons and discards tie groups whole (stepwise pAUC);
 * `recomputed` is CR-FIQA's ERC code exactly (0.05 grid over all pairs, threshold recomputed at every grid point
 * on angular distances, trapezoidal areas, and its full-grid AUC).
 */
export function computeEdc(set: ComparisonSet, options: EdcOptions = {}, method = DEFAULT_METHOD): EdcResult {
  return prepareEdc(set, options, method).result();
}

/** `weights[idx[k]]` for every k. */
function gather(weights: ArrayLike<number>, idx: Uint32Array): Uint32Array {
  const out = new Uint32Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = weights[idx[k]!]!;
  return out;
}
