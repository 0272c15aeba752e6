/**
 * `aikd report`: the paper-style table of an experiment from the results catalogue (edc's `paucTables`: per test
 * condition, rows FR model × method, columns datasets + mean pAUC_norm, each with its bootstrap interval and an
 * honest rank), the agreement of FR models on the ranking of methods (Kendall τ-b), and with `comparePaper` the
 * published table: first checked (identical rows, implausible values, printed means), then ours − paper with our
 * interval. The paper checks need no results of ours, so they run for an experiment that has not run here.
 */
import { AikdError, log, markdownTable, resolveFromRoot } from '@aikd/core';
import { TEACHER_BESIDE_STUDENT_ORDER, type AlignmentStabilityRow, type Catalogue, type Row } from '@aikd/results';
import {
  agreementAcrossFrModels,
  checkPaperReference,
  formatRank,
  paucTables,
  readPaperReference,
  PAPER_PAUC_CSV,
  type Agreement,
  type PaperIssue,
  type PaucCell,
  type PaucEntry,
  type PaucTable,
} from '@aikd/edc';

export interface ReportOptions {
  mode?: string;
  fmr?: number;
  discardLimit?: number;
  comparePaper?: boolean;
  /** Only these conditions. */
  conditions?: string[];
}

/** How the intervals were made (from the results), or null without any. */
export interface ReportBootstrap {
  unit: string;
  replicates: number;
  seed: string;
  level: number;
}

export interface Report {
  /** The experiment's id, or null when it has no results here (the paper checks still run). */
  experiment: string | null;
  name: string;
  mode: string | null;
  fmr: number | null;
  discard_limit: number | null;
  bootstrap: ReportBootstrap | null;
  tables: PaucTable[];
  agreement: Agreement[];
  /**
   * Alignment stability at the report's EDC setting (experiments with a proper and a misaligned condition): each
   * teacher followed by its students.
   */
  stability: AlignmentStabilityRow[];
  /** With --compare-paper: the published table's problems. */
  paper_checks?: PaperIssue[];
  /** The published table compared with (path), with --compare-paper. */
  paper?: string;
  notes: string[];
}
export type ReportTable = PaucTable;

/**
 * Find an experiment run: by id, or the newest experiment of that name. When several runs have the name (the grid
 * changed between runs), `note` says which was used, what the others are, and how to choose one (also logged).
 */
export async function findExperiment(cat: Catalogue, ref: string): Promise<{ id: string; name: string; note?: string } | undefined> {
  const rows = await cat.query(`select id, name, status, started_at from runs where kind = 'experiment' and (id = $1 or name = $1) order by (id = $1) desc, started_at desc`, [ref]);
  if (!rows.length) return undefined;
  const [chosen, ...others] = rows;
  const id = String(chosen!.id);
  if (id === ref || !others.length) return { id, name: String(chosen!.name) };
  const desc = (r: (typeof rows)[number]) => `${r.id} (${r.status}, started ${r.started_at})`;
  const note = `${rows.length} experiment runs are named "${ref}"; using the newest, ${desc(chosen!)}. Others: ${others.map(desc).join('; ')}. To use another, give its id (e.g. aikd report ${others[0]!.id}) or the experiment's YAML file.`;
  log.warn(note);
  return { id, name: String(chosen!.name), note };
}

/** `findExperiment`, or an error naming what was looked for. */
export async function requireExperiment(cat: Catalogue, ref: string): Promise<{ id: string; name: string }> {
  const e = await findExperiment(cat, ref);
  if (!e) throw new AikdError(`no experiment "${ref}" in ${cat.root} (give an experiment id, a name, or the YAML file; see \`aikd runs --kind experiment\`)`);
  return e;
}

type Entry = PaucEntry & { bootstrap: ReportBootstrap | null };

/** The curves' pAUC_norm at one setting, with their intervals and replicates. */
async function entries(cat: Catalogue, expId: string, mode: string, fmr: number, limit: number): Promise<Entry[]> {
  const rows = await cat.query(
    `select s.condition, s.fr_model, s.method, s.dataset, s.pauc_norm, s.pauc_norm_lo, s.pauc_norm_hi, s.bootstrap_unit, s.bootstrap_replicates, s.bootstrap_seed, s.bootstrap_level, s.run_id
     from edc_summary s join runs r on r.id = s.run_id
     where r.parent = $1 and s.error_type = 'fnmr' and s.operating_point = 'fmr' and s.mode = $2 and s.operating_value = $3 and s.discard_limit = $4`,
    [expId, mode, fmr, limit],
  );
  const replicates = new Map<string, (number | null)[]>();
  if (cat.has('edc_bootstrap')) {
    const reps = await cat.query(
      `select b.run_id, b.method, b.pauc_norm from edc_bootstrap b join runs r on r.id = b.run_id
       where r.parent = $1 and b.error_type = 'fnmr' and b.operating_point = 'fmr' and b.mode = $2 and b.operating_value = $3 and b.discard_limit = $4`,
      [expId, mode, fmr, limit],
    );
    for (const r of reps) replicates.set(`${r.run_id}\u0001${r.method}`, r.pauc_norm as (number | null)[]);
  }
  return rows.map((r: Row): Entry => ({
    condition: String(r.condition),
    fr_model: String(r.fr_model),
    method: String(r.method),
    dataset: String(r.dataset),
    pauc_norm: r.pauc_norm === null ? null : Number(r.pauc_norm),
    ci: r.pauc_norm_lo === null || r.pauc_norm_lo === undefined ? null : [Number(r.pauc_norm_lo), Number(r.pauc_norm_hi)],
    replicates: replicates.get(`${r.run_id}\u0001${r.method}`) ?? null,
    bootstrap: r.bootstrap_unit ? { unit: String(r.bootstrap_unit), replicates: Number(r.bootstrap_replicates), seed: String(r.bootstrap_seed), level: Number(r.bootstrap_level) } : null,
  }));
}

export async function buildReport(cat: Catalogue, experimentRef: string, opts: ReportOptions = {}): Promise<Report> {
  const exp = await findExperiment(cat, experimentRef);
  const paperFile = resolveFromRoot(PAPER_PAUC_CSV);
  // the published table: its order always (methods in the paper's order), its values with --compare-paper
  const reference = readPaperReference(paperFile);
  const paper = opts.comparePaper ? reference : undefined;
  const notes: string[] = exp?.note ? [exp.note] : [];
  const base = (e: { id: string; name: string } | undefined): Report => ({
    experiment: e?.id ?? null,
    name: e?.name ?? experimentRef,
    mode: null,
    fmr: null,
    discard_limit: null,
    bootstrap: null,
    tables: [],
    agreement: [],
    stability: [],
    ...(paper ? { paper_checks: checkPaperReference(paper), paper: PAPER_PAUC_CSV } : {}),
    notes,
  });
  // without results of ours the published table can still be checked
  const settings =
    exp && cat.has('edc_summary')
      ? await cat.query(
          `select s.mode, s.operating_value as fmr, s.discard_limit, count(*) as n from edc_summary s join runs r on r.id = s.run_id
           where r.parent = $1 and s.error_type = 'fnmr' and s.operating_point = 'fmr' group by all order by n desc, s.mode, fmr, s.discard_limit desc`,
          [exp.id],
        )
      : [];
  if (!settings.length) {
    const why = exp ? `experiment ${exp.id} has no EDC results yet (run it to the end, or \`aikd merge\` its shards)` : `no experiment "${experimentRef}" in ${cat.root}`;
    if (!paper) throw new AikdError(exp ? why : `${why} (give an experiment id, a name, or the YAML file; see \`aikd runs --kind experiment\`)`);
    notes.push(`${why}: only the published table's checks`);
    return base(exp);
  }
  const pick = <T>(want: T | undefined, key: string, dflt: (r: Row) => boolean): T => {
    if (want !== undefined) {
      if (!settings.some((r) => r[key] === want)) throw new AikdError(`experiment ${exp!.id} has no results for ${key} = ${want} (has ${[...new Set(settings.map((r) => r[key]))].join(', ')})`);
      return want;
    }
    return (settings.find(dflt) ?? settings[0]!)[key] as T;
  };
  const mode = String(pick(opts.mode, 'mode', (r) => r.mode === 'iso'));
  const fmr = Number(pick(opts.fmr, 'fmr', (r) => r.fmr === 1e-3));
  const limit = Number(pick(opts.discardLimit, 'discard_limit', (r) => r.discard_limit === 0.3));
  const all = (await entries(cat, exp!.id, mode, fmr, limit)).filter((e) => !opts.conditions || opts.conditions.includes(e.condition));
  const expRun = await cat.query(`select params from runs where id = $1`, [exp!.id]);
  const params = JSON.parse(String(expRun[0]?.params ?? '{}')) as { fr_models?: string[] };
  const order = { ...reference.order, fr_models: params.fr_models ?? reference.order.fr_models };
  // columns are the experiment's dataset keys (edc_summary.dataset): the paper's values apply to whole datasets (a key
  // that is a dataset's name), not to a split's test part (`lfw@test`) or a filtered subset (`lfw[…]`)
  const tables = paucTables(all, { paper, order });
  // the paper's values only where it has any for this table (the demo set has none)
  for (const t of tables)
    if (!t.rows.some((row) => Object.values(row.cells).some((c) => c.paper !== undefined && c.paper !== null)))
      for (const row of t.rows) for (const c of [...Object.values(row.cells), row.mean]) delete c.paper, delete c.vsPaper;
  const boots = [...new Map(all.map((e) => [JSON.stringify(e.bootstrap), e.bootstrap])).values()];
  if (boots.length > 1) notes.push('curves were evaluated with different bootstrap settings (or some without): intervals are not all alike');
  if (boots.some((b) => b?.unit === 'pair')) notes.push("some datasets have no identity labels: their intervals come from a pair-level bootstrap, too narrow where identities have several comparisons");
  if (tables.some((t) => t.ranking === 'point')) notes.push('no bootstrap replicates: ranks follow the point estimates alone (re-run the evaluation with --bootstrap N for honest ranks)');
  return {
    ...base(exp),
    mode,
    fmr,
    discard_limit: limit,
    bootstrap: boots.find((b) => b !== null) ?? null,
    tables,
    agreement: agreementAcrossFrModels(all, { order }),
    stability: await stabilityRows(cat, exp!.id, mode, fmr, limit, opts.conditions),
  };
}

/** The experiment's alignment-stability rows at one EDC setting (none when it was evaluated without them). */
async function stabilityRows(cat: Catalogue, expId: string, mode: string, fmr: number, limit: number, conditions?: string[]): Promise<AlignmentStabilityRow[]> {
  if (!cat.has('alignment_stability')) return [];
  const rows = await cat.query(
    `select a.* exclude (run_id) from alignment_stability a join runs r on r.id = a.run_id
     where r.parent = $1 and a.mode = $2 and a.fmr = $3 and a.discard_limit = $4
     order by a.dataset, a.condition, a.fr_model, ${TEACHER_BESIDE_STUDENT_ORDER}`,
    [expId, mode, fmr, limit],
  );
  return (rows as unknown as AlignmentStabilityRow[]).filter((r) => !conditions || conditions.includes(r.condition));
}

/** The stability section: per dataset × misaligned condition, the quality numbers per method, then Δ pAUC_norm per FR model. */
function stabilityText(rows: readonly AlignmentStabilityRow[], md: boolean, heading: (s: string) => string): string[] {
  const parts: string[] = [];
  const groups = [...new Set(rows.map((r) => `${r.dataset}\u0001${r.condition}`))];
  const name = (r: AlignmentStabilityRow) => (r.role === 'student' ? `${md ? '↳ ' : '  '}${r.method}` : r.method);
  for (const g of groups) {
    const [dataset, condition] = g.split('\u0001') as [string, string];
    const gr = rows.filter((r) => r.dataset === dataset && r.condition === condition);
    const first = new Map<string, AlignmentStabilityRow>();
    for (const r of gr) if (!first.has(r.method)) first.set(r.method, r);
    parts.push(
      heading(
        `Alignment stability — ${dataset}, ${condition} vs proper (x aligned, x̃ misaligned crop of the same image; t = the teacher for a student, the method itself otherwise; |Δq| in units of the teacher's quality std on aligned crops)`,
      ),
      ...grid(
        ['method', 'role', 'teacher', 'images', 'ρ(q(x̃), t(x))', 'ρ(q(x̃), q(x))', 'mean |Δq| / σ'],
        [...first.values()].map((r) => [name(r), r.role, r.teacher ?? '', String(r.images), num(r.spearman_teacher), num(r.spearman_self), `${num(r.mean_abs_shift)}${r.shift_scale === 'own σ' && r.role === 'student' ? ' (own σ)' : ''}`]),
        md,
        3,
      ),
    );
    parts.push(
      heading(`Δ pAUC_norm (${condition} − proper; > 0: misalignment hurts)`),
      ...grid(
        ['FR model', 'method', 'proper', condition, 'Δ', 'interval'],
        gr.map((r) => [r.fr_model, name(r), num(r.pauc_norm_proper), num(r.pauc_norm_misaligned), r.delta_pauc_norm === null ? '—' : signed(r.delta_pauc_norm), r.delta_lo === null ? '' : `[${signed(r.delta_lo)}, ${signed(r.delta_hi!)}]`]),
        md,
      ),
    );
  }
  return parts;
}

const num = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? '—' : x.toFixed(d));
const signed = (x: number, d = 3) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}`;
const interval = (ci: [number, number] | null | undefined, d = 3) => (ci ? `[${num(ci[0], d)}, ${num(ci[1], d)}]` : '');

function cellText(c: PaucCell, markdown: boolean): string {
  let s = num(c.ours);
  const rank = formatRank(c);
  if (markdown && rank === '1') s = `**${s}**`;
  return [s, interval(c.ci), rank].filter(Boolean).join(' ');
}

function vsPaperText(c: PaucCell): string {
  if (c.paper === undefined) return '';
  if (c.paper === null) return '—';
  if (!c.vsPaper) return `paper ${num(c.paper)}`;
  const v = c.vsPaper;
  return `${signed(v.diff)}${v.ci ? ` [${signed(v.ci[0])}, ${signed(v.ci[1])}]` : ''}${v.inside === null ? '' : v.inside ? ' ✓' : ' ✗'}`;
}

/** A table as text or markdown; the first `left` columns are left-aligned, the rest right-aligned. */
function grid(head: string[], body: string[][], markdown: boolean, left = 2): string[] {
  if (markdown) return markdownTable(head, body, left);
  const w = head.map((c, i) => Math.max(c.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((v, i) => (i < left ? v.padEnd(w[i]!) : v.padStart(w[i]!))).join('  ');
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...body.map(line)];
}

export function reportText(r: Report, format: 'text' | 'markdown' | 'csv' = 'text'): string {
  if (format === 'csv') {
    const lines = ['condition,fr_model,method,dataset,pauc_norm,ci_lo,ci_hi,rank,rank_shared,paper_pauc_norm,ours_minus_paper,diff_lo,diff_hi,paper_inside'];
    for (const t of r.tables)
      for (const row of t.rows)
        for (const d of [...t.datasets, 'mean']) {
          const c = d === 'mean' ? row.mean : row.cells[d]!;
          const v = c.vsPaper;
          lines.push(
            [t.condition, row.fr_model, row.method, d, c.ours ?? '', c.ci?.[0] ?? '', c.ci?.[1] ?? '', c.rank ?? '', c.rank === null ? '' : c.shared, c.paper ?? '', v?.diff ?? '', v?.ci?.[0] ?? '', v?.ci?.[1] ?? '', v?.inside ?? ''].join(','),
          );
        }
    return lines.join('\n') + '\n';
  }
  const md = format === 'markdown';
  const parts: string[] = [];
  const heading = (s: string) => (md ? `\n**${s}**\n` : `\n${s}`);
  if (r.paper_checks) {
    parts.push(md ? `### Checks of the published table (${r.paper})` : `Checks of the published table (${r.paper})`);
    if (!r.paper_checks.length) parts.push('no problems found: no rows identical across methods, every value plausible, every printed mean the mean of its row');
    const kinds: [PaperIssue['kind'], string][] = [
      ['identical_rows', 'rows identical across methods (do not treat them as independent targets)'],
      ['implausible_value', 'values outside the plausible range'],
      ['mean_mismatch', 'printed means that are not the mean of their row'],
    ];
    for (const [kind, title] of kinds) {
      const is = r.paper_checks.filter((i) => i.kind === kind);
      if (is.length) parts.push(`${md ? '- ' : '  '}${is.length} ${title}:`, ...is.map((i) => `${md ? '  - ' : '    '}${i.detail}`));
    }
  }
  for (const n of r.notes) parts.push(`${md ? '> ' : ''}note: ${n}`);
  if (!r.tables.length) return parts.join('\n') + '\n';

  const b = r.bootstrap;
  const head =
    `${r.name} (${r.experiment}) — pAUC_norm (lower is better), ${r.mode} EDC, FMR ${r.fmr}, discard limit ${r.discard_limit}; ` +
    (b
      ? `[lo, hi] = ${Math.round(b.level * 100)}% ${b.unit === 'identity' ? 'identity-cluster' : 'pair-level'} bootstrap interval (${b.replicates} replicates, seed ${b.seed}); ` +
        'rank = 1 + the methods of the FR model significantly better in that column (paired bootstrap, Holm over the column); "1=" = shared'
      : 'no intervals; rank by point estimate');
  parts.push(md ? `\n### ${head}` : `\n${head}`);
  for (const t of r.tables) {
    const cols = ['FR model', 'method', ...t.datasets, 'mean'];
    const body = t.rows.map((row) => [row.fr_model, row.method, ...t.datasets.map((d) => cellText(row.cells[d]!, md)), cellText(row.mean, md)]);
    parts.push(heading(`condition: ${t.condition}`), ...grid(cols, body, md));
    if (t.rows.some((row) => row.mean.paper !== undefined)) {
      const flagged = new Set((r.paper_checks ?? []).filter((i) => i.kind === 'identical_rows' && i.condition === t.condition).flatMap((i) => i.methods.map((m) => `${i.fr_model}\u0001${m}`)));
      const pb = t.rows.map((row) => [row.fr_model, row.method + (flagged.has(`${row.fr_model}\u0001${row.method}`) ? ' ‡' : ''), ...t.datasets.map((d) => vsPaperText(row.cells[d]!)), vsPaperText(row.mean)]);
      parts.push(
        heading(`condition: ${t.condition} — ours − paper [our interval − paper]; ✓ = the paper's value lies inside our interval, ✗ = outside${flagged.size ? '; ‡ = the paper\'s row is identical to another method\'s' : ''}`),
        ...grid(cols, pb, md),
      );
    }
  }
  if (r.agreement.length) {
    parts.push(heading('Agreement of the FR models on the ranking of methods (Kendall τ-b of pAUC_norm; 1 = same order, 0 = unrelated)'));
    const body = r.agreement.flatMap((a) => [
      ...a.pairs.map((p) => [a.condition, a.dataset, `${p.a} – ${p.b}`, num(p.tau, 2), interval(p.ci, 2)]),
      [a.condition, a.dataset, `mean of ${a.pairs.length} pair${a.pairs.length > 1 ? 's' : ''} (${a.methods.length} methods)`, num(a.mean.tau, 2), interval(a.mean.ci, 2)],
    ]);
    parts.push(...grid(['condition', 'dataset', 'FR models', 'τ-b', 'interval'], body, md));
  }
  parts.push(...stabilityText(r.stability ?? [], md, heading));
  return parts.join('\n') + '\n';
}
