/**
 * What the long-format readers (csv, arrow, parquet) share: which columns they need, how a cell becomes a number,
 * and growable typed arrays for splitting rows by method.
 */
import { InputError, checkUniqueColumns, describeValue } from '@aikd/core';
import { DEFAULT_METHOD } from '../constants.ts';
import type { MethodComparisons } from '../types.ts';

/** Column names of the long format (matched case-insensitively, surrounding spaces ignored). */
export const INPUT_COLUMNS = {
  similarity: 'similarity',
  mated: 'mated',
  pairQuality: 'pair_quality',
  qualityA: 'quality_a',
  qualityB: 'quality_b',
  method: 'method',
  identityA: 'identity_a',
  identityB: 'identity_b',
} as const;

/** Indices of the needed columns in a header / schema. */
export interface ColumnPlan {
  similarity: number;
  mated: number;
  pairQuality?: number;
  qualityA?: number;
  qualityB?: number;
  method?: number;
  /** Optional: who is in each comparison, for the identity-cluster bootstrap (both or neither). */
  identityA?: number;
  identityB?: number;
  notes: string[];
}

export function planColumns(names: readonly string[], file: string, where: string): ColumnPlan {
  checkUniqueColumns(names, file, where);
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    const key = name.trim().toLowerCase();
    if (!index.has(key)) index.set(key, i);
  });
  const list = names.length ? names.map((x) => JSON.stringify(x)).join(', ') : 'no columns';
  const need = (col: string): number => {
    const i = index.get(col);
    if (i === undefined) throw new InputError({ file, where, expected: `a column "${col}"`, got: list });
    return i;
  };
  const similarity = need(INPUT_COLUMNS.similarity);
  const mated = need(INPUT_COLUMNS.mated);
  const pairQuality = index.get(INPUT_COLUMNS.pairQuality);
  const qualityA = index.get(INPUT_COLUMNS.qualityA);
  const qualityB = index.get(INPUT_COLUMNS.qualityB);
  const method = index.get(INPUT_COLUMNS.method);
  const identityA = index.get(INPUT_COLUMNS.identityA);
  const identityB = index.get(INPUT_COLUMNS.identityB);
  if ((identityA === undefined) !== (identityB === undefined))
    throw new InputError({ file, where, expected: `both columns "${INPUT_COLUMNS.identityA}" and "${INPUT_COLUMNS.identityB}", or neither`, got: list });
  const ids = identityA !== undefined ? { identityA, identityB } : {};
  const notes: string[] = [];
  if (pairQuality !== undefined) {
    if (qualityA !== undefined || qualityB !== undefined) notes.push(`${file}: using column "pair_quality"; "quality_a"/"quality_b" are ignored`);
    return { similarity, mated, pairQuality, method, ...ids, notes };
  }
  if (qualityA === undefined && qualityB === undefined)
    throw new InputError({ file, where, expected: 'a column "pair_quality", or "quality_a" and "quality_b"', got: list });
  if (qualityA === undefined) throw new InputError({ file, where, expected: 'a column "quality_a" next to "quality_b"', got: list });
  if (qualityB === undefined) throw new InputError({ file, where, expected: 'a column "quality_b" next to "quality_a"', got: list });
  return { similarity, mated, qualityA, qualityB, method, ...ids, notes };
}

const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);

/** A finite number, or undefined when the text is not one. */
export function parseFinite(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const x = Number(t);
  return Number.isFinite(x) ? x : undefined;
}

/** A quality: a number, NaN for a missing/non-finite one (failure to assess), undefined when the text is not a number. */
export function parseQuality(text: string): number | undefined {
  const t = text.trim();
  if (MISSING.has(t.toLowerCase())) return NaN;
  const x = Number(t);
  return Number.isNaN(x) ? undefined : x;
}

/** 1 / 0 from 1, 0, true, false (any case; 1.0 and 0.0 too), else undefined. */
export function parseMated(text: string): 0 | 1 | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'true') return 1;
  if (t === 'false') return 0;
  if (t === '') return undefined;
  const x = Number(t);
  return x === 1 ? 1 : x === 0 ? 0 : undefined;
}

export const EXPECTED = {
  similarity: 'a finite number in column "similarity"',
  mated: '0, 1, true or false in column "mated"',
  quality: (col: string) => `a number (or empty / NaN for a failed quality) in column "${col}"`,
  method: 'a method name in column "method"',
  identity: (col: string) => `an identity label in column "${col}"`,
} as const;

export function cellError(file: string, where: string, expected: string, got: unknown): InputError {
  return new InputError({ file, where, expected, got: describeValue(got) });
}

/** A typed array that grows by doubling (for readers that do not know the row count up front). */
export class Growable<T extends Float64Array | Uint8Array | Int32Array> {
  private a: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.a = make(1024);
  }
  push(x: number): void {
    if (this.length === this.a.length) {
      const b = this.make(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = x;
  }
  toArray(): T {
    return this.a.slice(0, this.length) as T;
  }
}

export const growFloat64 = () => new Growable((n) => new Float64Array(n));
export const growUint8 = () => new Growable((n) => new Uint8Array(n));
export const growInt32 = () => new Growable((n) => new Int32Array(n));

/** Full columns (all rows, all methods) as typed arrays, plus per-row method codes when there is a method column. */
export interface LongColumns {
  similarity: Float64Array;
  mated: Uint8Array;
  pairQuality?: Float64Array;
  qualityA?: Float64Array;
  qualityB?: Float64Array;
  methodCodes?: Int32Array;
  methodNames?: string[];
  /** Identity codes (one dictionary for both columns). */
  identityA?: Int32Array;
  identityB?: Int32Array;
}

/** Codes for text labels, in order of first appearance (one dictionary shared by several columns). */
export class LabelCodes {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  code(label: string): number {
    let c = this.index.get(label);
    if (c === undefined) {
      c = this.names.length;
      this.index.set(label, c);
      this.names.push(label);
    }
    return c;
  }
}

/** Split full columns into one comparison set per method, in order of first appearance; rows keep their order. */
export function splitByMethod(cols: LongColumns): MethodComparisons[] {
  const { methodCodes: codes, methodNames: names } = cols;
  const whole = (method: string): MethodComparisons => ({
    method,
    similarity: cols.similarity,
    mated: cols.mated,
    ...(cols.pairQuality ? { pairQuality: cols.pairQuality } : { qualityA: cols.qualityA!, qualityB: cols.qualityB! }),
    ...(cols.identityA ? { identityA: cols.identityA, identityB: cols.identityB! } : {}),
  });
  if (!codes || !names) return [whole(DEFAULT_METHOD)];
  const n = codes.length;
  const counts = new Int32Array(names.length);
  for (let i = 0; i < n; i++) counts[codes[i]!]!++;
  const present = [...names.keys()].filter((c) => counts[c]! > 0);
  if (present.length === 1) return [whole(names[present[0]!]!)];
  // order methods by first appearance
  const first = new Int32Array(names.length).fill(-1);
  for (let i = 0; i < n; i++) if (first[codes[i]!] === -1) first[codes[i]!] = i;
  present.sort((a, b) => first[a]! - first[b]!);
  const out = new Map<number, MethodComparisons & { fill: number }>();
  for (const c of present) {
    const m = counts[c]!;
    out.set(c, {
      method: names[c]!,
      similarity: new Float64Array(m),
      mated: new Uint8Array(m),
      ...(cols.pairQuality ? { pairQuality: new Float64Array(m) } : { qualityA: new Float64Array(m), qualityB: new Float64Array(m) }),
      ...(cols.identityA ? { identityA: new Int32Array(m), identityB: new Int32Array(m) } : {}),
      fill: 0,
    });
  }
  for (let i = 0; i < n; i++) {
    const t = out.get(codes[i]!)!;
    const j = t.fill++;
    t.similarity[j] = cols.similarity[i]!;
    t.mated[j] = cols.mated[i]!;
    if (cols.pairQuality) t.pairQuality![j] = cols.pairQuality[i]!;
    else {
      t.qualityA![j] = cols.qualityA![i]!;
      t.qualityB![j] = cols.qualityB![i]!;
    }
    if (cols.identityA) {
      t.identityA![j] = cols.identityA[i]!;
      t.identityB![j] = cols.identityB![i]!;
    }
  }
  return present.map((c) => {
    const { fill: _fill, ...m } = out.get(c)!;
    return m;
  });
}
