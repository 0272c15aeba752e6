/**
 * The one CSV parser (csv-parse, RFC 4180): fields separated by a delimiter, optionally in double quotes with `""`
 * for a quote; quoted fields may hold delimiters and line breaks; records end with LF, CRLF or CR (mixed in one
 * file too); a leading BOM is dropped; blank lines are skipped; a quote may only open a field. Every record comes
 * with the line it starts on (1-based), and malformed input is an `InputError` naming the file and the line.
 * `parseCsv` reads a whole text; `forEachCsvRecord` streams chunks (multi-GB comparison files). A header naming a
 * column twice is an error wherever a table's header is read (`checkUniqueColumns`: CSV, and Arrow/Parquet schemas).
 *
 * Lines are counted here, not with csv-parse's `info` / `on_record` (each makes parsing 3–4× slower): every record
 * spans one line plus the line breaks inside its fields, and blank lines arrive as records of one empty field.
 */
import { createRequire } from 'node:module';
import { Readable, pipeline } from 'node:stream';
import type { CsvError, Options } from 'csv-parse';
import { InputError } from './errors.ts';

// csv-parse is loaded on first use, not with every command that imports core
const require = createRequire(import.meta.url);
const csvParse = () => require('csv-parse') as typeof import('csv-parse');
const csvParseSync = () => require('csv-parse/sync') as typeof import('csv-parse/sync');

/** One record: its fields and the line it starts on. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

export interface CsvOptions {
  /** For messages. */
  file?: string;
  /** Field delimiter, default `,`. */
  delimiter?: string;
}

const options = (o: CsvOptions): Options => ({
  delimiter: o.delimiter ?? ',',
  record_delimiter: ['\r\n', '\n', '\r'],
  bom: true,
  relax_column_count: true,
});

const BREAK = /\r\n|\r|\n/g;

/** Start lines of the records, and errors with the line they are on. */
class Lines {
  /** The line the next record starts on. */
  private next = 1;
  /** CRLFs inside quoted fields so far: csv-parse counts each as two lines in its errors. */
  private crlf = 0;
  constructor(private readonly file: string | undefined) {}

  /** The record with its start line, or undefined for a blank line (nothing, or only spaces and tabs). */
  take(cells: string[]): CsvRecord | undefined {
    const line = this.next;
    let breaks = 0;
    for (const c of cells)
      if (c.includes('\n') || c.includes('\r')) {
        breaks += c.match(BREAK)!.length;
        this.crlf += c.split('\r\n').length - 1;
      }
    this.next += 1 + breaks;
    if (cells.length === 1 && /^[ \t]*$/.test(cells[0]!)) return undefined;
    return { line, cells };
  }

  error(e: unknown): unknown {
    if (!(e instanceof csvParse().CsvError)) return e;
    const at = e as CsvError & { lines?: number; field?: string };
    // the unfinished record starts where the last complete one ended
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') return new InputError({ file: this.file, where: `line ${this.next}`, expected: 'a closing quote before the end of the file' }, { cause: e });
    const where = at.lines !== undefined ? `line ${at.lines - this.crlf}` : undefined;
    if (e.code === 'CSV_INVALID_CLOSING_QUOTE') return new InputError({ file: this.file, where, expected: 'a delimiter or line end after a closing quote' }, { cause: e });
    if (e.code === 'INVALID_OPENING_QUOTE')
      return new InputError({ file: this.file, where, expected: 'a quote only at the start of a field (quote the whole field, with "" for a quote inside it)', got: JSON.stringify(at.field ?? '') }, { cause: e });
    return new InputError({ file: this.file, where, expected: 'well-formed CSV', got: e.message }, { cause: e });
  }
}

/** Every record of a CSV text (blank lines skipped). */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvRecord[] {
  const lines = new Lines(opts.file);
  let records: string[][];
  try {
    records = csvParseSync().parse(text, options(opts)) as string[][];
  } catch (e) {
    // read the records before the bad one again, to know where it starts
    if (e instanceof csvParse().CsvError && typeof (e as { records?: number }).records === 'number') {
      const n = (e as unknown as { records: number }).records;
      if (n > 0) for (const r of csvParseSync().parse(text, { ...options(opts), to: n }) as string[][]) lines.take(r);
    }
    throw lines.error(e);
  }
  const out: CsvRecord[] = [];
  for (const cells of records) {
    const r = lines.take(cells);
    if (r) out.push(r);
  }
  return out;
}

/**
 * Every record of a CSV arriving in chunks of any size (a file read stream, or strings/bytes), in order; resolves
 * when the input has ended. An error in `onRecord` stops reading and rejects with it.
 */
export function forEachCsvRecord(source: Readable | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>, onRecord: (r: CsvRecord) => void, opts: CsvOptions = {}): Promise<void> {
  const lines = new Lines(opts.file);
  const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
  const parser = csvParse().parse(options(opts));
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      input.destroy();
      parser.destroy();
      reject(e);
    };
    parser.on('data', (cells: string[]) => {
      if (failed) return;
      const r = lines.take(cells);
      try {
        if (r) onRecord(r);
      } catch (e) {
        fail(e);
      }
    });
    parser.on('end', () => failed || resolve()); // every record has been handed out
    pipeline(input, parser, (e) => e && fail(lines.error(e)));
  });
}

/** The first column name that appears twice (case and surrounding spaces ignored, as readers match names). */
export function duplicateColumn(names: readonly string[]): { name: string; first: number; second: number } | undefined {
  const first = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const key = names[i]!.trim().toLowerCase();
    if (key === '') continue;
    const j = first.get(key);
    if (j !== undefined) return { name: names[i]!.trim(), first: j + 1, second: i + 1 };
    first.set(key, i);
  }
  return undefined;
}

/** What is wrong with a header that names a column twice (for readers that collect problems), or undefined. */
export function duplicateColumnProblem(names: readonly string[]): { expected: string; got: string } | undefined {
  const d = duplicateColumn(names);
  return d && { expected: 'each column name once', got: `"${d.name}" twice, columns ${d.first} and ${d.second}` };
}

/**
 * A table's header names each column once: with two columns of one name, which one a reader takes is arbitrary,
 * so it is an error naming both positions (1-based).
 */
export function checkUniqueColumns(names: readonly string[], file: string, where = 'line 1 (header)'): void {
  const problem = duplicateColumnProblem(names);
  if (problem) throw new InputError({ file, where, ...problem });
}
