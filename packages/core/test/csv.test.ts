/** The one CSV parser: records with their start lines, chunking, blank lines, errors; csv-parse as the reference. */
import { describe, expect, it } from 'vitest';
import { parse as csvParseReference } from 'csv-parse/sync';
import { InputError, checkUniqueColumns, duplicateColumn, forEachCsvRecord, parseCsv, rngFor, type CsvRecord } from '../src/index.ts';

async function streamed(text: string, sizes: number[]): Promise<CsvRecord[]> {
  const chunks: string[] = [];
  let at = 0;
  for (const s of sizes) {
    chunks.push(text.slice(at, at + s));
    at += s;
  }
  chunks.push(text.slice(at));
  const out: CsvRecord[] = [];
  await forEachCsvRecord(chunks.filter((c) => c.length), (r) => out.push(r), { file: 'x.csv' });
  return out;
}

describe('parseCsv / csvRecords', () => {
  const text = '\ufeffa,b,c\r\n1,"x, y",3\n\n"multi\nline","say ""hi""",\r"",last,"q"\n4,5,6';
  const expected: CsvRecord[] = [
    { cells: ['a', 'b', 'c'], line: 1 },
    { cells: ['1', 'x, y', '3'], line: 2 },
    { cells: ['multi\nline', 'say "hi"', ''], line: 4 },
    { cells: ['', 'last', 'q'], line: 6 },
    { cells: ['4', '5', '6'], line: 7 },
  ];

  it('parses quotes, escaped quotes, delimiters and line breaks inside quotes, CRLF/CR/LF, BOM, blank lines', async () => {
    expect(parseCsv(text)).toEqual(expected);
    expect(await streamed(text, [])).toEqual(expected);
    // start lines count line breaks of every kind inside quoted fields (a CRLF once), and blank or space-only lines
    // are skipped
    expect(parseCsv('h\n"a\r\nb\rc"\n   \n\nz\n"\r\n"\ny')).toEqual([
      { line: 1, cells: ['h'] },
      { line: 2, cells: ['a\r\nb\rc'] },
      { line: 7, cells: ['z'] },
      { line: 8, cells: ['\r\n'] },
      { line: 10, cells: ['y'] },
    ]);
    expect(() => parseCsv('"\r\n"\n"x"y', { file: 'f.csv' })).toThrow(/f\.csv, line 3: expected a delimiter or line end/);
    // a trailing delimiter gives an empty last field; other delimiters
    expect(parseCsv('abc,d,\n')).toEqual([{ line: 1, cells: ['abc', 'd', ''] }]);
    expect(parseCsv('a;"b;c"\n', { delimiter: ';' })).toEqual([{ line: 1, cells: ['a', 'b;c'] }]);
    expect(parseCsv('a\tb\n', { delimiter: '\t' })).toEqual([{ line: 1, cells: ['a', 'b'] }]);
  });

  it('gives the same records whatever the chunk boundaries', async () => {
    for (let cut = 0; cut <= text.length; cut++) expect(await streamed(text, [cut])).toEqual(expected);
    const r = rngFor(1, 'chunks');
    for (let k = 0; k < 50; k++) expect(await streamed(text, Array.from({ length: 30 }, () => r.int(4)))).toEqual(expected);
  });

  it('reports an unterminated quote with the line it starts on, and text after a closing quote, naming the file', async () => {
    expect(() => parseCsv('a,b\n1,"open\nstill open', { file: 'x.csv' })).toThrow(/x\.csv, line 2: expected a closing quote before the end of the file/);
    expect(() => parseCsv('a,b\n\n\n1,"open\nstill open', { file: 'x.csv' })).toThrow(/x\.csv, line 4: expected a closing quote/);
    expect(() => parseCsv('a,b\n"x"y,2\n', { file: 'x.csv' })).toThrow(/x\.csv, line 2: expected a delimiter or line end after a closing quote/);
    expect(() => parseCsv('a,b\nab"c,d\n', { file: 'x.csv' })).toThrow(/x\.csv, line 2: expected a quote only at the start of a field/);
    await expect(streamed('a,b\n1,"open\nstill open', [5])).rejects.toThrow(/x\.csv, line 2: expected a closing quote/);
    await expect(streamed('a,b\n"x"y,2\n', [3])).rejects.toThrow(/x\.csv, line 2: expected a delimiter or line end after a closing quote/);
    // an error of the caller's handler stops the reading and is what rejects
    await expect(forEachCsvRecord(['a\nb\nc\n'], (r) => { if (r.line === 2) throw new Error('stop at 2'); })).rejects.toThrow('stop at 2');
  });
});

describe('a header naming a column twice', () => {
  it('is found case- and space-insensitively (as readers match names) and is an error naming both columns', () => {
    const [header] = parseCsv('image, Quality ,score,quality\na,1,2,3\n', { file: 'h.csv' });
    expect(duplicateColumn(header!.cells)).toEqual({ name: 'quality', first: 2, second: 4 });
    expect(duplicateColumn(['a', '', 'b', ''])).toBeUndefined(); // unnamed columns are not names
    const err = (() => {
      try {
        checkUniqueColumns(header!.cells, 'h.csv', `line ${header!.line} (header)`);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe('h.csv, line 1 (header): expected each column name once (got "quality" twice, columns 2 and 4)');
    expect(() => checkUniqueColumns(['a', 'b'], 'h.csv')).not.toThrow();
  });
});

describe('parseCsv agrees with csv-parse (RFC 4180, relaxed column count) on random texts', () => {
  /** csv-parse's records with the same options the parser implements, blank lines dropped; or 'error'. */
  const reference = (text: string, delimiter: string): string[][] | 'error' => {
    try {
      const records = csvParseReference(text, { delimiter, record_delimiter: ['\r\n', '\n', '\r'], bom: true, relax_column_count: true }) as string[][];
      return records.filter((r) => !(r.length === 1 && /^[ \t]*$/.test(r[0]!)));
    } catch {
      return 'error';
    }
  };
  const ours = (text: string, delimiter: string): string[][] | 'error' => {
    try {
      return parseCsv(text, { delimiter }).map((r) => r.cells);
    } catch (e) {
      expect((e as Error).name).toBe('InputError');
      return 'error';
    }
  };

  it('the same records, or both an error, on 4,000 texts of quotes, delimiters, line breaks and spaces', async () => {
    const r = rngFor(7, 'csv-fuzz');
    let errors = 0;
    for (let k = 0; k < 4000; k++) {
      const delimiter = k % 3 === 0 ? ';' : ',';
      const alphabet = ['a', 'b', '1', '.', ' ', '\t', delimiter, delimiter, '"', '"', '\n', '\r', '\r\n', 'é', '\ufeff'];
      const text = (r.int(4) === 0 ? '\ufeff' : '') + Array.from({ length: r.int(24) }, () => alphabet[r.int(alphabet.length)]!).join('');
      const want = reference(text, delimiter);
      const got = ours(text, delimiter);
      if (want === 'error') errors++;
      expect(got, JSON.stringify(text)).toEqual(want);
      // and streamed in random chunks (the helper reads with the default delimiter)
      if (got !== 'error' && delimiter === ',' && k % 20 === 0) {
        const cuts = Array.from({ length: 4 }, () => r.int(4));
        expect((await streamed(text, cuts)).map((x) => x.cells), JSON.stringify(text)).toEqual(want);
      }
    }
    // the alphabet makes both kinds of text common
    expect(errors).toBeGreaterThan(400);
    expect(errors).toBeLessThan(3600);
  }, 60_000);

  it('reads bytes split inside a multi-byte character', async () => {
    const bytes = new TextEncoder().encode('name,ville\nx,"Zürich, é"\n');
    const out: CsvRecord[] = [];
    await forEachCsvRecord([bytes.subarray(0, 14), bytes.subarray(14, 15), bytes.subarray(15)], (x) => out.push(x));
    expect(out).toEqual([{ line: 1, cells: ['name', 'ville'] }, { line: 2, cells: ['x', 'Zürich, é'] }]);
  });
});
