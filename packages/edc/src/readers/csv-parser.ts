/**
 * A small streaming CSV parser (RFC 4180): fields separated by a delimiter, optionally in double quotes with `""`
 * for a quote; quoted fields may hold delimiters and line breaks; records end with LF, CRLF or CR; a leading BOM is
 * dropped; blank lines are skipped. Text arrives in chunks of any size; a record cut by a chunk boundary is kept
 * and parsed again when the rest arrives.
 */
import { InputError } from '@aikd/core';

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Called once per record with its fields and the line it starts on (1-based). */
export type RecordHandler = (fields: string[], line: number) => void;

export class CsvParser {
  private rest = '';
  private line = 1;
  private started = false;
  private readonly delim: number;

  constructor(
    private readonly onRecord: RecordHandler,
    private readonly file = '<csv>',
    delimiter = ',',
  ) {
    this.delim = delimiter.charCodeAt(0);
  }

  push(chunk: string): void {
    this.parse(this.rest + chunk, false);
  }

  /** The input has ended: parse what is left (an unterminated quote is an error). */
  end(): void {
    this.parse(this.rest, true);
  }

  private parse(text: string, final: boolean): void {
    if (!this.started && text.length) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const n = text.length;
    const delim = this.delim;
    let i = 0;
    let line = this.line;
    let recordStart = 0;
    let recordLine = line;
    // `break records` = the record runs past the end of this chunk: keep it for the next one
    records: while (i < n) {
      recordStart = i;
      recordLine = line;
      const fields: string[] = [];
      for (;;) {
        if (i < n && text.charCodeAt(i) === QUOTE) {
          let value = '';
          let from = i + 1;
          for (;;) {
            const q = text.indexOf('"', from);
            if (q < 0 || (q + 1 >= n && !final)) {
              if (!final) break records;
              throw new InputError({ file: this.file, where: `line ${recordLine}`, expected: 'a closing quote before the end of the file' });
            }
            if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
              value += text.slice(from, q + 1);
              from = q + 2;
              continue;
            }
            value += text.slice(from, q);
            i = q + 1;
            break;
          }
          for (let k = value.indexOf('\n'); k >= 0; k = value.indexOf('\n', k + 1)) line++;
          fields.push(value);
        } else {
          let j = i;
          while (j < n) {
            const c = text.charCodeAt(j);
            if (c === delim || c === LF || c === CR) break;
            j++;
          }
          if (j >= n && !final) break records;
          fields.push(text.slice(i, j));
          i = j;
        }
        if (i >= n) break; // end of input (final): the record is complete
        const c = text.charCodeAt(i);
        if (c === delim) {
          i++;
          if (i >= n) {
            if (!final) break records;
            fields.push('');
            break;
          }
          continue;
        }
        if (c === LF || c === CR) {
          if (c === CR && i + 1 >= n && !final) break records; // a CRLF may be split across chunks
          i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
          line++;
          break;
        }
        throw new InputError({
          file: this.file,
          where: `line ${line}`,
          expected: 'a delimiter or line end after a closing quote',
          got: JSON.stringify(text.slice(i, i + 10)),
        });
      }
      if (!(fields.length === 1 && fields[0] === '')) this.onRecord(fields, recordLine);
      recordStart = i;
      recordLine = line;
    }
    this.rest = text.slice(recordStart);
    this.line = recordLine;
  }
}
