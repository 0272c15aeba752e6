/**
 * The project's streaming unpickler. It builds plain values and never imports or calls anything: each global the
 * pickle names must be on the caller's whitelist (`UnpickleOptions.globals`), or the file is refused with an error
 * naming that global, where the pickle names it; REDUCE of a whitelisted global runs the caller's builder.
 *
 * Three whitelists use it: InsightFace verification `.bin` files (the default), PyTorch checkpoints
 * (`@aikd/fr-models`' torch reader, with persistent ids for tensor storages) and pickled score files (`@aikd/teachers`'
 * score import, numpy scalars; protocols 0–5, so protocol 0's text opcodes too). A `.bin` is a pickle of `(list of 2N
 * encoded images, list of N bools)`, written with these opcodes —
 *   Python 2, protocol 2 (the original releases): SHORT_BINSTRING / BINSTRING;
 *   Python 3, protocols 3–5: SHORT_BINBYTES / BINBYTES / BINBYTES8, with FRAME and MEMOIZE;
 *   Python 3, protocol 2: bytes written as `_codecs.encode(<latin-1 text>, 'latin1')` via GLOBAL + REDUCE —
 * and never copies image bytes: a string or bytes value becomes a `PickleBlob` (byte offset + length in the file),
 * read later with `readBlob`. Nothing is text-decoded, so the bytes come back exact whatever they contain. Memory
 * use is one read buffer plus a few numbers per image, whatever the file size.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { InputError } from '@aikd/core';

/**
 * Bytes of a string/bytes value, still in the file. `latin1-utf8` = text whose code points are the bytes. `inline`:
 * the stored bytes themselves, for a value that is not in the file as it is (protocol 0 writes escaped text).
 */
export class PickleBlob {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly encoding: 'raw' | 'latin1-utf8' = 'raw',
    readonly inline?: Uint8Array,
  ) {}
}

/** A unicode string (BINUNICODE…); short ones are read at once, long ones stay in the file like blobs. */
export class PickleText {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly inline: Uint8Array | undefined,
    /** False for protocol 0's text lines: decoded from escapes, so `inline` is all there is (not bytes of the file). */
    readonly inFile = true,
  ) {}
  text(): string | undefined {
    return this.inline && new TextDecoder('utf-8', { fatal: true }).decode(this.inline);
  }
}

export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

/** A dict (EMPTY_DICT…SETITEMS), or a dict-like object a builder made (an OrderedDict). BUILD's state is kept, not applied. */
export class PickleDict {
  readonly entries: [PickleValue, PickleValue][] = [];
  state: PickleValue | undefined;
  constructor(readonly type = 'dict') {}
  /** The value under a str or int key (the last one set, as in Python). */
  get(key: string | number): PickleValue | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) if (keyEquals(this.entries[i]![0], key)) return this.entries[i]![1];
    return undefined;
  }
  /** Keys that are short strings or ints, in insertion order. */
  keys(): (string | number)[] {
    return this.entries.map(([k]) => pickleKey(k)).filter((k): k is string | number => k !== undefined);
  }
}

/** What a whitelisted global's builder (or the persistent-id loader) made, e.g. a tensor reference; opaque here. */
export class PickleObject<T = unknown> {
  /** BUILD's state, kept, not applied (e.g. a numpy dtype's byte order, an ndarray's shape and bytes). */
  state: PickleValue | undefined;
  constructor(
    readonly type: string,
    readonly value: T,
  ) {}
}

export type PickleValue = null | boolean | number | bigint | PickleBlob | PickleText | PickleTuple | PickleGlobal | PickleDict | PickleObject | PickleValue[];

/** A str or int key as a JS value (undefined for anything else, and for long strings left in the file). */
export function pickleKey(v: PickleValue): string | number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof PickleText) return v.text();
  return undefined;
}
function keyEquals(v: PickleValue, key: string | number): boolean {
  return typeof key === 'number' ? v === key : v instanceof PickleText && v.length === Buffer.byteLength(key) && v.text() === key;
}

/** Builds a value from REDUCE's arguments; `fail` throws an error placed at the REDUCE. */
export type PickleBuilder = (args: PickleValue[], fail: (expected: string, got?: string) => never) => PickleValue;

/**
 * A whitelist: the globals a file type may name ('module.name'), each with what REDUCE of it builds (`null`: may be
 * named, e.g. a storage class inside a persistent id, but not called). `label` says in errors what the file is.
 */
export interface PickleGlobals {
  readonly label: string;
  readonly globals: ReadonlyMap<string, PickleBuilder | null>;
}

export interface UnpickleOptions {
  /** Read-buffer size in bytes (default 1 MiB). */
  bufferSize?: number;
  /** The whitelist (default: what InsightFace `.bin` files use). */
  globals?: PickleGlobals;
  /** BINPERSID: what a persistent id stands for (PyTorch: a storage). Without it a persistent id is refused. */
  persistentLoad?: (pid: PickleValue, fail: (expected: string, got?: string) => never) => PickleValue;
  /** Byte offset of the pickle in the source (files holding several pickles, e.g. PyTorch's legacy format). */
  start?: number;
}

/** Random access to the pickle's bytes (a file, or memory in tests). */
export interface ByteSource {
  readonly size: number;
  /** Copy up to `length` bytes at `position` into `into[0..]`; returns how many were copied. */
  read(into: Uint8Array, position: number, length: number): number;
}

/** An open file descriptor as a byte source (its size taken now). */
export function fileSource(fd: number): ByteSource {
  const size = fstatSync(fd).size;
  return { size, read: (into, position, len) => readSync(fd, into, 0, len, position) };
}

/** Bytes [start, start + size) of another source, as a source of their own (a member of an archive). */
export function windowSource(src: ByteSource, start: number, size: number): ByteSource {
  return { size, read: (into, position, len) => src.read(into, start + position, Math.max(0, Math.min(len, size - position))) };
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(into, position, length) {
      const n = Math.max(0, Math.min(length, bytes.length - position));
      into.set(bytes.subarray(position, position + n), 0);
      return n;
    },
  };
}

// Opcodes (names as in CPython's pickletools).
const OP = {
  MARK: 0x28, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, LONG: 0x4c, STRING: 0x53, UNICODE: 0x56,
  GET: 0x67, LIST: 0x6c, PUT: 0x70, EMPTY_TUPLE: 0x29, STOP: 0x2e, BINBYTES: 0x42, SHORT_BINBYTES: 0x43, BINFLOAT: 0x47, BININT: 0x4a,
  BININT1: 0x4b, BININT2: 0x4d, NONE: 0x4e, BINPERSID: 0x51, REDUCE: 0x52, BINSTRING: 0x54, SHORT_BINSTRING: 0x55,
  BINUNICODE: 0x58, EMPTY_LIST: 0x5d, APPEND: 0x61, BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, APPENDS: 0x65, BINGET: 0x68,
  LONG_BINGET: 0x6a, BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, SETITEMS: 0x75, EMPTY_DICT: 0x7d,
  PROTO: 0x80, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95,
} as const;

const OP_NAMES: Record<number, string> = {
  ...Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k])),
  // valid pickle opcodes the supported files never contain, named so the error says what was found
  0x50: 'PERSID', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

function opLabel(op: number): string {
  const ch = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
  const name = OP_NAMES[op];
  return `opcode 0x${op.toString(16).padStart(2, '0')}${ch}${name ? ` (${name})` : ''}`;
}

/** Short unicode strings (module names, 'latin1') are read at once; longer ones (image text) stay in the file. */
const INLINE_TEXT_MAX = 256;

class Truncated extends Error {
  constructor(
    readonly needed: number,
    readonly at: number,
  ) {
    super('truncated');
  }
}

class Reader {
  private buf: Uint8Array;
  private bufStart = 0;
  private bufEnd = 0;
  private view: DataView;
  pos = 0;

  constructor(
    private readonly src: ByteSource,
    bufferSize: number,
  ) {
    this.buf = new Uint8Array(bufferSize);
    this.view = new DataView(this.buf.buffer);
  }

  get size(): number {
    return this.src.size;
  }

  /** Make bytes [pos, pos+n) available in the buffer; returns their index in it. */
  private need(n: number): number {
    if (this.pos + n > this.src.size) throw new Truncated(n, this.pos);
    if (this.pos < this.bufStart || this.pos + n > this.bufEnd) {
      if (n > this.buf.length) {
        this.buf = new Uint8Array(n);
        this.view = new DataView(this.buf.buffer);
      }
      const len = Math.min(this.buf.length, this.src.size - this.pos);
      const got = this.src.read(this.buf, this.pos, len);
      if (got < n) throw new Truncated(n, this.pos);
      this.bufStart = this.pos;
      this.bufEnd = this.pos + got;
    }
    const i = this.pos - this.bufStart;
    this.pos += n;
    return i;
  }

  // need() may swap the buffer, so call it before touching this.buf / this.view
  u8(): number {
    const i = this.need(1);
    return this.buf[i]!;
  }
  u16(): number {
    const i = this.need(2);
    return this.view.getUint16(i, true);
  }
  u32(): number {
    const i = this.need(4);
    return this.view.getUint32(i, true);
  }
  i32(): number {
    const i = this.need(4);
    return this.view.getInt32(i, true);
  }
  /** BINFLOAT: an IEEE double, big-endian. */
  f64be(): number {
    const i = this.need(8);
    return this.view.getFloat64(i, false);
  }
  /** LONG1/LONG4: n bytes of little-endian two's complement; a number when exact, else a bigint. */
  long(n: number): number | bigint {
    if (n === 0) return 0;
    const b = this.bytes(n);
    let v = 0n;
    for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[k]!);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  /** 8-byte unsigned length; lengths beyond 2^53 cannot be real here and are reported as corrupt. */
  u64(): number {
    const i = this.need(8);
    const lo = this.view.getUint32(i, true);
    const hi = this.view.getUint32(i + 4, true);
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number): Uint8Array {
    const i = this.need(n);
    return this.buf.slice(i, i + n);
  }
  /** Step over n bytes without reading them (image data). */
  skip(n: number): number {
    const at = this.pos;
    if (at + n > this.src.size) throw new Truncated(n, at);
    this.pos += n;
    return at;
  }
  /** A '\n'-terminated ASCII line (GLOBAL's module and name). */
  line(max = 512): string {
    let s = '';
    for (;;) {
      const c = this.u8();
      if (c === 0x0a) return s;
      s += String.fromCharCode(c);
      if (s.length > max) throw new Error(`a text line longer than ${max} bytes`);
    }
  }
}

/**
 * Unpickle from a byte source. `file` names the source in errors; `options` a buffer size (the old signature) or the
 * whitelist and hooks. Errors: a global not on the whitelist (named), unknown or unsupported opcode (named, with its
 * byte offset), truncated input (what was being read, where, and where the file ends), corrupt structure.
 */
export function unpickle(src: ByteSource, file: string, options: number | UnpickleOptions = {}): PickleValue {
  return unpickleAt(src, file, typeof options === 'number' ? { bufferSize: options } : options).value;
}

/** As `unpickle`, also returning the byte offset just after the STOP (where a following pickle would start). */
export function unpickleAt(src: ByteSource, file: string, options: UnpickleOptions = {}): { value: PickleValue; end: number } {
  const r = new Reader(src, options.bufferSize ?? 1 << 20);
  r.pos = options.start ?? 0;
  const whitelist = options.globals ?? BIN_GLOBALS;
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let op = -1;
  let opAt = 0;

  const corrupt = (expected: string, got?: string): never => {
    throw new InputError({ file, where: `byte offset ${opAt}, ${opLabel(op)}`, expected, got });
  };
  // values above the innermost MARK are the ones an opcode may consume (CPython: "stack underflow" otherwise)
  const floor = () => (marks.length ? marks[marks.length - 1]! : 0);
  const pop = (): PickleValue => (stack.length > floor() ? stack.pop()! : corrupt('a value on the pickle stack', 'an empty stack'));
  const top = (): PickleValue => (stack.length > floor() ? stack[stack.length - 1]! : corrupt('a value on the pickle stack', 'an empty stack'));
  const popMark = (): PickleValue[] => {
    const m = marks.pop();
    if (m === undefined) corrupt('a MARK before this opcode', 'no MARK');
    return stack.splice(m!);
  };
  const length = (n: number): number => (n < 0 || !Number.isSafeInteger(n) ? corrupt('a valid length', String(n)) : n);
  const blob = (n: number): PickleBlob => new PickleBlob(r.skip(length(n)), n);
  const text = (n: number): PickleText => {
    length(n);
    if (n <= INLINE_TEXT_MAX) {
      const at = r.pos;
      return new PickleText(at, n, r.bytes(n));
    }
    return new PickleText(r.skip(n), n, undefined);
  };
  const appendTo = (items: PickleValue[]) => {
    const list = top();
    if (!Array.isArray(list)) corrupt('a list to append to', describe(list));
    for (const it of items) (list as PickleValue[]).push(it);
  };
  const setItems = (d: PickleValue, kv: PickleValue[]) => {
    if (!(d instanceof PickleDict)) return corrupt('a dict to set items in', describe(d));
    if (kv.length % 2) return corrupt('key/value pairs', `${kv.length} values`);
    for (let i = 0; i < kv.length; i += 2) d.entries.push([kv[i]!, kv[i + 1]!]);
  };
  // refused where the pickle names it, before anything could use it
  const allowed = (g: PickleGlobal): PickleGlobal =>
    whitelist.globals.has(`${g.module}.${g.name}`) ? g : corrupt(`only the globals ${whitelist.label} may name (${[...whitelist.globals.keys()].join(', ')})`, `global ${g.module}.${g.name}`);
  const textLine = (what: string): string => {
    try {
      return r.line(1 << 24);
    } catch (e) {
      if (e instanceof Truncated) throw e;
      return corrupt(what, (e as Error).message);
    }
  };
  const memoGet = (key: number): PickleValue => (memo.has(key) ? memo.get(key)! : corrupt(`memo entry ${key} to be defined`, 'an undefined memo key'));

  try {
    for (;;) {
      opAt = r.pos;
      op = r.u8();
      switch (op) {
        case OP.PROTO: {
          const v = r.u8();
          if (v > 5) corrupt('pickle protocol 0–5', `protocol ${v}`);
          break;
        }
        case OP.FRAME:
          r.u64(); // frames only group small opcodes for buffered writers; reading through them is the same
          break;
        case OP.STOP:
          if (stack.length !== 1 || marks.length) corrupt('exactly one value on the stack at STOP', `${stack.length} values, ${marks.length} open MARKs`);
          return { value: stack[0]!, end: r.pos };
        case OP.MARK:
          marks.push(stack.length);
          break;
        case OP.EMPTY_LIST:
          stack.push([]);
          break;
        case OP.APPEND: {
          const v = pop();
          appendTo([v]);
          break;
        }
        case OP.APPENDS:
          appendTo(popMark());
          break;
        case OP.EMPTY_DICT:
          stack.push(new PickleDict());
          break;
        case OP.DICT: {
          const d = new PickleDict();
          setItems(d, popMark());
          stack.push(d);
          break;
        }
        case OP.SETITEM: {
          const v = pop();
          const k = pop();
          setItems(top(), [k, v]);
          break;
        }
        case OP.SETITEMS: {
          const kv = popMark();
          setItems(top(), kv);
          break;
        }
        case OP.BUILD: {
          const state = pop();
          const obj = top();
          if (!(obj instanceof PickleDict || obj instanceof PickleObject)) corrupt('a dict-like object or a whitelisted call\'s result before BUILD', describe(obj));
          (obj as PickleDict | PickleObject).state = state;
          break;
        }
        // protocol 0 (text) forms, as Python writes them at protocol 0 and 1
        case OP.POP:
          if (stack.length > floor()) stack.pop();
          else popMark(); // CPython: POP with nothing above a MARK discards the MARK
          break;
        case OP.POP_MARK:
          popMark();
          break;
        case OP.DUP:
          stack.push(top());
          break;
        case OP.LIST:
          stack.push(popMark());
          break;
        case OP.PUT:
          memo.set(Number(textLine('a memo key')), top());
          break;
        case OP.GET:
          stack.push(memoGet(Number(textLine('a memo key'))));
          break;
        case OP.INT: {
          const t = textLine('an integer'); // 00 / 01 are False / True
          stack.push(t === '00' ? false : t === '01' ? true : Number(t));
          break;
        }
        case OP.LONG:
          stack.push(Number(textLine('an integer').replace(/L$/, '')));
          break;
        case OP.FLOAT: {
          const t = textLine('a number').trim(); // Python's repr: also inf, -inf, nan
          stack.push(/^[-+]?inf$/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : /^[-+]?nan$/i.test(t) ? NaN : Number(t));
          break;
        }
        case OP.STRING: {
          const v = stringRepr(textLine('a quoted string'));
          if (v === undefined) corrupt("a quoted string (protocol 0's STRING)");
          stack.push(lineText(v!, opAt)); // a Python 2 str: its bytes as latin-1 text
          break;
        }
        case OP.UNICODE:
          stack.push(lineText(rawUnicodeEscape(textLine('a text line')), opAt));
          break;
        case OP.BINPERSID: {
          const pid = pop();
          if (!options.persistentLoad) corrupt(`no persistent ids in ${whitelist.label}`, `a persistent id ${describe(pid)}`);
          stack.push(options.persistentLoad!(pid, corrupt));
          break;
        }
        case OP.BINFLOAT:
          stack.push(r.f64be());
          break;
        case OP.LONG1:
          stack.push(r.long(r.u8()));
          break;
        case OP.LONG4:
          stack.push(r.long(length(r.i32())));
          break;
        case OP.EMPTY_TUPLE:
          stack.push(new PickleTuple([]));
          break;
        case OP.TUPLE:
          stack.push(new PickleTuple(popMark()));
          break;
        case OP.TUPLE1:
        case OP.TUPLE2:
        case OP.TUPLE3: {
          const n = op - OP.TUPLE1 + 1;
          const items: PickleValue[] = [];
          for (let i = 0; i < n; i++) items.unshift(pop());
          stack.push(new PickleTuple(items));
          break;
        }
        case OP.BINPUT:
          memo.set(r.u8(), top());
          break;
        case OP.LONG_BINPUT:
          memo.set(r.u32(), top());
          break;
        case OP.MEMOIZE:
          memo.set(memo.size, top());
          break;
        case OP.BINGET:
          stack.push(memoGet(r.u8()));
          break;
        case OP.LONG_BINGET:
          stack.push(memoGet(r.u32()));
          break;
        case OP.SHORT_BINSTRING:
        case OP.SHORT_BINBYTES:
          stack.push(blob(r.u8()));
          break;
        case OP.BINSTRING:
          stack.push(blob(r.i32())); // signed in CPython; a negative length is corrupt
          break;
        case OP.BINBYTES:
          stack.push(blob(r.u32()));
          break;
        case OP.BINBYTES8:
          stack.push(blob(r.u64()));
          break;
        case OP.SHORT_BINUNICODE:
          stack.push(text(r.u8()));
          break;
        case OP.BINUNICODE:
          stack.push(text(r.u32()));
          break;
        case OP.BINUNICODE8:
          stack.push(text(r.u64()));
          break;
        case OP.NEWTRUE:
          stack.push(true);
          break;
        case OP.NEWFALSE:
          stack.push(false);
          break;
        case OP.NONE:
          stack.push(null);
          break;
        case OP.BININT:
          stack.push(r.i32());
          break;
        case OP.BININT1:
          stack.push(r.u8());
          break;
        case OP.BININT2:
          stack.push(r.u16());
          break;
        case OP.GLOBAL: {
          const mod = r.line();
          const name = r.line();
          stack.push(allowed(new PickleGlobal(mod, name)));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = pop();
          const mod = pop();
          const m = mod instanceof PickleText ? mod.text() : undefined;
          const n = name instanceof PickleText ? name.text() : undefined;
          if (m === undefined || n === undefined) corrupt('module and name strings before STACK_GLOBAL', `${describe(mod)}, ${describe(name)}`);
          stack.push(allowed(new PickleGlobal(m!, n!)));
          break;
        }
        case OP.REDUCE: {
          const args = pop();
          const fn = pop();
          if (!(fn instanceof PickleGlobal)) corrupt('a callable (GLOBAL) before REDUCE', describe(fn));
          if (!(args instanceof PickleTuple)) corrupt('an argument tuple before REDUCE', describe(args));
          const g = fn as PickleGlobal;
          const build = whitelist.globals.get(`${g.module}.${g.name}`);
          if (!build) corrupt(`a callable global of ${whitelist.label} (${callables(whitelist)})`, `a call of ${g.module}.${g.name}`);
          stack.push(build!((args as PickleTuple).items, corrupt));
          break;
        }
        default:
          throw new InputError({
            file,
            where: `byte offset ${opAt}`,
            expected: `a pickle opcode of ${whitelist.label} (containers, numbers, str/bytes, whitelisted calls; protocols 0–5)`,
            got: opLabel(op),
          });
      }
    }
  } catch (e) {
    if (e instanceof Truncated) {
      throw new InputError({
        file,
        where: `byte offset ${opAt}, ${op < 0 ? 'start' : opLabel(op)}`,
        expected: `${e.needed} more byte${e.needed === 1 ? '' : 's'} at byte ${e.at} (a complete pickle ending with STOP)`,
        got: `end of file at byte ${r.size}: the file is truncated`,
      });
    }
    if (e instanceof InputError) throw e;
    throw new InputError({ file, where: `byte offset ${opAt}, ${opLabel(op)}`, expected: 'a well-formed pickle', got: (e as Error).message });
  }
}

/** A text value decoded from a protocol-0 line, as a PickleText holding its UTF-8 bytes. */
function lineText(t: string, at: number): PickleText {
  const b = new TextEncoder().encode(t);
  return new PickleText(at, b.length, b, false);
}

/** Protocol 0's STRING: a Python repr in quotes, with \\x.., \\n, \\' … escapes. */
function stringRepr(s: string): string | undefined {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s.length < 2 || s[s.length - 1] !== q) return undefined;
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt])/g, (_, e: string) =>
    e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : (({ n: '\n', r: '\r', t: '\t' }) as Record<string, string>)[e] ?? e,
  );
}

/** Protocol 0's UNICODE: raw-unicode-escape (latin-1 bytes, with \\uXXXX / \\UXXXXXXXX for the rest). */
const rawUnicodeEscape = (s: string): string => s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string, b: string) => String.fromCodePoint(parseInt(a ?? b, 16)));

function callables(w: PickleGlobals): string {
  return [...w.globals].filter(([, b]) => b).map(([k]) => k).join(', ');
}

/**
 * What InsightFace `.bin` files may name: `_codecs.encode(text, 'latin1')` (Python 3, protocol 2 bytes) and `bytes()`.
 */
export const BIN_GLOBALS: PickleGlobals = {
  label: 'an InsightFace .bin file',
  globals: new Map<string, PickleBuilder>([
    ['_codecs.encode', latin1Encode],
    ['builtins.bytes', emptyBytes],
    ['__builtin__.bytes', emptyBytes],
  ]),
};

function latin1Encode(args: PickleValue[], fail: (expected: string, got?: string) => never): PickleValue {
  const [data, enc] = args;
  const encoding = enc instanceof PickleText ? enc.text()?.toLowerCase().replace(/[-_]/g, '') : undefined;
  if (args.length !== 2 || !(data instanceof PickleText) || (encoding !== 'latin1' && encoding !== 'iso88591'))
    return fail("_codecs.encode(<text>, 'latin1') (how Python 3 writes bytes at protocol 2)", `_codecs.encode with ${args.map(describe).join(', ')}`);
  return new PickleBlob(data.offset, data.length, 'latin1-utf8', data.inFile ? undefined : data.inline);
}

function emptyBytes(args: PickleValue[], fail: (expected: string, got?: string) => never): PickleValue {
  return args.length === 0 ? new PickleBlob(0, 0) : fail('bytes() without arguments', `bytes with ${args.length}`);
}

export function describe(v: PickleValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? `int ${v}` : `float ${v}`;
  if (typeof v === 'bigint') return `int ${v}`;
  if (v instanceof PickleDict) return `${v.type} of ${v.entries.length}`;
  if (v instanceof PickleObject) return v.type;
  if (v instanceof PickleBlob) return `bytes[${v.length}]`;
  if (v instanceof PickleText) return `str[${v.length} bytes]`;
  if (v instanceof PickleTuple) return `tuple of ${v.items.length}`;
  if (v instanceof PickleGlobal) return `global ${v.module}.${v.name}`;
  return `list of ${v.length}`;
}

/** Unpickle a file, reading it in buffered chunks (sync: used once at open, never on the hot path). */
export function unpicklePath(path: string, options?: number | UnpickleOptions): PickleValue {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError({ file: path, expected: 'a readable pickle file', got: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  try {
    return unpickle(fileSource(fd), path, options);
  } finally {
    closeSync(fd);
  }
}

/**
 * Turn the stored form of a blob into its exact bytes: raw blobs as they are; `latin1-utf8` blobs hold UTF-8 text
 * whose code points are all below 256, each being one byte of the original value.
 */
export function blobBytes(stored: Uint8Array, blob: PickleBlob, file: string): Uint8Array {
  if (blob.encoding === 'raw') return stored;
  const out = new Uint8Array(stored.length);
  let n = 0;
  for (let i = 0; i < stored.length; i++) {
    const b = stored[i]!;
    if (b < 0x80) out[n++] = b;
    else if ((b === 0xc2 || b === 0xc3) && i + 1 < stored.length && (stored[i + 1]! & 0xc0) === 0x80) out[n++] = ((b & 0x1f) << 6) | (stored[++i]! & 0x3f);
    else
      throw new InputError({
        file,
        where: `byte offset ${blob.offset + i}`,
        expected: "latin-1 text encoded as UTF-8 (the argument of _codecs.encode(…, 'latin1'))",
        got: `byte 0x${b.toString(16)}`,
      });
  }
  return out.subarray(0, n);
}

/** Read one blob's exact bytes from an open file. */
export async function readBlob(fh: FileHandle, blob: PickleBlob, file: string): Promise<Uint8Array> {
  if (blob.inline) return blobBytes(blob.inline, blob, file);
  const buf = new Uint8Array(blob.length);
  let done = 0;
  while (done < blob.length) {
    const { bytesRead } = await fh.read(buf, done, blob.length - done, blob.offset + done);
    if (bytesRead === 0)
      throw new InputError({ file, where: `byte offset ${blob.offset + done}`, expected: `${blob.length - done} more bytes of an image`, got: 'end of file (the file changed or was truncated after it was opened)' });
    done += bytesRead;
  }
  return blobBytes(buf, blob, file);
}
