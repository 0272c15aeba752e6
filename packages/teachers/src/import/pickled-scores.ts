/**
 * Pickled score files: a `{path: score}` dict (AI-KD's `quality-scores.pkl`, FaceQAN's `results.pkl`, …), protocols
 * 0–5, with Python floats/ints or numpy scalars (float16/32/64, ints, and 0-d or one-element arrays) as values. Read
 * with the datasets package's unpickler under a strict whitelist (numpy's scalar/array/dtype reconstructors and the
 * bytes helpers): any other global is refused by name, and nothing in the file is imported or called; numpy values
 * are decoded here from their recorded dtype and bytes.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '@aikd/core';
import {
  BIN_GLOBALS, PickleBlob, PickleDict, PickleObject, PickleText, PickleTuple, blobBytes, describePickleValue, memorySource, unpickle,
  type PickleBuilder, type PickleGlobals, type PickleValue,
} from '@aikd/datasets';

type Dtype = { kind: string; size: number; little: boolean };
type Fail = (expected: string, got?: string) => never;

const NUMPY_MODULES = ['numpy.core.multiarray', 'numpy._core.multiarray']; // numpy 1 and numpy 2

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1, e = (bits >> 10) & 0x1f, f = bits & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function readScalar(dt: Dtype, b: Uint8Array): number | undefined {
  if (b.length < dt.size) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, dt.size);
  const L = dt.little;
  if (dt.kind === 'f') return dt.size === 8 ? v.getFloat64(0, L) : dt.size === 4 ? v.getFloat32(0, L) : dt.size === 2 ? half(v.getUint16(0, L)) : undefined;
  if (dt.kind === 'b') return dt.size === 1 ? v.getUint8(0) : undefined;
  const signed = dt.kind === 'i';
  if (dt.size === 1) return signed ? v.getInt8(0) : v.getUint8(0);
  if (dt.size === 2) return signed ? v.getInt16(0, L) : v.getUint16(0, L);
  if (dt.size === 4) return signed ? v.getInt32(0, L) : v.getUint32(0, L);
  if (dt.size === 8) return Number(signed ? v.getBigInt64(0, L) : v.getBigUint64(0, L));
  return undefined;
}

/** Reads values of one in-memory pickle: strings and bytes by their offsets. */
class ScoreFile {
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {}

  /** A str key or value (a Python 2 str or bytes: UTF-8, else latin-1). */
  string(v: PickleValue | undefined): string | undefined {
    if (v instanceof PickleText) return v.text() ?? new TextDecoder().decode(this.bytes.subarray(v.offset, v.offset + v.length));
    const b = this.blob(v);
    if (!b) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return new TextDecoder('latin1').decode(b);
    }
  }

  blob(v: PickleValue | undefined): Uint8Array | undefined {
    return v instanceof PickleBlob ? blobBytes(v.inline ?? this.bytes.subarray(v.offset, v.offset + v.length), v, this.file) : undefined;
  }

  /** numpy.dtype('f4', …) and its BUILD state (version, byte order, …). */
  dtype(v: PickleValue | undefined): Dtype | undefined {
    if (!(v instanceof PickleObject) || v.type !== 'numpy.dtype') return undefined;
    const m = /^([<>|=]?)([fiub])(\d+)$/.exec(String(v.value));
    if (!m) return undefined;
    const order = v.state instanceof PickleTuple ? this.string(v.state.items[1]) : undefined;
    return { kind: m[2]!, size: Number(m[3]), little: (order ?? (m[1] || '<')) !== '>' };
  }

  /** The whitelist: numpy's reconstructors build records here, never anything else. */
  globals(): PickleGlobals {
    const dtype: PickleBuilder = (args, fail) => {
      const code = this.string(args[0]);
      return code === undefined ? fail('numpy.dtype(<type code>, …)', describePickleValue(args[0])) : new PickleObject('numpy.dtype', code);
    };
    const scalar: PickleBuilder = (args, fail: Fail) => {
      const dt = this.dtype(args[0]);
      const b = this.blob(args[1]);
      const v = dt && b ? readScalar(dt, b) : undefined;
      return v === undefined ? fail('numpy scalar(<dtype>, <bytes>) of a number type', args.map(describePickleValue).join(', ')) : v;
    };
    const reconstruct: PickleBuilder = () => new PickleObject('numpy.ndarray', null); // its BUILD state holds shape, dtype and bytes
    return {
      label: 'a pickled score file',
      globals: new Map<string, PickleBuilder | null>([
        ...BIN_GLOBALS.globals,
        ['numpy.dtype', dtype],
        ['numpy.ndarray', null],
        ...NUMPY_MODULES.flatMap((m): [string, PickleBuilder][] => [[`${m}.scalar`, scalar], [`${m}._reconstruct`, reconstruct]]),
      ]),
    };
  }

  /** A score: a Python number, a numpy scalar (decoded when read), or a one-element numpy array. */
  score(v: PickleValue): number | undefined {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof PickleObject && v.type === 'numpy.ndarray' && v.state instanceof PickleTuple) {
      // ndarray state: (version, shape, dtype, is_fortran, raw bytes)
      const [, shape, dtype, , data] = v.state.items;
      const size = (shape instanceof PickleTuple ? shape.items : []).reduce<number>((a, d) => a * Number(d), 1);
      const dt = this.dtype(dtype);
      const b = this.blob(data);
      if (size === 1 && dt && b) return readScalar(dt, b);
    }
    return undefined;
  }

  describe(v: PickleValue): string {
    if (v instanceof PickleDict) return 'a dict';
    if (v instanceof PickleTuple) return 'a tuple';
    if (Array.isArray(v)) return 'a list';
    if (v instanceof PickleText) return JSON.stringify(this.string(v)!.slice(0, 40));
    return describePickleValue(v);
  }
}

/** `{path: score}` entries of a pickle file, in the dict's order; a value that is not a number is an error naming its key. */
export function readPickledScores(path: string): { key: string; score: number; where: string }[] {
  const f = new ScoreFile(new Uint8Array(readFileSync(path)), path);
  const v = unpickle(memorySource(f.bytes), path, { globals: f.globals() });
  if (!(v instanceof PickleDict)) throw new InputError({ file: path, expected: 'a pickled dict {image path: quality score}', got: f.describe(v) });
  return v.entries.map(([k, val], i) => {
    const key = f.string(k);
    if (key === undefined) throw new InputError({ file: path, where: `dict entry ${i}`, expected: 'a string key (the image path)', got: f.describe(k) });
    const score = f.score(val);
    if (score === undefined) throw new InputError({ file: path, where: `key ${JSON.stringify(key)}`, expected: 'a number (Python float/int or numpy scalar)', got: f.describe(val) });
    return { key, score, where: `entry ${i}` };
  });
}
