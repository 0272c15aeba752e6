/**
 * A minimal unpickler for score files: a pickled `{path: score}` dict (AI-KD's `quality-scores.pkl`, FaceQAN's
 * `results.pkl`, …), protocols 0–5, with Python floats/ints or numpy scalars (float16/32/64, ints, and 0-d or
 * one-element arrays) as values. It builds plain values only: globals are markers (never imported or called), so
 * nothing in the file is executed. The datasets package's unpickler reads only the opcodes of InsightFace `.bin`
 * files (no dicts or floats), hence this one.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '@aikd/core';

export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}
/** `callable(*args)` as recorded by REDUCE/NEWOBJ, with the state BUILD gave it. */
export class PyCall {
  state: PyValue = null;
  constructor(readonly fn: PyValue, readonly args: PyValue[]) {}
}
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | Map<PyValue, PyValue> | PyTuple | PyGlobal | PyCall;

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

/** Decode a pickle into plain values (see the module comment for what is supported). */
export function unpickleValue(bytes: Uint8Array, file: string): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let opAt = 0;
  const fail = (what: string): never => {
    throw new InputError({ file, where: `byte ${opAt}`, expected: 'a pickled {path: score} dict', got: what });
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail(`the file ends at byte ${bytes.length} in the middle of an opcode`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => bytes[need(1)]!;
  const utf8 = (n: number) => {
    const at = need(n);
    return new TextDecoder('utf-8').decode(bytes.subarray(at, at + n));
  };
  const raw = (n: number) => {
    const at = need(n);
    return bytes.slice(at, at + n);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a text opcode without its newline');
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) fail('a value missing on the stack');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('a MARK missing');
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('a value missing on the stack');
    return v as PyValue;
  };
  const setItems = (d: PyValue, kv: PyValue[]) => {
    if (!(d instanceof Map)) return fail('SETITEM(S) on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i]!, kv[i + 1]!);
  };
  const append = (l: PyValue, items: PyValue[]) => {
    if (!Array.isArray(l)) return fail('APPEND(S) on something that is not a list');
    l.push(...items);
  };
  const memoGet = (k: number) => {
    if (!memo.has(k)) fail(`memo entry ${k} was never stored`);
    return memo.get(k)!;
  };
  const reduce = (fn: PyValue, args: PyValue): PyValue => {
    const a = args instanceof PyTuple ? args.items : [];
    // bytes in protocol-2 pickles written by Python 3: _codecs.encode('<latin-1 text>', 'latin1')
    if (fn instanceof PyGlobal && fn.qualname === '_codecs.encode' && typeof a[0] === 'string') return Uint8Array.from(a[0], (c) => c.charCodeAt(0) & 0xff);
    return new PyCall(fn, a);
  };
  const decodeStringRepr = (s: string): string => {
    const q = s[0];
    if ((q !== "'" && q !== '"') || s[s.length - 1] !== q) fail(`a quoted STRING, got ${s.slice(0, 20)}`);
    return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt])/g, (_, e: string) =>
      e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e,
    );
  };
  const rawUnicodeEscape = (s: string): string =>
    s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string, b: string) => String.fromCodePoint(parseInt(a ?? b, 16)));

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) fail('the file ends before the STOP opcode');
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: need(8); break; // FRAME
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: stack.push(MARK); break;
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x49: { // INT (text; 00/01 are False/True)
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : Number(s));
        break;
      }
      case 0x4c: stack.push(Number(line().replace(/L$/, ''))); break; // LONG (text)
      case 0x8a: { // LONG1: little-endian two's complement
        const n = u8();
        const b = raw(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number(v));
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x46: stack.push(Number(line())); break; // FLOAT (text)
      case 0x8c: stack.push(utf8(u8())); break; // SHORT_BINUNICODE
      case 0x58: stack.push(utf8(view.getUint32(need(4), true))); break; // BINUNICODE
      case 0x8d: stack.push(utf8(Number(view.getBigUint64(need(8), true)))); break; // BINUNICODE8
      case 0x56: stack.push(rawUnicodeEscape(line())); break; // UNICODE (text)
      case 0x53: stack.push(decodeStringRepr(line())); break; // STRING (text, Python 2 str)
      case 0x55: stack.push(new TextDecoder('latin1').decode(raw(u8()))); break; // SHORT_BINSTRING
      case 0x54: stack.push(new TextDecoder('latin1').decode(raw(view.getInt32(need(4), true)))); break; // BINSTRING
      case 0x43: stack.push(raw(u8())); break; // SHORT_BINBYTES
      case 0x42: stack.push(raw(view.getUint32(need(4), true))); break; // BINBYTES
      case 0x8e: stack.push(raw(Number(view.getBigUint64(need(8), true)))); break; // BINBYTES8
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const d = new Map<PyValue, PyValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x29: stack.push(new PyTuple([])); break;
      case 0x74: stack.push(new PyTuple(popMark())); break;
      case 0x85: stack.push(new PyTuple([pop()])); break;
      case 0x86: { const b = pop(), a = pop(); stack.push(new PyTuple([a, b])); break; }
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(new PyTuple([a, b, c])); break; }
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(view.getUint32(need(4), true), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: stack.push(memoGet(Number(line()))); break; // GET
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(view.getUint32(need(4), true))); break; // LONG_BINGET
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(new PyGlobal(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        stack.push(new PyGlobal(String(module), String(name)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        stack.push(reduce(fn, args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop(), cls = pop();
        stack.push(reduce(cls, args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyCall) obj.state = state;
        break;
      }
      case 0x50:
      case 0x51:
        fail('a persistent id (a torch tensor or similar object); save plain floats, e.g. {path: float(q)}');
        break;
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, '0')}, which score files do not use`);
    }
  }
}

const isNumpyScalar = (g: PyValue) => g instanceof PyGlobal && /^numpy(\._core|\.core)?\.multiarray$/.test(g.module) && g.name === 'scalar';
const isNumpyReconstruct = (g: PyValue) => g instanceof PyGlobal && /^numpy(\._core|\.core)?\.multiarray$/.test(g.module) && g.name === '_reconstruct';
const isNumpyDtype = (g: PyValue) => g instanceof PyGlobal && g.module === 'numpy' && g.name === 'dtype';

/** dtype('f4', …) with BUILD state (version, byte order, …) → kind, size, little-endian. */
function dtypeOf(v: PyValue): { kind: string; size: number; little: boolean } | undefined {
  if (!(v instanceof PyCall) || !isNumpyDtype(v.fn) || typeof v.args[0] !== 'string') return undefined;
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(v.args[0]);
  if (!m) return undefined;
  const order = v.state instanceof PyTuple && typeof v.state.items[1] === 'string' ? v.state.items[1] : m[1] || '<';
  return { kind: m[2]!, size: Number(m[3]), little: order !== '>' };
}

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1, e = (bits >> 10) & 0x1f, f = bits & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function readScalar(dt: { kind: string; size: number; little: boolean }, b: Uint8Array): number | undefined {
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

/** A score value: a Python number, or a numpy scalar / one-element array. undefined when it is none of these. */
export function scoreOf(v: PyValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (!(v instanceof PyCall)) return undefined;
  if (isNumpyScalar(v.fn)) {
    const dt = dtypeOf(v.args[0] ?? null);
    const b = v.args[1];
    return dt && b instanceof Uint8Array ? readScalar(dt, b) : undefined;
  }
  if (isNumpyReconstruct(v.fn) && v.state instanceof PyTuple) {
    // ndarray state: (version, shape, dtype, is_fortran, raw bytes)
    const [, shape, dtype, , data] = v.state.items;
    const dims = shape instanceof PyTuple ? shape.items : [];
    const size = dims.reduce<number>((a, d) => a * Number(d), 1);
    const dt = dtypeOf(dtype ?? null);
    if (size === 1 && dt && data instanceof Uint8Array) return readScalar(dt, data);
  }
  return undefined;
}

export function describePy(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof PyCall) return `${v.fn instanceof PyGlobal ? v.fn.qualname : 'a callable'}(…)`;
  if (v instanceof Map) return 'a dict';
  if (v instanceof PyTuple) return 'a tuple';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : String(v);
}

/** `{path: score}` entries of a pickle file, in the dict's order; a value that is not a number is an error naming its key. */
export function readPickledScores(path: string): { key: string; score: number; where: string }[] {
  const v = unpickleValue(new Uint8Array(readFileSync(path)), path);
  if (!(v instanceof Map)) throw new InputError({ file: path, expected: 'a pickled dict {image path: quality score}', got: describePy(v) });
  const out: { key: string; score: number; where: string }[] = [];
  let i = 0;
  for (const [k, val] of v) {
    const key = typeof k === 'string' ? k : k instanceof Uint8Array ? new TextDecoder().decode(k) : undefined;
    if (key === undefined) throw new InputError({ file: path, where: `dict entry ${i}`, expected: 'a string key (the image path)', got: describePy(k) });
    const score = scoreOf(val);
    if (score === undefined) throw new InputError({ file: path, where: `key ${JSON.stringify(key)}`, expected: 'a number (Python float/int or numpy scalar)', got: describePy(val) });
    out.push({ key, score, where: `entry ${i}` });
    i++;
  }
  return out;
}
