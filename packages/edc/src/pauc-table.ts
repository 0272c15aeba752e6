/**
 * The paper-style pAUC table, built once for `aikd report` and the dashboard: per test condition, rows FR model ×
 * method, columns datasets + their mean; every cell with its bootstrap interval, an honest rank within its FR model
 * block and column (shared unless a difference is significant after Holm), and — given the published table — the
 * paper's value, ours − paper with our interval, and whether the paper's value lies inside it. Also the agreement of
 * FR models on the ranking of methods (Kendall τ-b).
 */
import { compareColumn, kendallTauB } from './compare.ts';
import { percentileInterval } from './bootstrap.ts';
import { DEFAULT_BOOTSTRAP_LEVEL } from './constants.ts';
import { inOrder, paperKey, PAPER_MEAN_ID, type PaperReference } from './paper.ts';

/** One curve's pAUC_norm at the table's setting. */
export interface PaucEntry {
  condition: string;
  fr_model: string;
  method: string;
  dataset: string;
  pauc_norm: number | null;
  /** Bootstrap interval (null without one). */
  ci: [number, number] | null;
  /** Bootstrap replicate values (NaN/null where undefined); replicate r of the methods of one cell share a resample. */
  replicates: ArrayLike<number | null> | null;
}

export interface VsPaper {
  /** ours − paper. */
  diff: number;
  /** Our interval minus the paper's value. */
  ci: [number, number] | null;
  /** The paper's value lies inside our interval (null without an interval). */
  inside: boolean | null;
}

export interface PaucCell {
  ours: number | null;
  ci: [number, number] | null;
  /** 1 + the methods of the FR model block significantly better in this column (null without a value). */
  rank: number | null;
  /** Another method has the same rank ("1="). */
  shared: boolean;
  /** The paper's value (present when a paper reference was given and applies). */
  paper?: number | null;
  vsPaper?: VsPaper | null;
}

export interface PaucRow {
  fr_model: string;
  method: string;
  cells: Record<string, PaucCell>;
  mean: PaucCell;
}

export interface PaucTable {
  condition: string;
  datasets: string[];
  rows: PaucRow[];
  /** `significance`: ranks from paired bootstrap tests (Holm); `point`: no replicates, ranks by the estimates alone. */
  ranking: 'significance' | 'point';
}

export interface PaucTableOptions {
  /** The published table; its values are attached where it has them. */
  paper?: PaperReference;
  /** Our dataset id → the paper's (e.g. lfw-bin → lfw). */
  paperDatasets?: Record<string, string>;
  level?: number;
  /** Preferred orders (then alphabetical). */
  order?: Partial<PaperReference['order']>;
}

/** Our dataset ids that the paper lists under another id. */
export const PAPER_DATASET_ALIASES: Readonly<Record<string, string>> = { 'lfw-bin': 'lfw' };

const toFloat = (r: ArrayLike<number | null>): Float64Array => Float64Array.from(Array.from(r, (x) => (x === null ? NaN : x)));

/** Ranks by point estimate only (lower is better; equal values share): for tables without replicates. */
function pointRanks(values: (number | null)[]): { rank: number | null; shared: boolean }[] {
  const ranks = values.map((v) => (v === null ? null : 1 + values.filter((w) => w !== null && w < v).length));
  return ranks.map((r) => ({ rank: r, shared: r !== null && ranks.filter((x) => x === r).length > 1 }));
}

function vsPaper(ours: number | null, ci: [number, number] | null, paper: number | null | undefined): VsPaper | null {
  if (ours === null || paper === null || paper === undefined) return null;
  return { diff: ours - paper, ci: ci ? [ci[0] - paper, ci[1] - paper] : null, inside: ci ? ci[0] <= paper && paper <= ci[1] : null };
}

export function paucTables(entries: readonly PaucEntry[], opts: PaucTableOptions = {}): PaucTable[] {
  const level = opts.level ?? DEFAULT_BOOTSTRAP_LEVEL;
  const paper = opts.paper;
  const aliases = opts.paperDatasets ?? PAPER_DATASET_ALIASES;
  const order = { ...paper?.order, ...opts.order };
  const byKey = new Map(entries.map((e) => [paperKey(e.condition, e.fr_model, e.method, e.dataset), e]));
  const conditions = inOrder(entries.map((e) => e.condition), order.conditions ?? []);
  return conditions.map((condition) => {
    const es = entries.filter((e) => e.condition === condition);
    const datasets = inOrder(es.map((e) => e.dataset), (order.datasets ?? []).flatMap((d) => [d, ...Object.keys(aliases).filter((k) => aliases[k] === d)]));
    const frModels = inOrder(es.map((e) => e.fr_model), order.fr_models ?? []);
    const rows: PaucRow[] = [];
    let anyReplicates = false;
    for (const fr of frModels) {
      const methods = inOrder(es.filter((e) => e.fr_model === fr).map((e) => e.method), order.methods ?? []);
      const paperOf = (m: string, d: string) => (paper ? paper.values.get(paperKey(condition, fr, m, aliases[d] ?? d)) ?? null : undefined);
      const block = methods.map((method) => {
        const got = datasets.map((d) => byKey.get(paperKey(condition, fr, method, d)));
        const values = got.map((e) => e?.pauc_norm ?? null);
        const reps = got.map((e) => (e?.replicates ? toFloat(e.replicates) : null));
        const cis = got.map((e) => e?.ci ?? null);
        const complete = values.every((v) => v !== null);
        const mean = complete ? (values as number[]).reduce((a, b) => a + b, 0) / values.length : null;
        // the mean's replicates: replicate r averaged over the datasets (their resamples are independent)
        let meanReps: Float64Array | null = null;
        if (complete && reps.every((r) => r !== null) && reps.length) {
          const len = reps[0]!.length;
          if (reps.every((r) => r!.length === len)) meanReps = Float64Array.from({ length: len }, (_, r) => reps.reduce((s, x) => s + x![r]!, 0) / reps.length);
        }
        const meanCi = meanReps ? percentileInterval(meanReps, level) : datasets.length === 1 ? cis[0]! : null;
        const paperValues = datasets.map((d) => paperOf(method, d));
        // the paper's mean is over the datasets shown (its printed mean when all six are)
        const printed = paper?.means.get(paperKey(condition, fr, method, PAPER_MEAN_ID));
        const paperMean = paper === undefined ? undefined : paperValues.every((v) => v !== null && v !== undefined) && paperValues.length ? (printed !== undefined && paperValues.length === paper.order.datasets.length ? printed : (paperValues as number[]).reduce((a, b) => a + b, 0) / paperValues.length) : null;
        return { method, values, reps, cis, mean, meanReps, meanCi, paperValues, paperMean };
      });
      const columns = [...datasets.map((_, j) => ({ values: block.map((b) => b.values[j]!), reps: block.map((b) => b.reps[j]!) })), { values: block.map((b) => b.mean), reps: block.map((b) => b.meanReps) }];
      const ranks = columns.map((c) => {
        if (c.reps.some((r) => r !== null)) {
          anyReplicates = true;
          return compareColumn(c.values, c.reps, level).ranks;
        }
        return pointRanks(c.values);
      });
      block.forEach((b, i) => {
        const cell = (j: number, ours: number | null, ci: [number, number] | null, p: number | null | undefined): PaucCell => ({
          ours,
          ci,
          rank: ranks[j]![i]!.rank,
          shared: ranks[j]![i]!.shared,
          ...(paper ? { paper: p ?? null, vsPaper: vsPaper(ours, ci, p) } : {}),
        });
        rows.push({
          fr_model: fr,
          method: b.method,
          cells: Object.fromEntries(datasets.map((d, j) => [d, cell(j, b.values[j]!, b.cis[j]!, b.paperValues[j])])),
          mean: cell(datasets.length, b.mean, b.meanCi, b.paperMean),
        });
      });
    }
    return { condition, datasets, rows, ranking: anyReplicates ? 'significance' : 'point' };
  });
}

export interface AgreementPair {
  a: string;
  b: string;
  /** Kendall τ-b of the two FR models' pAUC_norm over the methods both have. */
  tau: number;
  ci: [number, number] | null;
}

export interface Agreement {
  condition: string;
  dataset: string;
  methods: string[];
  pairs: AgreementPair[];
  /** Mean τ-b over the pairs, with the interval of that mean over the bootstrap replicates. */
  mean: { tau: number; ci: [number, number] | null };
}

/**
 * How much the FR models agree on which FIQA method is better: per condition × dataset, Kendall τ-b between the
 * pAUC_norm of the methods all FR models have, for every pair of FR models, and their mean. Intervals from the
 * replicates (replicate r of every FR model of one dataset and condition comes from the same resample of the
 * protocol's identities) when every entry has them. Needs 3+ common methods.
 */
export function agreementAcrossFrModels(entries: readonly PaucEntry[], opts: { level?: number; order?: Partial<PaperReference['order']> } = {}): Agreement[] {
  const level = opts.level ?? DEFAULT_BOOTSTRAP_LEVEL;
  const out: Agreement[] = [];
  const conditions = inOrder(entries.map((e) => e.condition), opts.order?.conditions ?? []);
  for (const condition of conditions) {
    const datasets = inOrder(entries.filter((e) => e.condition === condition).map((e) => e.dataset), opts.order?.datasets ?? []);
    for (const dataset of datasets) {
      const es = entries.filter((e) => e.condition === condition && e.dataset === dataset && e.pauc_norm !== null);
      const frs = inOrder(es.map((e) => e.fr_model), opts.order?.fr_models ?? []);
      if (frs.length < 2) continue;
      const methods = inOrder(es.map((e) => e.method), opts.order?.methods ?? []).filter((m) => frs.every((fr) => es.some((e) => e.fr_model === fr && e.method === m)));
      if (methods.length < 3) continue;
      const get = (fr: string, m: string) => es.find((e) => e.fr_model === fr && e.method === m)!;
      const reps = frs.map((fr) => methods.map((m) => get(fr, m).replicates));
      const replicates = reps.every((r) => r.every((x) => x !== null)) ? Math.min(...reps.flatMap((r) => r.map((x) => x!.length))) : 0;
      const pairs: AgreementPair[] = [];
      const pairReps: Float64Array[] = [];
      for (let i = 0; i < frs.length; i++)
        for (let j = i + 1; j < frs.length; j++) {
          const tau = kendallTauB(methods.map((m) => get(frs[i]!, m).pauc_norm!), methods.map((m) => get(frs[j]!, m).pauc_norm!));
          let ci: [number, number] | null = null;
          if (replicates) {
            const taus = Float64Array.from({ length: replicates }, (_, r) => {
              const x = reps[i]!.map((v) => v![r] ?? NaN);
              const y = reps[j]!.map((v) => v![r] ?? NaN);
              return x.every(Number.isFinite) && y.every(Number.isFinite) ? kendallTauB(x as number[], y as number[]) : NaN;
            });
            pairReps.push(taus);
            ci = percentileInterval(taus, level);
          }
          pairs.push({ a: frs[i]!, b: frs[j]!, tau, ci });
        }
      const meanTau = pairs.reduce((s, p) => s + p.tau, 0) / pairs.length;
      const meanReps = replicates ? Float64Array.from({ length: replicates }, (_, r) => pairReps.reduce((s, x) => s + x[r]!, 0) / pairReps.length) : null;
      out.push({ condition, dataset, methods, pairs, mean: { tau: meanTau, ci: meanReps ? percentileInterval(meanReps, level) : null } });
    }
  }
  return out;
}

/** A cell as text: value, honest rank mark, interval; e.g. `0.812¹⁼ [0.781, 0.846]`. */
export function formatRank(c: Pick<PaucCell, 'rank' | 'shared'>): string {
  return c.rank === null ? '' : `${c.rank}${c.shared ? '=' : ''}`;
}
