import { readFileSync, existsSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { InputError } from '@aikd/core';
import { planColumns, parseFinite, parseMated, parseQuality, cellError, EXPECTED, splitByMethod, LabelCodes, INPUT_COLUMNS, type LongColumns } from './columns.ts';
import type { InputFormat, LoadedComparisons } from '../types.ts';

/**
 * Columns of an Arrow table (read from an Arrow IPC file/stream or Parquet) as typed arrays. A float64 column in
 * one chunk without nulls is the file's buffer itself (no copy; the readers' callers never write into columns);
 * other numeric and boolean columns are copied straight from their buffers; strings and other types go through
 * the same cell parsers as CSV.
 */

type Cell = unknown;

/** Calls `visit(value, row)` for every row of a column chunk that is not a fast-path type. Nulls come as null. */
function eachCell(data: arrow.Data, start: number, visit: (v: Cell, row: number) => void): void {
  const v = arrow.makeVector(data);
  for (let i = 0; i < data.length; i++) visit(v.get(i), start + i);
}

/** Whether row i of a chunk is null (reads the validity bitmap directly; `nullCount` is computed once per chunk). */
const isNull = (data: arrow.Data, i: number): boolean => {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return false;
  const b = data.offset + i;
  return ((bitmap[b >> 3]! >> (b & 7)) & 1) === 0;
};

function cellText(v: Cell): string {
  return typeof v === 'string' ? v : String(v);
}

/** A numeric column: `strict` (similarity) rejects nulls and non-finite values; otherwise they become NaN (failure to assess). */
function floatColumn(vec: arrow.Vector, file: string, column: string, strict: boolean): Float64Array {
  const bad = (row: number, got: unknown) => cellError(file, `row ${row + 1}`, strict ? EXPECTED.similarity : EXPECTED.quality(column), got);
  // one chunk of float64 without nulls (what our writers and pyarrow give): the file's buffer itself, not a copy
  const only = vec.data.length === 1 ? vec.data[0]! : undefined;
  if (only && only.values instanceof Float64Array && only.nullCount === 0 && only.values.length >= only.length) {
    const view = only.values.subarray(0, only.length);
    if (strict)
      for (let i = 0; i < view.length; i++) {
        const x = view[i]!;
        if (x - x !== 0) throw bad(i, x); // NaN or ±Infinity
      }
    return view;
  }
  const out = new Float64Array(vec.length);
  let start = 0;
  for (const data of vec.data) {
    const id = data.type.typeId;
    const values = data.values as ArrayLike<number | bigint> | undefined;
    const fast = (id === arrow.Type.Float && (data.type as arrow.Float).precision !== arrow.Precision.HALF) || id === arrow.Type.Int;
    if (fast && values && data.nullCount === 0 && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) {
      // the common case: a plain numeric buffer, copied in one go
      const v = values as Float64Array | Float32Array | Int32Array;
      out.set(v.subarray(0, data.length), start);
      if (strict)
        for (let i = start; i < start + data.length; i++) {
          const x = out[i]!;
          if (x - x !== 0) throw bad(i, x); // NaN or ±Infinity
        }
    } else if (fast && values) {
      const big = values instanceof BigInt64Array || values instanceof BigUint64Array;
      for (let i = 0; i < data.length; i++) {
        if (isNull(data, i)) {
          if (strict) throw bad(start + i, null);
          out[start + i] = NaN;
          continue;
        }
        const x = big ? Number(values[i] as bigint) : (values[i] as number);
        if (strict && !Number.isFinite(x)) throw bad(start + i, x);
        out[start + i] = x;
      }
    } else
      eachCell(data, start, (v, row) => {
        let x: number | undefined;
        if (v === null || v === undefined) x = strict ? undefined : NaN;
        else if (typeof v === 'number' || typeof v === 'bigint') x = Number(v);
        else x = strict ? parseFinite(cellText(v)) : parseQuality(cellText(v));
        if (x === undefined || (strict && !Number.isFinite(x))) throw bad(row, v);
        out[row] = x;
      });
    start += data.length;
  }
  return out;
}

function matedColumn(vec: arrow.Vector, file: string): Uint8Array {
  const out = new Uint8Array(vec.length);
  const bad = (row: number, got: unknown) => cellError(file, `row ${row + 1}`, EXPECTED.mated, got);
  let start = 0;
  for (const data of vec.data) {
    const id = data.type.typeId;
    if (id === arrow.Type.Bool && data.values) {
      const bits = data.values as Uint8Array;
      if (data.nullCount > 0)
        for (let i = 0; i < data.length; i++) if (isNull(data, i)) throw bad(start + i, null);
      for (let i = 0; i < data.length; i++) {
        const b = data.offset + i;
        out[start + i] = (bits[b >> 3]! >> (b & 7)) & 1;
      }
    } else if ((id === arrow.Type.Int || id === arrow.Type.Float) && data.values && (data.type as arrow.Float).precision !== arrow.Precision.HALF) {
      const values = data.values as ArrayLike<number | bigint>;
      for (let i = 0; i < data.length; i++) {
        const x = isNull(data, i) ? NaN : Number(values[i]);
        if (x !== 0 && x !== 1) throw bad(start + i, isNull(data, i) ? null : values[i]);
        out[start + i] = x;
      }
    } else
      eachCell(data, start, (v, row) => {
        const m = v === null || v === undefined ? undefined : typeof v === 'boolean' ? (v ? 1 : 0) : parseMated(cellText(v));
        if (m === undefined) throw bad(row, v);
        out[row] = m;
      });
    start += data.length;
  }
  return out;
}

/**
 * Per-row codes of a label column (method, identity); runs of the same value are decoded once (files are usually
 * grouped by method). Numbers are labels too (identities are often integers).
 */
function labelColumn(vec: arrow.Vector, file: string, expected: string, labels = new LabelCodes()): { codes: Int32Array; names: string[] } {
  const codes = new Int32Array(vec.length);
  const codeOf = (name: string, row: number): number => {
    const t = name.trim();
    if (!t) throw cellError(file, `row ${row + 1}`, expected, name);
    return labels.code(t);
  };
  let start = 0;
  for (const data of vec.data) {
    if (arrow.DataType.isDictionary(data.type) && data.dictionary && data.values) {
      const dict = data.dictionary;
      const local = new Int32Array(dict.length).fill(-1);
      const keys = data.values as ArrayLike<number | bigint>;
      for (let i = 0; i < data.length; i++) {
        if (isNull(data, i)) throw cellError(file, `row ${start + i + 1}`, expected, null);
        const k = Number(keys[i]);
        if (local[k] === -1) local[k] = codeOf(String(dict.get(k)), start + i);
        codes[start + i] = local[k]!;
      }
    } else {
      let last: unknown = Symbol('none');
      let lastCode = -1;
      eachCell(data, start, (v, row) => {
        if (v === null || v === undefined) throw cellError(file, `row ${row + 1}`, expected, v);
        if (v !== last) {
          lastCode = codeOf(cellText(v), row);
          last = v;
        }
        codes[row] = lastCode;
      });
    }
    start += data.length;
  }
  return { codes, names: labels.names };
}

/** Comparisons from an Arrow table in the long format. */
export function comparisonsFromTable(table: arrow.Table, file: string, format: InputFormat): LoadedComparisons {
  const names = table.schema.fields.map((f) => f.name);
  const plan = planColumns(names, file, 'schema');
  if (table.numRows === 0) throw new InputError({ file, expected: 'at least one comparison row' });
  const col = (i: number) => table.getChildAt(i)!;
  const cols: LongColumns = {
    similarity: floatColumn(col(plan.similarity), file, INPUT_COLUMNS.similarity, true),
    mated: matedColumn(col(plan.mated), file),
  };
  if (plan.pairQuality !== undefined) cols.pairQuality = floatColumn(col(plan.pairQuality), file, INPUT_COLUMNS.pairQuality, false);
  else {
    cols.qualityA = floatColumn(col(plan.qualityA!), file, INPUT_COLUMNS.qualityA, false);
    cols.qualityB = floatColumn(col(plan.qualityB!), file, INPUT_COLUMNS.qualityB, false);
  }
  if (plan.method !== undefined) {
    const { codes, names: methodNames } = labelColumn(col(plan.method), file, EXPECTED.method);
    cols.methodCodes = codes;
    cols.methodNames = methodNames;
  }
  if (plan.identityA !== undefined) {
    const identities = new LabelCodes();
    cols.identityA = labelColumn(col(plan.identityA), file, EXPECTED.identity(INPUT_COLUMNS.identityA), identities).codes;
    cols.identityB = labelColumn(col(plan.identityB!), file, EXPECTED.identity(INPUT_COLUMNS.identityB), identities).codes;
  }
  return { file, format, methods: splitByMethod(cols), notes: plan.notes };
}

/** An Arrow IPC file or stream. */
export function readArrowComparisons(file: string): LoadedComparisons {
  if (!existsSync(file)) throw new InputError({ file, expected: 'an existing Arrow file' });
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(readFileSync(file));
  } catch (e) {
    throw new InputError({ file, expected: 'an Arrow IPC file or stream', got: (e as Error).message.split('\n')[0] });
  }
  if (table.schema.fields.length === 0) throw new InputError({ file, expected: 'an Arrow IPC file or stream', got: 'no schema' });
  return comparisonsFromTable(table, file, 'arrow');
}

/** A Parquet file (read through parquet-wasm by @aikd/results). */
export async function readParquetComparisons(file: string): Promise<LoadedComparisons> {
  const { readParquetTable } = await import('@aikd/results');
  return comparisonsFromTable(readParquetTable(file), file, 'parquet');
}
