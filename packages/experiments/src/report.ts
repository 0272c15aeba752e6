/**
 * The paper-style table from the results catalogue: for each test condition, rows FR model × method, columns
 * datasets + the mean pAUC_norm, the best / second / third method of each FR model block marked per column,
 * and — with `comparePaper` — the paper's published value beside ours where it has one.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AikdError, log, workspaceRoot } from '@aikd/core';
import type { Catalogue } from '@aikd/results';

export interface ReportOptions {
  mode?: string;
  fmr?: number;
  discardLimit?: number;
  comparePaper?: boolean;
  /** Only these conditions. */
  conditions?: string[];
}

export interface ReportCell {
  ours: number | null;
  paper?: number | null;
  /** 1, 2 or 3 within its FR model block and column (lower pAUC is better). */
  rank?: number;
}

export interface ReportTable {
  condition: string;
  datasets: string[];
  rows: { fr_model: string; method: string; cells: Record<string, ReportCell>; mean: ReportCell }[];
}

export interface Report {
  experiment: string;
  name: string;
  mode: string;
  fmr: number;
  discard_limit: number;
  tables: ReportTable[];
  /** Which of several experiment runs of that name was used, and how to choose another. */
  note?: string;
}

interface PaperRow {
  condition_id: string;
  fr_model_id: string;
  method_id: string;
  dataset_id: string;
  pauc_norm: number;
}

export function paperReference(): PaperRow[] {
  const file = join(workspaceRoot, 'experiments', 'reference', 'paper-pauc.csv');
  if (!existsSync(file)) return [];
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const cols = header!.split(',');
  return lines.map((l) => {
    const v = l.split(',');
    const o = Object.fromEntries(cols.map((c, i) => [c, v[i]]));
    return { ...(o as unknown as PaperRow), pauc_norm: Number(o.pauc_norm) };
  });
}

/**
 * Find an experiment run: by id, or the newest experiment of that name. When several runs have the name (the grid
 * changed between runs), `note` says which was used, what the others are, and how to choose one.
 */
export async function findExperiment(cat: Catalogue, ref: string): Promise<{ id: string; name: string; note?: string }> {
  const rows = await cat.query(`select id, name, status, started_at from runs where kind = 'experiment' and (id = $1 or name = $1) order by (id = $1) desc, started_at desc`, [ref]);
  if (!rows.length) throw new AikdError(`no experiment "${ref}" in ${cat.root} (give an experiment id, a name, or the YAML file; see \`aikd runs --kind experiment\`)`);
  const [chosen, ...others] = rows;
  const id = String(chosen!.id);
  if (id === ref || !others.length) return { id, name: String(chosen!.name) };
  const desc = (r: (typeof rows)[number]) => `${r.id} (${r.status}, started ${r.started_at})`;
  const note = `${rows.length} experiment runs are named "${ref}"; using the newest, ${desc(chosen!)}. Others: ${others.map(desc).join('; ')}. To use another, give its id (e.g. aikd report ${others[0]!.id}) or the experiment's YAML file.`;
  log.warn(note);
  return { id, name: String(chosen!.name), note };
}

function rankBlock(values: (number | null)[]): (number | undefined)[] {
  const order = values.map((v, i) => ({ v, i })).filter((x) => x.v !== null && Number.isFinite(x.v)).sort((a, b) => a.v! - b.v!);
  const ranks: (number | undefined)[] = values.map(() => undefined);
  // equal values share a rank
  let rank = 0, prev: number | null = null;
  order.forEach((x, k) => {
    if (x.v !== prev) rank = k + 1;
    prev = x.v;
    if (rank <= 3) ranks[x.i] = rank;
  });
  return ranks;
}

export async function buildReport(cat: Catalogue, experimentRef: string, opts: ReportOptions = {}): Promise<Report> {
  const exp = await findExperiment(cat, experimentRef);
  if (!cat.has('edc_summary')) throw new AikdError(`experiment ${exp.id} has no EDC results yet (run it to the end, or \`aikd merge\` its shards)`);
  const settings = await cat.query(
    `select s.mode, s.operating_value as fmr, s.discard_limit, count(*) as n from edc_summary s join runs r on r.id = s.run_id
     where r.parent = $1 and s.error_type = 'fnmr' and s.operating_point = 'fmr' group by all order by n desc, s.mode, fmr, s.discard_limit desc`,
    [exp.id],
  );
  if (!settings.length) throw new AikdError(`experiment ${exp.id} has no EDC results yet`);
  const pick = <T>(want: T | undefined, key: string, dflt: (r: (typeof settings)[number]) => boolean): T => {
    if (want !== undefined) {
      if (!settings.some((r) => r[key] === want)) throw new AikdError(`experiment ${exp.id} has no results for ${key} = ${want} (has ${[...new Set(settings.map((r) => r[key]))].join(', ')})`);
      return want;
    }
    return (settings.find(dflt) ?? settings[0]!)[key] as T;
  };
  const mode = pick(opts.mode, 'mode', (r) => r.mode === 'iso');
  const fmr = pick(opts.fmr, 'fmr', (r) => r.fmr === 1e-3);
  const limit = pick(opts.discardLimit, 'discard_limit', (r) => r.discard_limit === 0.3);
  const rows = await cat.query(
    `select s.condition, s.fr_model, s.method, s.dataset, s.pauc_norm from edc_summary s join runs r on r.id = s.run_id
     where r.parent = $1 and s.error_type = 'fnmr' and s.operating_point = 'fmr' and s.mode = $2 and s.operating_value = $3 and s.discard_limit = $4`,
    [exp.id, mode, fmr, limit],
  );
  const expRun = await cat.query(`select params from runs where id = $1`, [exp.id]);
  const params = JSON.parse(String(expRun[0]?.params ?? '{}')) as { fr_models?: string[]; datasets?: unknown[]; conditions?: unknown[] };
  const order = (xs: string[], pref: string[] = []) => [...new Set([...pref.filter((p) => xs.includes(p)), ...xs.sort()])];
  const paper = opts.comparePaper ? paperReference() : [];
  const conditions = order([...new Set(rows.map((r) => String(r.condition)))], ['proper', 'landmark-jitter']).filter((c) => !opts.conditions || opts.conditions.includes(c));
  const tables: ReportTable[] = conditions.map((condition) => {
    const rs = rows.filter((r) => r.condition === condition);
    const datasets = order([...new Set(rs.map((r) => String(r.dataset)))], ['adience', 'lfw', 'cplfw', 'cfp-fp', 'calfw', 'xqlfw']);
    const frs = order([...new Set(rs.map((r) => String(r.fr_model)))], params.fr_models ?? []);
    const out: ReportTable['rows'] = [];
    for (const fr of frs) {
      const methods = [...new Set(rs.filter((r) => r.fr_model === fr).map((r) => String(r.method)))];
      const block = methods.map((method) => {
        const cells: Record<string, ReportCell> = {};
        for (const d of datasets) {
          const r = rs.find((x) => x.fr_model === fr && x.method === method && x.dataset === d);
          // columns are the experiment's dataset keys: the paper's values are for whole datasets (a key that is a
          // dataset's name), not for a split's test part (`lfw@test`) or a filtered subset (`lfw[…]`)
          const p = paper.find((x) => x.condition_id === condition && x.fr_model_id === fr && x.method_id === method && (x.dataset_id === d || (x.dataset_id === 'lfw' && d === 'lfw-bin')));
          cells[d] = { ours: r?.pauc_norm === undefined || r.pauc_norm === null ? null : Number(r.pauc_norm), ...(opts.comparePaper ? { paper: p?.pauc_norm ?? null } : {}) };
        }
        const vals = datasets.map((d) => cells[d]!.ours);
        const mean = vals.every((v) => v !== null) ? vals.reduce((a, b) => a! + b!, 0)! / vals.length : null;
        const pvals = datasets.map((d) => cells[d]!.paper ?? null);
        const pmean = opts.comparePaper && pvals.every((v) => v !== null) ? pvals.reduce((a, b) => a! + b!, 0)! / pvals.length : null;
        const meanCell: ReportCell = { ours: mean, ...(opts.comparePaper ? { paper: pmean } : {}) };
        return { fr_model: fr, method, cells, mean: meanCell };
      });
      for (const d of [...datasets, '__mean'])
        rankBlock(block.map((b) => (d === '__mean' ? b.mean.ours : b.cells[d]!.ours))).forEach((rank, i) => {
          if (rank) (d === '__mean' ? block[i]!.mean : block[i]!.cells[d]!).rank = rank;
        });
      out.push(...block.sort((a, b) => a.method.localeCompare(b.method)));
    }
    // the paper's values only where it has any for this table (the demo set has none)
    if (!out.some((row) => Object.values(row.cells).some((c) => c.paper !== undefined && c.paper !== null)))
      for (const row of out) for (const c of [...Object.values(row.cells), row.mean]) delete c.paper;
    return { condition, datasets, rows: out };
  });
  return { experiment: exp.id, name: exp.name, mode: String(mode), fmr: Number(fmr), discard_limit: Number(limit), tables, ...(exp.note ? { note: exp.note } : {}) };
}

const num = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));
const MARK = ['', '¹', '²', '³'];

export function reportText(r: Report, format: 'text' | 'markdown' | 'csv' = 'text'): string {
  if (format === 'csv') {
    const lines = ['condition,fr_model,method,dataset,pauc_norm,rank,paper_pauc_norm'];
    for (const t of r.tables)
      for (const row of t.rows)
        for (const d of [...t.datasets, 'mean']) {
          const c = d === 'mean' ? row.mean : row.cells[d]!;
          lines.push([t.condition, row.fr_model, row.method, d, c.ours ?? '', c.rank ?? '', c.paper ?? ''].join(','));
        }
    return lines.join('\n') + '\n';
  }
  const head = `${r.name} (${r.experiment}) — pAUC_norm (lower is better), ${r.mode} EDC, FMR ${r.fmr}, discard limit ${r.discard_limit}; ¹²³ = best three per FR model and column`;
  const parts = [format === 'markdown' ? `### ${head}` : head, ...(r.note ? [r.note] : [])];
  for (const t of r.tables) {
    const cols = ['FR model', 'method', ...t.datasets, 'mean'];
    const cell = (c: ReportCell) => {
      let s = num(c.ours);
      if (format === 'markdown' && c.rank === 1) s = `**${s}**`;
      s += MARK[c.rank ?? 0];
      if (c.paper !== undefined) s += ` (${num(c.paper)})`;
      return s;
    };
    const body = t.rows.map((row) => [row.fr_model, row.method, ...t.datasets.map((d) => cell(row.cells[d]!)), cell(row.mean)]);
    const title = `condition: ${t.condition}${t.rows.some((x) => x.mean.paper !== undefined) ? '  (paper values in parentheses)' : ''}`;
    if (format === 'markdown') {
      parts.push(`\n**${title}**\n`, `| ${cols.join(' | ')} |`, `|${cols.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`));
    } else {
      const w = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i]!.length)));
      parts.push('', title, cols.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '), w.map((x) => '-'.repeat(x)).join('  '));
      for (const b of body) parts.push(b.map((v, i) => (i < 2 ? v.padEnd(w[i]!) : v.padStart(w[i]!))).join('  '));
    }
  }
  return parts.join('\n') + '\n';
}
