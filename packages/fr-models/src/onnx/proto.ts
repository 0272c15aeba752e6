/**
 * ONNX models as plain typed values, read and written with onnx-proto (ONNX's protobuf schema compiled for
 * protobufjs): enough to build test models in TypeScript, to read a user's model's graph and initializers (weight
 * import, splitting a recogniser before its last linear layer), and to write a modified model back.
 */
import onnxProto from 'onnx-proto';
import { float16ToFloat32 } from '@aikd/core';

const { onnx } = onnxProto;
type Int64 = number | { toNumber(): number } | null | undefined;
/** int64 fields arrive as numbers or Long objects (exact up to 2^53, like every size and index here). */
const num = (x: Int64): number => (x == null ? 0 : typeof x === 'number' ? x : x.toNumber());
/** A plain Uint8Array view (protobufjs may hand out Buffers, whose slice() does not copy). */
const view = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const has = (m: object, key: string) => Object.prototype.hasOwnProperty.call(m, key);
const td = new TextDecoder();
const te = new TextEncoder();

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

const ATTRIBUTE = onnx.AttributeProto.AttributeType;

function fromTensor(t: onnxProto.onnx.ITensorProto): OnnxTensor {
  const out: OnnxTensor = { name: t.name ?? '', dims: (t.dims ?? []).map(num), dataType: t.dataType ?? 0 };
  if ((t.externalData?.length ?? 0) > 0 || t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new Error(`tensor "${out.name}" keeps its data in an external file; re-export the model with the weights embedded`);
  if (has(t, 'rawData') && t.rawData) out.raw = view(t.rawData);
  if (t.floatData?.length) out.floatData = [...t.floatData];
  if (t.int64Data?.length) out.int64Data = t.int64Data.map(num);
  if (t.int32Data?.length) out.int32Data = [...t.int32Data];
  return out;
}
function fromAttribute(a: onnxProto.onnx.IAttributeProto): OnnxAttribute {
  const name = a.name ?? '';
  switch (a.type) {
    case ATTRIBUTE.FLOAT: return { name, type: 'float', value: a.f ?? 0 };
    case ATTRIBUTE.INT: return { name, type: 'int', value: num(a.i) };
    case ATTRIBUTE.STRING: return { name, type: 'string', value: a.s ? td.decode(a.s) : '' };
    case ATTRIBUTE.TENSOR: return { name, type: 'tensor', value: fromTensor(a.t!) };
    case ATTRIBUTE.FLOATS: return { name, type: 'floats', value: [...(a.floats ?? [])] };
    case ATTRIBUTE.INTS: return { name, type: 'ints', value: (a.ints ?? []).map(num) };
    default: throw new Error(`attribute "${name}" has a type (${a.type ?? 0}) this reader does not handle`);
  }
}
function fromNode(n: onnxProto.onnx.INodeProto): OnnxNode {
  return {
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    name: n.name ?? '',
    opType: n.opType ?? '',
    domain: n.domain || undefined,
    attributes: (n.attribute ?? []).map(fromAttribute),
  };
}
function fromValueInfo(v: onnxProto.onnx.IValueInfoProto): OnnxValueInfo {
  const vi: OnnxValueInfo = { name: v.name ?? '' };
  const tt = v.type?.tensorType;
  if (tt) {
    if (tt.elemType) vi.elemType = tt.elemType;
    if (tt.shape) vi.shape = (tt.shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : has(d, 'dimValue') ? num(d.dimValue) : null));
  }
  return vi;
}

/** Parse an ONNX model file's bytes. Tensor data are views into `bytes` (no copy). */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const m = onnx.ModelProto.decode(view(bytes));
  const g = m.graph;
  if (!g) throw new Error('no graph in the model (is this an ONNX file?)');
  return {
    irVersion: num(m.irVersion),
    opsets: (m.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: num(o.version) })),
    producerName: m.producerName || undefined,
    graph: {
      name: g.name ?? '',
      nodes: (g.node ?? []).map(fromNode),
      initializers: (g.initializer ?? []).map(fromTensor),
      inputs: (g.input ?? []).map(fromValueInfo),
      outputs: (g.output ?? []).map(fromValueInfo),
      valueInfo: (g.valueInfo ?? []).map(fromValueInfo),
    },
  };
}

function toTensor(t: OnnxTensor): onnxProto.onnx.ITensorProto {
  return {
    dims: t.dims,
    dataType: t.dataType,
    ...(t.floatData ? { floatData: t.floatData } : {}),
    ...(t.int32Data ? { int32Data: t.int32Data } : {}),
    ...(t.int64Data ? { int64Data: t.int64Data } : {}),
    name: t.name,
    ...(t.raw ? { rawData: t.raw } : {}),
  };
}
function toAttribute(a: OnnxAttribute): onnxProto.onnx.IAttributeProto {
  switch (a.type) {
    case 'float': return { name: a.name, f: a.value, type: ATTRIBUTE.FLOAT };
    case 'int': return { name: a.name, i: a.value, type: ATTRIBUTE.INT };
    case 'string': return { name: a.name, s: te.encode(a.value), type: ATTRIBUTE.STRING };
    case 'tensor': return { name: a.name, t: toTensor(a.value), type: ATTRIBUTE.TENSOR };
    case 'floats': return { name: a.name, floats: a.value, type: ATTRIBUTE.FLOATS };
    case 'ints': return { name: a.name, ints: a.value, type: ATTRIBUTE.INTS };
  }
}
function toValueInfo(v: OnnxValueInfo): onnxProto.onnx.IValueInfoProto {
  const dims = (v.shape ?? []).map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  return { name: v.name, type: { tensorType: { elemType: v.elemType ?? DataType.FLOAT, ...(v.shape ? { shape: { dim: dims } } : {}) } } };
}

export function encodeModel(m: OnnxModel): Uint8Array {
  const g = m.graph;
  const bytes = onnx.ModelProto.encode({
    irVersion: m.irVersion,
    ...(m.producerName ? { producerName: m.producerName } : {}),
    graph: {
      node: g.nodes.map((n) => ({ input: n.inputs, output: n.outputs, ...(n.name ? { name: n.name } : {}), opType: n.opType, attribute: n.attributes.map(toAttribute), ...(n.domain ? { domain: n.domain } : {}) })),
      name: g.name || 'graph',
      initializer: g.initializers.map(toTensor),
      input: g.inputs.map(toValueInfo),
      output: g.outputs.map(toValueInfo),
      valueInfo: g.valueInfo.map(toValueInfo),
    },
    opsetImport: m.opsets.map((o) => ({ ...(o.domain ? { domain: o.domain } : {}), version: o.version })),
  }).finish();
  return view(bytes);
}

/** A float32 initializer from values (stored as raw little-endian bytes; a Float32Array is used as it is, not copied). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  const f = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  if (f.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`floatTensor ${name}: ${f.length} values for dims ${dims}`);
  return { name, dims, dataType: DataType.FLOAT, raw: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
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
