/**
 * Score files from other tools, read into (key, score) entries:
 *   csv      `path score` per line (the FIQA repos' format), whitespace- or comma-separated, optional header,
 *            `#` comments; with a header, columns are chosen by name (`--column`, `--id-column`)
 *   ofiq     OFIQ's `;`-separated CSV: `Filename;<measures…>;<measure>.scalar…` — default column
 *            `UnifiedQualityScore.scalar`; a scalar of −1 (FailureToAssess) becomes NaN
 *   pickle   a pickled `{path: score}` dict (AI-KD's inference output, FaceQAN's results.pkl)
 *   arrow / parquet   a table with an image-id column and a quality column
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type * as arrow from 'apache-arrow';
import { InputError, checkUniqueColumns, parseCsv } from '@aikd/core';
import { readParquetTable, readResultTable } from '@aikd/results';
import { readPickledScores } from './pickled-scores.ts';

export const SCORE_FILE_FORMATS = ['csv', 'ofiq', 'pickle', 'arrow', 'parquet'] as const;
export type ScoreFileFormat = (typeof SCORE_FILE_FORMATS)[number];

export interface ScoreEntry {
  key: string;
  score: number;
  /** Where it was read (line or row), for messages. */
  where: string;
}

export interface ReadScoresOptions {
  format?: ScoreFileFormat;
  /** Quality column (tables and CSVs with a header; OFIQ measure column). */
  column?: string;
  /** Image-id column (tables and CSVs with a header). */
  idColumn?: string;
}

export interface ScoreFile {
  file: string;
  format: ScoreFileFormat;
  idColumn?: string;
  column?: string;
  entries: ScoreEntry[];
  /** Entries whose score is NaN (OFIQ FailureToAssess, `nan` in a CSV, nulls in a table). */
  failed: number;
}

const ID_COLUMNS = ['image_id', 'path', 'image_path', 'image', 'file', 'filename', 'img', 'name'];
const SCORE_COLUMNS = ['quality', 'score', 'quality_score', 'q', 'qs'];
export const OFIQ_DEFAULT_COLUMN = 'UnifiedQualityScore.scalar';

/** A number cell: decimal/exponent numbers, and nan / inf spelled as Python and numpy write them. */
function parseNumber(s: string): number | undefined {
  const t = s.trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if (/^[-+]?nan$/i.test(t)) return NaN;
  if (/^[-+]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/** NUL bytes or invalid UTF-8 in the first 4 KiB. */
function looksBinary(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 4096);
  if (head.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
    return false;
  } catch {
    return true;
  }
}

/** The format from the file's first bytes, else its extension, else `csv`. */
export function detectFormat(path: string, head: Uint8Array): ScoreFileFormat {
  const ascii = new TextDecoder('latin1').decode(head.subarray(0, 8));
  if (head[0] === 0x80) return 'pickle';
  if (ascii.startsWith('ARROW1') || (head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff)) return 'arrow';
  if (ascii.startsWith('PAR1')) return 'parquet';
  const ext = extname(path).toLowerCase();
  if (ext === '.pkl' || ext === '.pickle') return 'pickle';
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return 'arrow';
  if (ext === '.parquet') return 'parquet';
  const firstLine = new TextDecoder('utf-8').decode(head).split(/\r?\n/).find((l) => l.trim() && !l.startsWith('#')) ?? '';
  if (/^\s*"?filename"?\s*;/i.test(firstLine)) return 'ofiq';
  return 'csv';
}

export function readScoreFile(file: string, opts: ReadScoresOptions = {}): ScoreFile {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new InputError({ file, expected: 'a readable score file', got: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
  }
  const format = opts.format ?? detectFormat(file, bytes.subarray(0, 4096));
  if ((format === 'csv' || format === 'ofiq') && looksBinary(bytes))
    throw new InputError({ file, expected: format === 'ofiq' ? 'an OFIQ ;-separated score file' : 'a text score file', got: `binary data (detected format: ${detectFormat(file, bytes.subarray(0, 4096))})` });
  let r: Omit<ScoreFile, 'file' | 'format' | 'failed'>;
  switch (format) {
    case 'pickle':
      if (opts.column || opts.idColumn) throw new InputError({ file, expected: 'no --column/--id-column for a pickled {path: score} dict' });
      r = { entries: readPickledScores(file) };
      break;
    case 'ofiq':
      r = readDelimited(file, new TextDecoder().decode(bytes), ';', { ...opts, column: opts.column ?? OFIQ_DEFAULT_COLUMN, header: true, ofiq: true });
      break;
    case 'csv':
      r = readCsvScores(file, new TextDecoder().decode(bytes), opts);
      break;
    case 'arrow':
    case 'parquet':
      r = readTableScores(file, format, opts);
      break;
  }
  return { file, format, ...r, failed: r.entries.filter((e) => Number.isNaN(e.score)).length };
}

function describeHeader(header: string[]): string {
  const s = header.join(', ');
  return s.length > 200 ? s.slice(0, 199) + '…' : s;
}

/** Pick a column: the named one (must exist), else the first of the usual names, else `fallback`. */
function pickColumn(file: string, header: string[], named: string | undefined, usual: string[], fallback: number | undefined, what: string): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  if (named !== undefined) {
    const i = header.findIndex((h) => h.trim() === named);
    const j = i >= 0 ? i : lower.indexOf(named.toLowerCase());
    if (j < 0) throw new InputError({ file, where: 'header', expected: `a ${what} column "${named}"`, got: `columns ${describeHeader(header)}` });
    return j;
  }
  for (const u of usual) {
    const i = lower.indexOf(u);
    if (i >= 0) return i;
  }
  if (fallback !== undefined) return fallback;
  throw new InputError({ file, where: 'header', expected: `a ${what} column (one of ${usual.join(', ')}; or name it with --${what === 'quality' ? 'column' : 'id-column'})`, got: `columns ${describeHeader(header)}` });
}

function readCsvScores(file: string, text: string, opts: ReadScoresOptions): Omit<ScoreFile, 'file' | 'format' | 'failed'> {
  const lines = text.split(/\r?\n/);
  const firstIdx = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (firstIdx < 0) throw new InputError({ file, expected: 'lines "<image path> <score>"', got: 'an empty file' });
  const first = lines[firstIdx]!;
  if (first.includes(',')) return readDelimited(file, text, ',', { ...opts, header: undefined });
  // whitespace-separated: the last token is the score, everything before it the path (paths may hold spaces)
  const split = (l: string) => {
    const m = /^(.*\S)\s+(\S+)\s*$/.exec(l.trim());
    return m ? [m[1]!, m[2]!] : [l.trim()];
  };
  const firstCells = split(first);
  const hasHeader = firstCells.length === 2 && parseNumber(firstCells[1]!) === undefined;
  if (opts.column || opts.idColumn) {
    // named columns: treat it as a table with a whitespace delimiter and a header
    return readDelimited(file, text, /\s+/, { ...opts, header: true });
  }
  const entries: ScoreEntry[] = [];
  lines.forEach((l, i) => {
    if (i < firstIdx || (hasHeader && i === firstIdx) || l.trim() === '' || l.trimStart().startsWith('#')) return;
    const cells = split(l);
    const score = cells.length === 2 ? parseNumber(cells[1]!) : undefined;
    if (score === undefined) throw new InputError({ file, where: `line ${i + 1}`, expected: '"<image path> <score>" with a numeric score', got: JSON.stringify(l.slice(0, 80)) });
    entries.push({ key: cells[0]!, score, where: `line ${i + 1}` });
  });
  return { entries };
}

function readDelimited(
  file: string,
  text: string,
  delim: string | RegExp,
  opts: ReadScoresOptions & { header: boolean | undefined; ofiq?: boolean },
): Omit<ScoreFile, 'file' | 'format' | 'failed'> {
  let rows: { line: number; cells: string[] }[];
  if (delim === ',') rows = parseCsv(text, { file }).filter((r) => !r.cells[0]!.trimStart().startsWith('#'));
  else
    rows = (typeof delim === 'string' ? parseCsv(text, { file, delimiter: delim }) : text.split(/\r?\n/).map((l, i) => ({ line: i + 1, cells: l.trim().split(delim) })))
      .map((r) => ({ line: r.line, cells: r.cells.map((c) => c.trim()) }))
      .filter((r) => r.cells.some((c) => c !== '') && !r.cells[0]!.startsWith('#'));
  // OFIQ ends lines with ';': drop the empty last cell
  for (const r of rows) if (r.cells.length > 1 && r.cells[r.cells.length - 1] === '') r.cells.pop();
  if (!rows.length) throw new InputError({ file, expected: 'rows of image path and score', got: 'an empty file' });
  const hasHeader = opts.header ?? (rows[0]!.cells.length >= 2 && parseNumber(rows[0]!.cells[rows[0]!.cells.length - 1]!) === undefined);
  const header = hasHeader ? rows[0]!.cells : undefined;
  let idCol = 0;
  let qCol = rows[0]!.cells.length - 1;
  if (header) {
    checkUniqueColumns(header, file, `line ${rows[0]!.line} (header)`);
    idCol = pickColumn(file, header, opts.idColumn, opts.ofiq ? ['filename'] : ID_COLUMNS, 0, 'image id');
    qCol = pickColumn(file, header, opts.column, SCORE_COLUMNS, header.length > 1 ? header.length - 1 : undefined, 'quality');
  } else if (opts.column || opts.idColumn) throw new InputError({ file, where: `line ${rows[0]!.line}`, expected: 'a header row naming the columns (--column/--id-column name columns)' });
  if (idCol === qCol) throw new InputError({ file, where: 'header', expected: 'different image and quality columns', got: `both "${header?.[idCol]}"` });
  const failureIsMinusOne = !!opts.ofiq && /\.scalar$/i.test(header?.[qCol] ?? '');
  const entries: ScoreEntry[] = [];
  for (const r of rows.slice(header ? 1 : 0)) {
    const key = r.cells[idCol];
    const cell = r.cells[qCol];
    const score = cell === undefined ? undefined : parseNumber(cell);
    if (!key || score === undefined)
      throw new InputError({
        file,
        where: `line ${r.line}`,
        expected: `an image path and a numeric ${header ? `"${header[qCol]}"` : 'score'} (column ${qCol + 1})`,
        got: JSON.stringify(r.cells.join(typeof delim === 'string' ? delim : ' ').slice(0, 80)),
      });
    entries.push({ key, score: failureIsMinusOne && score === -1 ? NaN : score, where: `line ${r.line}` });
  }
  return { entries, idColumn: header?.[idCol], column: header?.[qCol] };
}

function readTableScores(file: string, format: 'arrow' | 'parquet', opts: ReadScoresOptions): Omit<ScoreFile, 'file' | 'format' | 'failed'> {
  const table: arrow.Table = format === 'arrow' ? readResultTable(file).table : readParquetTable(file);
  const names = table.schema.fields.map((f) => f.name);
  const idCol = pickColumn(file, names, opts.idColumn, ID_COLUMNS, undefined, 'image id');
  const qCol = pickColumn(file, names, opts.column, SCORE_COLUMNS, undefined, 'quality');
  const ids = table.getChildAt(idCol)!.toArray() as ArrayLike<unknown>;
  const qs = table.getChildAt(qCol)!.toArray() as ArrayLike<unknown>;
  const entries: ScoreEntry[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const key = ids[i];
    const q = qs[i];
    if (typeof key !== 'string' || !key) throw new InputError({ file, where: `row ${i}`, expected: `a string image id in column "${names[idCol]}"`, got: String(key) });
    const score = q === null || q === undefined ? NaN : typeof q === 'bigint' ? Number(q) : typeof q === 'number' ? q : undefined;
    if (score === undefined) throw new InputError({ file, where: `row ${i}`, expected: `a number in column "${names[qCol]}"`, got: String(q) });
    entries.push({ key, score, where: `row ${i}` });
  }
  return { entries, idColumn: names[idCol], column: names[qCol] };
}
