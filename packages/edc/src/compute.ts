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
} from './constants.ts';
import { pairQualities } from './quality.ts';
import { thresholdAtFmr, quantileLinear, countAtLeast, countBelow } from './threshold.ts';
import { isoCurve } from './iso.ts';
import { recomputedCurve, discardGrid } from './recomputed.ts';
import { pauc, paucTrapezoid, theoreticalBestArea, normalizedPauc } from './area.ts';
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

/** Similarities by comparison type, with their pair qualities. */
function splitByType(similarity: Float64Array, mated: Uint8Array, quality: Float64Array) {
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
  const simM = new Float64Array(nMated);
  const qM = new Float64Array(nMated);
  const simN = new Float64Array(n - nMated);
  const qN = new Float64Array(n - nMated);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (mated[i]) {
      simM[a] = similarity[i]!;
      qM[a++] = quality[i]!;
    } else {
      simN[b] = similarity[i]!;
      qN[b++] = quality[i]!;
    }
  }
  return { simM, qM, simN, qN };
}

function describeOp(op: OperatingPoint): string {
  return op.kind === 'fmr' ? `FMR ${op.value}` : op.kind === 'threshold' ? `threshold ${op.value}` : `starting error ${op.value}`;
}

/**
 * The EDC of one method's comparisons and its areas. The conventions, in short:
 * `iso` (default) fixes the threshold once on all comparisons and discards tie groups whole (stepwise pAUC);
 * `recomputed` reproduces the CR-FIQA/MagFace scripts (stable sort, 0.05 grid over all pairs, threshold recomputed
 * at every grid point, trapezoidal area).
 */
export function computeEdc(set: ComparisonSet, options: EdcOptions = {}, method = DEFAULT_METHOD): EdcResult {
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
  const { simM, qM, simN, qN } = splitByType(set.similarity, set.mated, quality);
  const nMated = simM.length;
  const nNonmated = simN.length;
  const needMated = error === 'fnmr' || mode === 'recomputed';
  const needNonmated = error === 'fmr' || op.kind === 'fmr';
  if (needMated && nMated === 0) throw new AikdError(`method "${method}": no mated comparisons (an FNM-EDC needs some)`);
  if (needNonmated && nNonmated === 0)
    throw new AikdError(
      `method "${method}": no non-mated comparisons` +
        (op.kind === 'fmr' ? ` to set the threshold at ${describeOp(op)} (give --threshold or --starting-error instead)` : ' (an FM-EDC needs some)'),
    );

  const warnings: string[] = [];
  const notes: string[] = [];
  let points: EdcPoints;
  let threshold: number;
  let nFailedToAssess: number;
  let gridStep: number | null = null;

  if (mode === 'iso') {
    if (op.kind === 'threshold') threshold = op.value;
    else if (op.kind === 'fmr') threshold = thresholdAtFmr(simN, op.value).threshold;
    else threshold = error === 'fnmr' ? quantileLinear(simM, op.value) : quantileLinear(simN, 1 - op.value);
    const curve = error === 'fnmr' ? isoCurve(simM, qM, threshold, 'fnmr') : isoCurve(simN, qN, threshold, 'fmr');
    points = curve;
    nFailedToAssess = curve.nFailedToAssess;
    notes.push('iso: threshold fixed on all comparisons before discarding; tie groups in quality discarded whole; stepwise (left-constant) pAUC');
  } else {
    gridStep = options.gridStep ?? DEFAULT_GRID_STEP;
    const grid = discardGrid(gridStep, options.gridMax ?? DEFAULT_GRID_MAX);
    const curve = recomputedCurve(set.similarity, set.mated, quality, op.value, grid);
    points = curve;
    threshold = curve.threshold[0]!;
    nFailedToAssess = curve.nFailedToAssess;
    notes.push(
      'recomputed: mated and non-mated comparisons discarded together by a stable sort (ties in quality split by input order); ' +
        'threshold recomputed at every grid point as the closest FMR on the kept non-mated comparisons; trapezoidal pAUC (CR-FIQA/MagFace parity)',
    );
  }
  const achievedFmr = nNonmated ? countAtLeast(simN, threshold) / nNonmated : null;
  const fnmrAt0 = nMated ? countBelow(simM, threshold) / nMated : null;
  const errorAt0 = points.error[0]!;
  if (nFailedToAssess > 0) notes.push(`${nFailedToAssess} comparisons without an assessed quality were discarded first`);
  const ranked = mode === 'recomputed' ? quality : error === 'fnmr' ? qM : qN;
  if (ranked.length && ranked.every((q) => q === -Infinity))
    warnings.push(
      `method "${method}": none of the ${ranked.length} ${mode === 'recomputed' ? '' : error === 'fnmr' ? 'mated ' : 'non-mated '}comparisons has an assessed quality (all NaN or missing): discarding ranks nothing, so the curve and its pAUC_norm say nothing about the method`,
    );

  const area = mode === 'iso' ? pauc : paucTrapezoid;
  const paucs: Record<string, number | null> = {};
  const norms: Record<string, number | null> = {};
  const best: Record<string, number> = {};
  for (const l of limits) {
    const k = limitKey(l);
    const a = area(points.discardFraction, points.error, l);
    paucs[k] = Number.isFinite(a) ? a : null;
    norms[k] = normalizedPauc(a, l, errorAt0);
    best[k] = theoreticalBestArea(errorAt0, l);
  }
  if (errorAt0 === 0) warnings.push(`method "${method}": the ${error.toUpperCase()} at discard 0 is 0 (${describeOp(op)}), so pAUC_norm is undefined (null)`);
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
    threshold,
    achievedFmr,
    fnmrAt0,
    errorAt0,
    discardLimits: limits,
    pauc: paucs,
    paucNorm: norms,
    theoreticalBest: best,
    nMated,
    nNonmated,
    nFailedToAssess,
    points: { discardFraction: points.discardFraction, error: points.error, remaining: points.remaining, threshold: points.threshold, ...(points.fmr ? { fmr: points.fmr } : {}) },
    warnings,
    notes,
  };
}
