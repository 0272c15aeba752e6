/**
 * Bootstrap intervals of pAUC and pAUC_norm. Comparisons share identities (every pair of an identity depends on the
 * same few images), so the resampling unit is the identity when identities are known:
 *
 * - `identity` (identity-cluster bootstrap): draw as many identities as there are, with replacement; identity k
 *   drawn m_k times. A comparison within one identity (a mated pair) is kept m_k times; a comparison between
 *   identities a and b (a non-mated pair) is kept m_a · m_b times, once for every pairing of a drawn copy of a with
 *   a drawn copy of b (as if the copies were distinct people compared as the protocol compared a and b).
 * - `pair` (only where identities are unknown, and said so): draw mated comparisons among the mated and non-mated
 *   among the non-mated, with replacement (both counts stay as in the protocol). It treats comparisons as
 *   independent, so on data with several comparisons per identity its intervals are too narrow.
 *
 * A replicate is the whole evaluation repeated on the resample (the threshold is re-set on it), computed with
 * integer weights on comparisons sorted once (PreparedEdc.evaluate). All methods evaluated on the same comparisons
 * see the same resamples (paired comparisons: compare.ts). Replicate b's draws come from the stream
 * rngFor(seed, 'edc-bootstrap', b), so results do not depend on the order or number of methods.
 */
import { AikdError, rngFor } from '@aikd/core';
import { limitKey, curveAt, type PreparedEdc, type WeightTotals } from './compute.ts';
import { quantileLinear } from './threshold.ts';
import { DEFAULT_BOOTSTRAP_LEVEL, DEFAULT_BOOTSTRAP_REPLICATES, DEFAULT_BOOTSTRAP_SEED } from './constants.ts';
import type { BootstrapUnit, ComparisonSet, EdcIntervals, EdcResult } from './types.ts';

export interface BootstrapOptions {
  /** Default 1000. */
  replicates?: number;
  /** Default 0. */
  seed?: number | string;
  /** Interval coverage, default 0.95. */
  level?: number;
}

/** Draws the weights of each replicate for one set of comparisons. */
export class Resampler {
  readonly unit: BootstrapUnit;
  /** Identities (unit `identity`) or comparisons (unit `pair`) resampled. */
  readonly units: number;
  private readonly n: number;
  private readonly a?: Int32Array;
  private readonly b?: Int32Array;
  private readonly mated: Uint8Array;
  private readonly matedIdx?: Uint32Array;
  private readonly nonmatedIdx?: Uint32Array;
  /** Comparisons grouped by (mated, identity a, identity b), so a replicate's totals cost O(groups), not O(n). */
  private readonly groups?: { mated: Uint8Array; a: Int32Array; b: Int32Array; count: Float64Array };
  /** Σ weights per comparison type of the last `weights()` call. */
  readonly totals: WeightTotals = { mated: 0, nonmated: 0 };

  constructor(
    set: Pick<ComparisonSet, 'mated' | 'identityA' | 'identityB'>,
    private readonly seed: number | string = DEFAULT_BOOTSTRAP_SEED,
  ) {
    this.n = set.mated.length;
    this.mated = set.mated;
    if (set.identityA && set.identityB) {
      if (set.identityA.length !== this.n || set.identityB.length !== this.n) throw new AikdError(`bootstrap: identity columns have ${set.identityA.length}/${set.identityB.length} values for ${this.n} comparisons`);
      // dense codes 0…K−1 over the identities that occur
      const code = new Map<number, number>();
      const dense = (x: Int32Array) => Int32Array.from(x, (v) => code.get(v) ?? (code.set(v, code.size), code.size - 1));
      this.a = dense(set.identityA);
      this.b = dense(set.identityB);
      this.unit = 'identity';
      this.units = code.size;
      const byKey = new Map<number, number>();
      const k = code.size;
      for (let i = 0; i < this.n; i++) {
        const key = (set.mated[i]! * k + this.a[i]!) * k + this.b[i]!;
        byKey.set(key, (byKey.get(key) ?? 0) + 1);
      }
      const keys = [...byKey.keys()];
      this.groups = {
        mated: Uint8Array.from(keys, (x) => Math.floor(x / (k * k))),
        a: Int32Array.from(keys, (x) => Math.floor(x / k) % k),
        b: Int32Array.from(keys, (x) => x % k),
        count: Float64Array.from(keys, (x) => byKey.get(x)!),
      };
    } else {
      let m = 0;
      for (let i = 0; i < this.n; i++) m += set.mated[i]!;
      this.matedIdx = new Uint32Array(m);
      this.nonmatedIdx = new Uint32Array(this.n - m);
      for (let i = 0, p = 0, q = 0; i < this.n; i++) (set.mated[i] ? this.matedIdx : this.nonmatedIdx)[set.mated[i] ? p++ : q++] = i;
      this.unit = 'pair';
      this.units = this.n;
      this.totals.mated = m;
      this.totals.nonmated = this.n - m;
    }
  }

  /** The weights of replicate `b` (how often each comparison is in it), into `out` when given. */
  weights(b: number, out = new Uint32Array(this.n)): Uint32Array {
    const rng = rngFor(this.seed, 'edc-bootstrap', b);
    // ⌊u · k⌋ from 32 random bits: bias below k / 2³² (negligible for k ≪ 2³²)
    const draw = (k: number) => Math.floor((rng.nextUint32() / 4294967296) * k);
    out.fill(0);
    if (this.unit === 'identity') {
      const k = this.units;
      const copies = new Uint32Array(k);
      for (let j = 0; j < k; j++) copies[draw(k)]!++;
      const a = this.a!;
      const b2 = this.b!;
      for (let i = 0; i < this.n; i++) {
        const x = a[i]!;
        const y = b2[i]!;
        out[i] = x === y ? copies[x]! : copies[x]! * copies[y]!;
      }
      const g = this.groups!;
      this.totals.mated = this.totals.nonmated = 0;
      for (let j = 0; j < g.count.length; j++) {
        const x = g.a[j]!;
        const y = g.b[j]!;
        const w = g.count[j]! * (x === y ? copies[x]! : copies[x]! * copies[y]!);
        if (g.mated[j]) this.totals.mated += w;
        else this.totals.nonmated += w;
      }
    } else
      for (const idx of [this.matedIdx!, this.nonmatedIdx!]) {
        const k = idx.length;
        for (let j = 0; j < k; j++) out[idx[draw(k)]!]!++;
      }
    return out;
  }
}

/** Replicate values of one method, per discard limit (in `limits` order); NaN where undefined in a replicate. */
export interface MethodReplicates {
  method: string;
  pauc: Float64Array[];
  paucNorm: Float64Array[];
  /** The replicate curves at the method's band grid: `band[b · grid + j]` = replicate b at grid point j. */
  band: Float64Array;
  bandGrid: Float64Array;
}

export interface BootstrapRun {
  unit: BootstrapUnit;
  units: number;
  replicates: number;
  seed: number | string;
  level: number;
  limits: number[];
  methods: MethodReplicates[];
}

function sameArray(x: ArrayLike<number> | undefined, y: ArrayLike<number> | undefined): boolean {
  if (x === y) return true;
  if (!x || !y || x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Whether two sets hold the same comparisons (so one resample applies to both, and their replicates pair up). */
export function sameComparisons(x: ComparisonSet, y: ComparisonSet): boolean {
  return sameArray(x.similarity, y.similarity) && sameArray(x.mated, y.mated) && sameArray(x.identityA, y.identityA) && sameArray(x.identityB, y.identityB);
}

/**
 * Bootstrap replicates of every prepared method on the same comparisons (the same resample for all of them, so
 * differences between methods are paired). Cost: replicates × methods × one evaluation on sorted data.
 */
export function bootstrapEdc(prepared: readonly PreparedEdc[], options: BootstrapOptions = {}): BootstrapRun {
  const replicates = options.replicates ?? DEFAULT_BOOTSTRAP_REPLICATES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const level = options.level ?? DEFAULT_BOOTSTRAP_LEVEL;
  if (!Number.isInteger(replicates) || replicates < 1) throw new AikdError(`bootstrap: expected a whole number of replicates >= 1 (got ${replicates})`);
  if (!(level > 0 && level < 1)) throw new AikdError(`bootstrap: expected a level in (0, 1) (got ${level})`);
  if (!prepared.length) throw new AikdError('bootstrap: no methods');
  const first = prepared[0]!;
  for (const p of prepared.slice(1)) {
    if (!sameComparisons(first.set, p.set)) throw new AikdError(`bootstrap: methods "${first.method}" and "${p.method}" are not on the same comparisons; bootstrap them separately`);
    if (p.limits.join() !== first.limits.join()) throw new AikdError('bootstrap: methods with different discard limits');
  }
  const resampler = new Resampler(first.set, seed);
  const limits = [...first.limits];
  const methods: MethodReplicates[] = prepared.map((p) => ({
    method: p.method,
    pauc: limits.map(() => new Float64Array(replicates)),
    paucNorm: limits.map(() => new Float64Array(replicates)),
    band: new Float64Array(replicates * p.bandGrid.length).fill(NaN),
    bandGrid: p.bandGrid,
  }));
  const w = new Uint32Array(first.set.mated.length);
  for (let b = 0; b < replicates; b++) {
    resampler.weights(b, w);
    prepared.forEach((p, k) => {
      let e;
      try {
        e = p.evaluate(w, resampler.totals);
      } catch {
        e = undefined; // a resample without a needed comparison type: this replicate is undefined for the method
      }
      const mr = methods[k]!;
      for (let l = 0; l < limits.length; l++) {
        mr.pauc[l]![b] = e ? e.pauc[l]! : NaN;
        mr.paucNorm[l]![b] = e ? e.paucNorm[l]! : NaN;
      }
      const g = mr.bandGrid.length;
      if (e) curveAt(e.points, p.mode === 'iso' ? 'step' : 'trapezoid', mr.bandGrid, mr.band.subarray(b * g, (b + 1) * g));
    });
  }
  return { unit: resampler.unit, units: resampler.units, replicates, seed, level, limits, methods };
}

/** Share of replicates that must be defined for an interval to be given. */
export const MIN_DEFINED_SHARE = 0.9;

/**
 * The percentile interval [q(α/2), q(1 − α/2)] (numpy-linear quantiles) of the defined replicate values; null when
 * fewer than MIN_DEFINED_SHARE of them are defined.
 */
export function percentileInterval(values: ArrayLike<number>, level = DEFAULT_BOOTSTRAP_LEVEL): [number, number] | null {
  const ok = Float64Array.from(Array.from(values).filter((x) => Number.isFinite(x)));
  if (!values.length || ok.length < MIN_DEFINED_SHARE * values.length) return null;
  const alpha = 1 - level;
  return [quantileLinear(ok, alpha / 2), quantileLinear(ok, 1 - alpha / 2)];
}

/** The intervals of method `index` of a bootstrap run. */
export function intervalsOf(run: BootstrapRun, index: number): EdcIntervals {
  const m = run.methods[index]!;
  const pauc: EdcIntervals['pauc'] = {};
  const paucNorm: EdcIntervals['paucNorm'] = {};
  const valid: EdcIntervals['valid'] = {};
  const samples: EdcIntervals['samples'] = { pauc: {}, paucNorm: {} };
  run.limits.forEach((l, k) => {
    const key = limitKey(l);
    pauc[key] = percentileInterval(m.pauc[k]!, run.level);
    paucNorm[key] = percentileInterval(m.paucNorm[k]!, run.level);
    valid[key] = m.paucNorm[k]!.reduce((c, x) => c + (Number.isFinite(x) ? 1 : 0), 0);
    samples.pauc[key] = m.pauc[k]!;
    samples.paucNorm[key] = m.paucNorm[k]!;
  });
  // the band: a percentile interval of the curve at each grid point
  const g = m.bandGrid.length;
  const lo = new Float64Array(g);
  const hi = new Float64Array(g);
  const column = new Float64Array(run.replicates);
  for (let j = 0; j < g; j++) {
    for (let b = 0; b < run.replicates; b++) column[b] = m.band[b * g + j]!;
    const ci = percentileInterval(column, run.level);
    lo[j] = ci ? ci[0] : NaN;
    hi[j] = ci ? ci[1] : NaN;
  }
  return { unit: run.unit, replicates: run.replicates, seed: run.seed, level: run.level, units: run.units, pauc, paucNorm, valid, samples, band: { discardFraction: Float64Array.from(m.bandGrid), lo, hi } };
}

/** The results with their intervals attached (results[i] belongs to run.methods[i]). */
export function withIntervals(results: readonly EdcResult[], run: BootstrapRun): EdcResult[] {
  return results.map((r, i) => {
    const intervals = intervalsOf(run, i);
    const notes = [...r.notes, bootstrapNote(intervals)];
    const warnings = [...r.warnings];
    for (const [k, v] of Object.entries(intervals.paucNorm))
      if (v === null && r.paucNorm[k] !== null) warnings.push(`method "${r.method}": pAUC_norm@${k} was undefined in ${run.replicates - intervals.valid[k]!} of ${run.replicates} bootstrap replicates: no interval`);
    return { ...r, intervals, notes, warnings };
  });
}

/** One line saying how the intervals were made. */
export function bootstrapNote(i: Pick<EdcIntervals, 'unit' | 'replicates' | 'seed' | 'level' | 'units'>): string {
  return i.unit === 'identity'
    ? `${Math.round(i.level * 100)}% intervals: identity-cluster bootstrap, ${i.replicates} replicates (seed ${i.seed}) over ${i.units} identities; pairs between two identities kept m_a*m_b times`
    : `${Math.round(i.level * 100)}% intervals: pair-level bootstrap (identities unknown: too narrow where identities have several comparisons), ${i.replicates} replicates (seed ${i.seed}) over ${i.units} comparisons, mated and non-mated resampled separately`;
}
