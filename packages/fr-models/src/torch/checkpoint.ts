/**
 * PyTorch checkpoints (`.pth`/`.pt` from `torch.save`) read without Python and without running anything in them.
 *
 * Both containers `torch.save` writes:
 *  - the zip archive (PyTorch ≥ 1.6 default): `<name>/data.pkl` (the pickle) + `<name>/data/<key>` (one raw,
 *    little-endian storage per member) + `<name>/version`;
 *  - the legacy format (`_use_new_zipfile_serialization=False`, and PyTorch < 1.6): five pickles in a row — magic
 *    number, protocol version, system info, the object, the list of storage keys — then, per key in that order, the
 *    element count (int64) and the storage's raw bytes.
 * The object pickle goes through the project's one unpickler (`@aikd/datasets`' pickle.ts) with a strict whitelist:
 * `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and the typed storage classes, which is all
 * `torch.save` writes for state dicts and training checkpoints of plain tensors. Any other global — a pickled
 * nn.Module's class, `posix.system` — refuses the file with an error naming it; nothing is ever called.
 *
 * Streamed: opening reads only the pickle and where each storage lies; tensor values are read one tensor at a time
 * straight into their output array (a float32 tensor's bytes land in its Float32Array: no second copy).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError, bfloat16ToFloat32, float16ToFloat32 } from '@aikd/core';
import {
  PickleDict, PickleGlobal, PickleObject, PickleText, PickleTuple, describePickleValue as describe, fileSource, pickleKey, unpickleAt, windowSource,
  type ByteSource, type PickleBuilder, type PickleGlobals, type PickleValue,
} from '@aikd/datasets';
import { zipMembers } from './zip.ts';

export type TorchDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** The typed storage classes `torch.save` names, with the dtype and element size of their data. */
const STORAGE_CLASSES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

export interface TorchStorage {
  key: string;
  dtype: TorchDtype;
  /** Elements in the storage. */
  numel: number;
  /** Where the storage's first byte is in the checkpoint file (known once the container is indexed). */
  fileOffset: number;
  location: string;
}

/** A tensor as the checkpoint describes it: a strided view of a storage. Read its values with `checkpoint.read`. */
export interface TorchTensorRef {
  storage: TorchStorage;
  dtype: TorchDtype;
  shape: number[];
  stride: number[];
  /** Offset of element [0, …, 0] in the storage, in elements. */
  offset: number;
  requiresGrad: boolean;
}

/** A tensor's values, contiguous (row-major): float16/bfloat16/float32 widened to float32, the others as stored. */
export type TorchTensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface TorchCheckpoint {
  readonly file: string;
  readonly format: 'zip' | 'legacy';
  /** The unpickled object; tensors are `PickleObject<TorchTensorRef>` with type 'tensor' (see `tensorRef`). */
  readonly root: PickleValue;
  readonly storages: ReadonlyMap<string, TorchStorage>;
  /** A tensor's values, read from the file now. */
  read(t: TorchTensorRef): TorchTensorData;
  /** A floating-point tensor's values as float32 (float64 is rounded); other dtypes are an error naming the tensor. */
  readFloat32(t: TorchTensorRef, name?: string): Float32Array;
  close(): void;
}

const ELEMENT_BYTES: Record<TorchDtype, number> = Object.fromEntries(Object.values(STORAGE_CLASSES).map((s) => [s.dtype, s.bytes])) as Record<TorchDtype, number>;

/** The tensor behind a value of the unpickled checkpoint, if it is one. */
export function tensorRef(v: PickleValue | undefined): TorchTensorRef | undefined {
  return v instanceof PickleObject && v.type === 'tensor' ? (v.value as TorchTensorRef) : undefined;
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------------------------------------- the pickle

/**
 * The whitelist of a PyTorch checkpoint: `OrderedDict()` (state dicts, backward-hook dicts), `_rebuild_tensor_v2`
 * (every tensor), the storage classes (named inside persistent ids, never called).
 */
function torchGlobals(file: string): PickleGlobals {
  const globals = new Map<string, PickleBuilder | null>([
    ['collections.OrderedDict', (args, fail) => (args.length === 0 ? new PickleDict('OrderedDict') : fail('OrderedDict() without arguments', `${args.length} arguments`))],
    ['torch._utils._rebuild_tensor_v2', (args, fail) => rebuildTensor(args, fail, file)],
  ]);
  for (const name of Object.keys(STORAGE_CLASSES)) globals.set(`torch.${name}`, null);
  return { label: 'a PyTorch checkpoint', globals };
}

const ints = (v: PickleValue): number[] | undefined =>
  v instanceof PickleTuple && v.items.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) ? (v.items as number[]) : undefined;

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: PickleValue[], fail: (expected: string, got?: string) => never, file: string): PickleValue {
  const [storage, offset, size, stride, requiresGrad, hooks] = args;
  const want = '_rebuild_tensor_v2(storage, offset, size tuple, stride tuple, requires_grad, OrderedDict())';
  if (args.length < 6 || args.length > 7 || !(storage instanceof PickleObject) || storage.type !== 'storage') return fail(want, args.map(describe).join(', '));
  const shape = ints(size ?? null);
  const strides = ints(stride ?? null);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || !shape || !strides || shape.length !== strides.length || typeof requiresGrad !== 'boolean')
    return fail(want, args.map(describe).join(', '));
  if (hooks instanceof PickleDict && hooks.entries.length) fail('a tensor without backward hooks', `${hooks.entries.length} hooks`);
  const st = storage.value as TorchStorage;
  const n = numelOf(shape);
  const last = offset + shape.reduce((s, d, i) => s + (d - 1) * strides[i]!, 0);
  if (n > 0 && last >= st.numel)
    fail(`a view inside its storage (${st.numel} elements)`, `shape [${shape}] stride [${strides}] offset ${offset} reaching element ${last} of storage ${st.key} in ${file}`);
  return new PickleObject<TorchTensorRef>('tensor', { storage: st, dtype: st.dtype, shape, stride: strides, offset, requiresGrad });
}

const text = (v: PickleValue | undefined): string | undefined => (v instanceof PickleText ? v.text() : undefined);

/** Persistent ids: ('storage', <storage class>, key, location, numel[, view metadata (legacy)]). */
function storageLoader(storages: Map<string, TorchStorage>) {
  return (pid: PickleValue, fail: (expected: string, got?: string) => never): PickleValue => {
    const want = "a storage id ('storage', torch.<Type>Storage, key, location, numel)";
    if (!(pid instanceof PickleTuple) || pid.items.length < 5 || pid.items.length > 6 || text(pid.items[0]) !== 'storage') return fail(want, describe(pid));
    const [, cls, key, location, numel, view] = pid.items;
    const k = text(key);
    const loc = text(location);
    const type = cls instanceof PickleGlobal && cls.module === 'torch' ? STORAGE_CLASSES[cls.name] : undefined;
    if (!type || k === undefined || loc === undefined || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail(want, pid.items.map(describe).join(', '));
    if (view !== undefined && view !== null) return fail('a whole storage (storage views were written only by PyTorch before 1.0: re-save the file)', describe(view));
    const seen = storages.get(k);
    if (seen) {
      if (seen.dtype !== type.dtype || seen.numel !== numel) return fail(`storage ${k} described the same way each time`, `${seen.dtype}[${seen.numel}] and ${type.dtype}[${numel}]`);
      return new PickleObject('storage', seen);
    }
    const st: TorchStorage = { key: k, dtype: type.dtype, numel, fileOffset: -1, location: loc };
    storages.set(k, st);
    return new PickleObject('storage', st);
  };
}

// ---------------------------------------------------------------------------------------------- containers

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** `torch.serialization.MAGIC_NUMBER`, the first pickle of the legacy format. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

function openZip(src: ByteSource, file: string): { root: PickleValue; storages: Map<string, TorchStorage> } {
  const members = zipMembers(src, file);
  const pkl = [...members.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) throw new InputError({ file, expected: 'a PyTorch zip checkpoint: one <archive>/data.pkl member', got: pkl.length ? pkl.join(', ') : `members ${[...members.keys()].slice(0, 5).join(', ')}` });
  const prefix = pkl[0]!.slice(0, -'data.pkl'.length);
  const byteorder = members.get(`${prefix}byteorder`);
  if (byteorder) {
    const b = new Uint8Array(byteorder.size);
    src.read(b, byteorder.offset, b.length);
    const order = new TextDecoder().decode(b).trim();
    if (order !== 'little') throw new InputError({ file, where: `${prefix}byteorder`, expected: 'little-endian storages', got: order });
  }
  const storages = new Map<string, TorchStorage>();
  const m = members.get(pkl[0]!)!;
  const root = unpickleAt(windowSource(src, m.offset, m.size), `${file} (${m.name})`, { globals: torchGlobals(file), persistentLoad: storageLoader(storages) }).value;
  for (const st of storages.values()) {
    const data = members.get(`${prefix}data/${st.key}`);
    if (!data) throw new InputError({ file, expected: `zip member ${prefix}data/${st.key} (storage ${st.key} of the pickle)`, got: 'no such member' });
    const need = st.numel * ELEMENT_BYTES[st.dtype];
    if (data.size < need) throw new InputError({ file, where: `zip member ${data.name}`, expected: `${need} bytes (${st.numel} ${st.dtype} elements)`, got: `${data.size} bytes` });
    st.fileOffset = data.offset;
  }
  return { root, storages };
}

function openLegacy(src: ByteSource, file: string): { root: PickleValue; storages: Map<string, TorchStorage> } {
  const header: PickleGlobals = { label: 'the header of a legacy PyTorch checkpoint', globals: new Map() };
  const magic = unpickleAt(src, file, { globals: header });
  if (magic.value !== LEGACY_MAGIC) throw new InputError({ file, where: 'byte offset 0', expected: "PyTorch's magic number (a legacy torch.save file)", got: describe(magic.value) });
  const proto = unpickleAt(src, file, { globals: header, start: magic.end });
  if (proto.value !== LEGACY_PROTOCOL) throw new InputError({ file, where: `byte offset ${magic.end}`, expected: `protocol version ${LEGACY_PROTOCOL}`, got: describe(proto.value) });
  const info = unpickleAt(src, file, { globals: header, start: proto.end });
  if (info.value instanceof PickleDict && info.value.get('little_endian') === false)
    throw new InputError({ file, where: `byte offset ${proto.end}`, expected: 'a checkpoint written on a little-endian machine', got: 'little_endian: False' });
  const storages = new Map<string, TorchStorage>();
  const obj = unpickleAt(src, file, { globals: torchGlobals(file), persistentLoad: storageLoader(storages), start: info.end });
  const keys = unpickleAt(src, file, { globals: header, start: obj.end });
  if (!Array.isArray(keys.value)) throw new InputError({ file, where: `byte offset ${obj.end}`, expected: 'the list of storage keys', got: describe(keys.value) });
  let at = keys.end;
  const count = new Uint8Array(8);
  for (const kv of keys.value) {
    const key = pickleKey(kv);
    const st = key === undefined ? undefined : storages.get(String(key));
    if (!st) throw new InputError({ file, where: `byte offset ${obj.end}`, expected: 'storage keys the object pickle uses', got: `key ${describe(kv)}` });
    if (src.read(count, at, 8) < 8) throw new InputError({ file, where: `byte offset ${at}`, expected: `the element count of storage ${st.key}`, got: `end of file at byte ${src.size}: the file is truncated` });
    const n = Number(new DataView(count.buffer).getBigInt64(0, true));
    if (n !== st.numel) throw new InputError({ file, where: `byte offset ${at}`, expected: `${st.numel} elements in storage ${st.key}`, got: String(n) });
    st.fileOffset = at + 8;
    at = st.fileOffset + n * ELEMENT_BYTES[st.dtype];
    if (at > src.size) throw new InputError({ file, where: `storage ${st.key}`, expected: `${n * ELEMENT_BYTES[st.dtype]} bytes from byte ${st.fileOffset}`, got: `end of file at byte ${src.size}: the file is truncated` });
  }
  const unplaced = [...storages.values()].filter((s) => s.fileOffset < 0);
  if (unplaced.length) throw new InputError({ file, expected: 'every storage the pickle uses in the storage list', got: `missing ${unplaced.map((s) => s.key).join(', ')}` });
  return { root: obj.value, storages };
}

// ---------------------------------------------------------------------------------------------- reading values

function readExactly(fd: number, into: Uint8Array, position: number, file: string, what: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new InputError({ file, where: `byte offset ${position + done}`, expected: `${into.length - done} more bytes of ${what}`, got: 'end of file (the file changed or was truncated after it was opened)' });
    done += n;
  }
}

function typedArray(dtype: TorchDtype, n: number): TorchTensorData | Uint16Array {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int8':
      return new Int8Array(n);
    default:
      return new Uint8Array(n);
  }
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Copy the strided view out of `span` (the storage from its lowest used element on) into row-major `out`. */
function gather(span: TorchTensorData | Uint16Array, out: TorchTensorData | Uint16Array, shape: number[], stride: number[], start: number): void {
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = start;
  const o = out as unknown as { [i: number]: number | bigint };
  const s = span as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < out.length; i++) {
    o[i] = s[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) {
        src += stride[d]!;
        break;
      }
      src -= (shape[d]! - 1) * stride[d]!;
      idx[d] = 0;
    }
  }
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

function readTensor(fd: number, file: string, t: TorchTensorRef): TorchTensorData {
  const n = numelOf(t.shape);
  const el = ELEMENT_BYTES[t.dtype];
  let raw = typedArray(t.dtype, n);
  if (n > 0) {
    const what = `storage ${t.storage.key}`;
    if (isContiguous(t.shape, t.stride)) readExactly(fd, bytesOf(raw), t.storage.fileOffset + t.offset * el, file, what);
    else {
      const last = t.shape.reduce((s, d, i) => s + (d - 1) * t.stride[i]!, 0);
      const span = typedArray(t.dtype, last + 1);
      readExactly(fd, bytesOf(span), t.storage.fileOffset + t.offset * el, file, what);
      gather(span, raw, t.shape, t.stride, 0);
    }
  }
  if (t.dtype === 'float16') raw = float16ToFloat32(raw as Uint16Array);
  else if (t.dtype === 'bfloat16') raw = bfloat16ToFloat32(raw as Uint16Array);
  return raw as TorchTensorData;
}

/**
 * Open a checkpoint: detect the container, unpickle its object through the whitelist, and locate every storage.
 * Tensor values are read later, one at a time, with `read`. Close it when done.
 */
export function openTorchCheckpoint(file: string): TorchCheckpoint {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new InputError({ file, expected: 'a readable PyTorch checkpoint', got: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new InputError({ file, expected: 'a checkpoint file', got: 'a directory' });
    const src = fileSource(fd);
    const head = new Uint8Array(Math.min(4, src.size));
    src.read(head, 0, head.length);
    let format: 'zip' | 'legacy';
    let opened: { root: PickleValue; storages: Map<string, TorchStorage> };
    if (head.length === 4 && ZIP_MAGIC.every((b, i) => head[i] === b)) (format = 'zip'), (opened = openZip(src, file));
    else if (head[0] === 0x80 && head[2] === 0x8a) (format = 'legacy'), (opened = openLegacy(src, file));
    else {
      const tar = src.size > 262 && (() => {
        const u = new Uint8Array(5);
        src.read(u, 257, 5);
        return new TextDecoder().decode(u) === 'ustar';
      })();
      throw new InputError({
        file,
        expected: 'a PyTorch checkpoint: a zip archive (torch.save since 1.6) or a legacy torch.save pickle',
        got: tar ? 'a tar archive (torch.save before 0.4): load and re-save it with a recent PyTorch' : `bytes ${[...head].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
      });
    }
    let open = true;
    const ckpt: TorchCheckpoint = {
      file,
      format,
      root: opened.root,
      storages: opened.storages,
      read(t) {
        if (!open) throw new InputError({ file, expected: 'an open checkpoint', got: 'a closed one' });
        return readTensor(fd, file, t);
      },
      readFloat32(t, name) {
        const v = this.read(t);
        if (v instanceof Float32Array) return v;
        if (v instanceof Float64Array) return Float32Array.from(v);
        throw new InputError({ file, where: name ? `tensor ${name}` : undefined, expected: 'a floating-point tensor', got: t.dtype });
      },
      close() {
        if (open) closeSync(fd);
        open = false;
      },
    };
    return ckpt;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
