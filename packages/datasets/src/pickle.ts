/**
 * A small streaming unpickler for InsightFace verification `.bin` files: a pickle of `(list of 2N encoded images,
 * list of N bools)`. It reads exactly the opcodes those files use —
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

/** Bytes of a string/bytes value, still in the file. `latin1-utf8` = text whose code points are the bytes. */
export class PickleBlob {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly encoding: 'raw' | 'latin1-utf8' = 'raw',
  ) {}
}

/** A unicode string (BINUNICODE…); short ones are read at once, long ones stay in the file like blobs. */
export class PickleText {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly inline: Uint8Array | undefined,
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

export type PickleValue = null | boolean | number | PickleBlob | PickleText | PickleTuple | PickleGlobal | PickleValue[];

/** Random access to the pickle's bytes (a file, or memory in tests). */
export interface ByteSource {
  readonly size: number;
  /** Copy up to `length` bytes at `position` into `into[0..]`; returns how many were copied. */
  read(into: Uint8Array, position: number, length: number): number;
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
  MARK: 0x28, EMPTY_TUPLE: 0x29, STOP: 0x2e, BINBYTES: 0x42, SHORT_BINBYTES: 0x43, BININT: 0x4a, BININT1: 0x4b,
  BININT2: 0x4d, NONE: 0x4e, REDUCE: 0x52, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, BINUNICODE: 0x58, EMPTY_LIST: 0x5d,
  APPEND: 0x61, GLOBAL: 0x63, APPENDS: 0x65, BINGET: 0x68, LONG_BINGET: 0x6a, BINPUT: 0x71, LONG_BINPUT: 0x72,
  TUPLE: 0x74, PROTO: 0x80, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89,
  SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95,
} as const;

const OP_NAMES: Record<number, string> = {
  ...Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k])),
  // valid pickle opcodes these files never contain, named so the error says what was found
  0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x47: 'BINFLOAT', 0x49: 'INT', 0x4c: 'LONG',
  0x50: 'PERSID', 0x51: 'BINPERSID', 0x53: 'STRING', 0x56: 'UNICODE', 0x62: 'BUILD', 0x64: 'DICT', 0x67: 'GET',
  0x69: 'INST', 0x6c: 'LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x73: 'SETITEM', 0x75: 'SETITEMS', 0x7d: 'EMPTY_DICT',
  0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x8f: 'EMPTY_SET',
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
      if (s.length > max) throw new Error(`a GLOBAL name longer than ${max} bytes`);
    }
  }
}

/**
 * Unpickle from a byte source. `file` names the source in errors. Errors: unknown or unsupported opcode (named,
 * with its byte offset), truncated input (what was being read, where, and where the file ends), corrupt structure.
 */
export function unpickle(src: ByteSource, file: string, bufferSize = 1 << 20): PickleValue {
  const r = new Reader(src, bufferSize);
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
          return stack[0]!;
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
          stack.push(new PickleGlobal(mod, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = pop();
          const mod = pop();
          const m = mod instanceof PickleText ? mod.text() : undefined;
          const n = name instanceof PickleText ? name.text() : undefined;
          if (m === undefined || n === undefined) corrupt('module and name strings before STACK_GLOBAL', `${describe(mod)}, ${describe(name)}`);
          stack.push(new PickleGlobal(m!, n!));
          break;
        }
        case OP.REDUCE: {
          const args = pop();
          const fn = pop();
          stack.push(reduce(fn, args, corrupt));
          break;
        }
        default:
          throw new InputError({
            file,
            where: `byte offset ${opAt}`,
            expected: 'a pickle opcode used by InsightFace .bin files (lists/tuples of str/bytes and bools, protocols 2–5)',
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

/** The only calls these files make: `_codecs.encode(text, 'latin1')` (Python 3, protocol 2 bytes) and `bytes()`. */
function reduce(fn: PickleValue, args: PickleValue, corrupt: (expected: string, got?: string) => never): PickleValue {
  if (!(fn instanceof PickleGlobal)) return corrupt('a callable (GLOBAL) before REDUCE', describe(fn));
  if (!(args instanceof PickleTuple)) return corrupt('an argument tuple before REDUCE', describe(args));
  const qualified = `${fn.module}.${fn.name}`;
  if (qualified === '_codecs.encode') {
    const [data, enc] = args.items;
    const encoding = enc instanceof PickleText ? enc.text()?.toLowerCase().replace(/[-_]/g, '') : undefined;
    if (args.items.length !== 2 || !(data instanceof PickleText) || (encoding !== 'latin1' && encoding !== 'iso88591'))
      return corrupt("_codecs.encode(<text>, 'latin1') (how Python 3 writes bytes at protocol 2)", `_codecs.encode with ${args.items.map(describe).join(', ')}`);
    return new PickleBlob(data.offset, data.length, 'latin1-utf8');
  }
  if ((qualified === '__builtin__.bytes' || qualified === 'builtins.bytes') && args.items.length === 0) return new PickleBlob(0, 0);
  return corrupt('only _codecs.encode or bytes as a REDUCE callable', qualified);
}

export function describe(v: PickleValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return `int ${v}`;
  if (v instanceof PickleBlob) return `bytes[${v.length}]`;
  if (v instanceof PickleText) return `str[${v.length} bytes]`;
  if (v instanceof PickleTuple) return `tuple of ${v.items.length}`;
  if (v instanceof PickleGlobal) return `global ${v.module}.${v.name}`;
  return `list of ${v.length}`;
}

/** Unpickle a file, reading it in buffered chunks (sync: used once at open, never on the hot path). */
export function unpicklePath(path: string, bufferSize?: number): PickleValue {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError({ file: path, expected: 'a readable pickle file', got: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  try {
    const size = fstatSync(fd).size;
    const src: ByteSource = { size, read: (into, position, len) => readSync(fd, into, 0, len, position) };
    return unpickle(src, path, bufferSize);
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
