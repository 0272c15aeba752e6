/**
 * A small reader/writer for the ONNX protobuf schema (onnx.proto3): enough to build test models in TypeScript,
 * to read a user's model's graph and initializers (weight import, splitting a recogniser before its last linear
 * layer), and to write a modified model back. Field numbers follow onnx/onnx.proto3.
 */
import { float16ToFloat32 } from '@aikd/core';

// ---------------------------------------------------------------- wire format
type Field = { no: number; wire: number; v: bigint | Uint8Array };

function readVarint(b: Uint8Array, pos: { p: number }): bigint {
  let r = 0n, shift = 0n;
  for (;;) {
    if (pos.p >= b.length) throw new Error('truncated varint');
    const x = b[pos.p++]!;
    r |= BigInt(x & 0x7f) << shift;
    if (!(x & 0x80)) return r;
    shift += 7n;
    if (shift > 70n) throw new Error('varint too long');
  }
}

function decodeFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const pos = { p: 0 };
  while (pos.p < b.length) {
    const key = Number(readVarint(b, pos));
    const no = key >>> 3, wire = key & 7;
    if (wire === 0) out.push({ no, wire, v: readVarint(b, pos) });
    else if (wire === 2) {
      const len = Number(readVarint(b, pos));
      if (pos.p + len > b.length) throw new Error(`truncated field ${no}`);
      out.push({ no, wire, v: b.subarray(pos.p, pos.p + len) });
      pos.p += len;
    } else if (wire === 1) {
      out.push({ no, wire, v: b.subarray(pos.p, pos.p + 8) });
      pos.p += 8;
    } else if (wire === 5) {
      out.push({ no, wire, v: b.subarray(pos.p, pos.p + 4) });
      pos.p += 4;
    } else throw new Error(`unsupported wire type ${wire} (field ${no})`);
  }
  return out;
}

const td = new TextDecoder();
const te = new TextEncoder();
const str = (f: Field) => td.decode(f.v as Uint8Array);
const int = (f: Field) => (f.wire === 0 ? BigInt.asIntN(64, f.v as bigint) : 0n);
const f32 = (f: Field) => new DataView((f.v as Uint8Array).buffer, (f.v as Uint8Array).byteOffset, 4).getFloat32(0, true);

/** Repeated int64 that may be packed (wire 2) or not (wire 0). */
function ints(fields: Field[], no: number): number[] {
  const r: number[] = [];
  for (const f of fields.filter((x) => x.no === no)) {
    if (f.wire === 0) r.push(Number(int(f)));
    else {
      const pos = { p: 0 }, b = f.v as Uint8Array;
      while (pos.p < b.length) r.push(Number(BigInt.asIntN(64, readVarint(b, pos))));
    }
  }
  return r;
}
function floats(fields: Field[], no: number): number[] {
  const r: number[] = [];
  for (const f of fields.filter((x) => x.no === no)) {
    const b = f.v as Uint8Array;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i + 4 <= b.byteLength; i += 4) r.push(dv.getFloat32(i, true));
  }
  return r;
}

class Writer {
  private parts: Uint8Array[] = [];
  private varint(x: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(x));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v) byte |= 0x80;
      bytes.push(byte);
    } while (v);
    this.parts.push(Uint8Array.from(bytes));
  }
  key(no: number, wire: number) {
    this.varint((no << 3) | wire);
  }
  int(no: number, x: number | bigint) {
    this.key(no, 0);
    this.varint(x);
  }
  bytes(no: number, b: Uint8Array) {
    this.key(no, 2);
    this.varint(b.length);
    this.parts.push(b);
  }
  string(no: number, s: string) {
    this.bytes(no, te.encode(s));
  }
  float(no: number, x: number) {
    this.key(no, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    this.parts.push(b);
  }
  packedInts(no: number, xs: readonly number[]) {
    const w = new Writer();
    for (const x of xs) w.varint(x);
    this.bytes(no, w.finish());
  }
  packedFloats(no: number, xs: readonly number[]) {
    const b = new Uint8Array(xs.length * 4);
    const dv = new DataView(b.buffer);
    xs.forEach((x, i) => dv.setFloat32(i * 4, x, true));
    this.bytes(no, b);
  }
  finish(): Uint8Array {
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------- ONNX messages
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian raw bytes (`raw_data`), or undefined when the values are in typed fields. */
  raw?: Uint8Array;
  floatData?: number[];
  int64Data?: number[];
  int32Data?: number[];
}
export type OnnxAttribute =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'tensor'; value: OnnxTensor }
  | { name: string; type: 'floats'; value: number[] }
  | { name: string; type: 'ints'; value: number[] };
export interface OnnxNode {
  name: string;
  opType: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}
export interface OnnxValueInfo {
  name: string;
  elemType?: number;
  /** number = fixed size, string = symbolic (e.g. "batch"), null = unknown. */
  shape?: (number | string | null)[];
}
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}
export interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName?: string;
  graph: OnnxGraph;
}

function decodeTensor(b: Uint8Array): OnnxTensor {
  const f = decodeFields(b);
  const one = (no: number) => f.find((x) => x.no === no);
  const t: OnnxTensor = { name: one(8) ? str(one(8)!) : '', dims: ints(f, 1), dataType: one(2) ? Number(one(2)!.v) : 0 };
  if (one(9)) t.raw = one(9)!.v as Uint8Array;
  if (f.some((x) => x.no === 4)) t.floatData = floats(f, 4);
  if (f.some((x) => x.no === 7)) t.int64Data = ints(f, 7);
  if (f.some((x) => x.no === 5)) t.int32Data = ints(f, 5);
  if (f.some((x) => x.no === 13)) throw new Error(`tensor "${t.name}" keeps its data in an external file; re-export the model with the weights embedded`);
  return t;
}
function decodeAttribute(b: Uint8Array): OnnxAttribute {
  const f = decodeFields(b);
  const one = (no: number) => f.find((x) => x.no === no);
  const name = one(1) ? str(one(1)!) : '';
  const type = one(20) ? Number(one(20)!.v) : 0;
  switch (type) {
    case 1: return { name, type: 'float', value: one(2) ? f32(one(2)!) : 0 };
    case 2: return { name, type: 'int', value: one(3) ? Number(int(one(3)!)) : 0 };
    case 3: return { name, type: 'string', value: one(4) ? str(one(4)!) : '' };
    case 4: return { name, type: 'tensor', value: decodeTensor(one(5)!.v as Uint8Array) };
    case 6: return { name, type: 'floats', value: floats(f, 7) };
    case 7: return { name, type: 'ints', value: ints(f, 8) };
    default: throw new Error(`attribute "${name}" has a type (${type}) this reader does not handle`);
  }
}
function decodeNode(b: Uint8Array): OnnxNode {
  const f = decodeFields(b);
  return {
    inputs: f.filter((x) => x.no === 1).map(str),
    outputs: f.filter((x) => x.no === 2).map(str),
    name: f.find((x) => x.no === 3) ? str(f.find((x) => x.no === 3)!) : '',
    opType: str(f.find((x) => x.no === 4)!),
    domain: f.find((x) => x.no === 7) ? str(f.find((x) => x.no === 7)!) : undefined,
    attributes: f.filter((x) => x.no === 5).map((x) => decodeAttribute(x.v as Uint8Array)),
  };
}
function decodeValueInfo(b: Uint8Array): OnnxValueInfo {
  const f = decodeFields(b);
  const vi: OnnxValueInfo = { name: str(f.find((x) => x.no === 1)!) };
  const type = f.find((x) => x.no === 2);
  const tt = type && decodeFields(type.v as Uint8Array).find((x) => x.no === 1);
  if (tt) {
    const tf = decodeFields(tt.v as Uint8Array);
    const et = tf.find((x) => x.no === 1);
    if (et) vi.elemType = Number(et.v);
    const shape = tf.find((x) => x.no === 2);
    if (shape)
      vi.shape = decodeFields(shape.v as Uint8Array)
        .filter((x) => x.no === 1)
        .map((d) => {
          const df = decodeFields(d.v as Uint8Array);
          const v = df.find((x) => x.no === 1), p = df.find((x) => x.no === 2);
          return v ? Number(int(v)) : p ? str(p) : null;
        });
  }
  return vi;
}
function decodeGraph(b: Uint8Array): OnnxGraph {
  const f = decodeFields(b);
  return {
    name: f.find((x) => x.no === 2) ? str(f.find((x) => x.no === 2)!) : '',
    nodes: f.filter((x) => x.no === 1).map((x) => decodeNode(x.v as Uint8Array)),
    initializers: f.filter((x) => x.no === 5).map((x) => decodeTensor(x.v as Uint8Array)),
    inputs: f.filter((x) => x.no === 11).map((x) => decodeValueInfo(x.v as Uint8Array)),
    outputs: f.filter((x) => x.no === 12).map((x) => decodeValueInfo(x.v as Uint8Array)),
    valueInfo: f.filter((x) => x.no === 13).map((x) => decodeValueInfo(x.v as Uint8Array)),
  };
}

/** Parse an ONNX model file's bytes. Tensor data are views into `bytes` (no copy). */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const f = decodeFields(bytes);
  const g = f.find((x) => x.no === 7);
  if (!g) throw new Error('no graph in the model (is this an ONNX file?)');
  return {
    irVersion: Number(f.find((x) => x.no === 1)?.v ?? 0n),
    opsets: f
      .filter((x) => x.no === 8)
      .map((x) => {
        const o = decodeFields(x.v as Uint8Array);
        return { domain: o.find((y) => y.no === 1) ? str(o.find((y) => y.no === 1)!) : '', version: Number(o.find((y) => y.no === 2)?.v ?? 0n) };
      }),
    producerName: f.find((x) => x.no === 2) ? str(f.find((x) => x.no === 2)!) : undefined,
    graph: decodeGraph(g.v as Uint8Array),
  };
}

function encodeTensor(t: OnnxTensor): Uint8Array {
  const w = new Writer();
  w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  if (t.floatData) w.packedFloats(4, t.floatData);
  if (t.int32Data) w.packedInts(5, t.int32Data);
  if (t.int64Data) w.packedInts(7, t.int64Data);
  w.string(8, t.name);
  if (t.raw) w.bytes(9, t.raw);
  return w.finish();
}
function encodeAttribute(a: OnnxAttribute): Uint8Array {
  const w = new Writer();
  w.string(1, a.name);
  switch (a.type) {
    case 'float': w.float(2, a.value); w.int(20, 1); break;
    case 'int': w.int(3, a.value); w.int(20, 2); break;
    case 'string': w.string(4, a.value); w.int(20, 3); break;
    case 'tensor': w.bytes(5, encodeTensor(a.value)); w.int(20, 4); break;
    case 'floats': w.packedFloats(7, a.value); w.int(20, 6); break;
    case 'ints': w.packedInts(8, a.value); w.int(20, 7); break;
  }
  return w.finish();
}
function encodeNode(n: OnnxNode): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes) w.bytes(5, encodeAttribute(a));
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}
function encodeValueInfo(v: OnnxValueInfo): Uint8Array {
  const shape = new Writer();
  for (const d of v.shape ?? []) {
    const dw = new Writer();
    if (typeof d === 'number') dw.int(1, d);
    else if (typeof d === 'string') dw.string(2, d);
    shape.bytes(1, dw.finish());
  }
  const tt = new Writer();
  tt.int(1, v.elemType ?? DataType.FLOAT);
  if (v.shape) tt.bytes(2, shape.finish());
  const type = new Writer();
  type.bytes(1, tt.finish());
  const w = new Writer();
  w.string(1, v.name);
  w.bytes(2, type.finish());
  return w.finish();
}

export function encodeModel(m: OnnxModel): Uint8Array {
  const g = new Writer();
  for (const n of m.graph.nodes) g.bytes(1, encodeNode(n));
  g.string(2, m.graph.name || 'graph');
  for (const t of m.graph.initializers) g.bytes(5, encodeTensor(t));
  for (const v of m.graph.inputs) g.bytes(11, encodeValueInfo(v));
  for (const v of m.graph.outputs) g.bytes(12, encodeValueInfo(v));
  for (const v of m.graph.valueInfo) g.bytes(13, encodeValueInfo(v));
  const w = new Writer();
  w.int(1, m.irVersion);
  if (m.producerName) w.string(2, m.producerName);
  w.bytes(7, g.finish());
  for (const o of m.opsets) {
    const ow = new Writer();
    if (o.domain) ow.string(1, o.domain);
    ow.int(2, o.version);
    w.bytes(8, ow.finish());
  }
  return w.finish();
}

/** A float32 initializer from values (stored as raw little-endian bytes). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  const f = Float32Array.from(values as ArrayLike<number>);
  if (f.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`floatTensor ${name}: ${f.length} values for dims ${dims}`);
  return { name, dims, dataType: DataType.FLOAT, raw: new Uint8Array(f.buffer) };
}
export function int64Tensor(name: string, dims: number[], values: number[]): OnnxTensor {
  return { name, dims, dataType: DataType.INT64, int64Data: values };
}

/** The float32 values of an initializer, whatever field holds them. */
export function tensorFloats(t: OnnxTensor): Float32Array {
  if (t.dataType === DataType.FLOAT) {
    if (t.raw) return new Float32Array(t.raw.slice().buffer);
    return Float32Array.from(t.floatData ?? []);
  }
  if (t.dataType === DataType.FLOAT16 && t.raw) {
    return float16ToFloat32(new Uint16Array(t.raw.slice().buffer));
  }
  if (t.dataType === DataType.DOUBLE && t.raw) return Float32Array.from(new Float64Array(t.raw.slice().buffer));
  throw new Error(`initializer "${t.name}" has data type ${t.dataType}, not a float type`);
}

