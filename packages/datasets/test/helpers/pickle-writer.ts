/**
 * Writes `.bin`-shaped pickles — `(list of image bytes, list of bools)` — the way CPython's pickler lays them out,
 * for tests and the benchmark:
 *   py2         Python 2 protocol 2 (the original releases): SHORT_BINSTRING/BINSTRING, BINPUT/LONG_BINPUT
 *   py3-proto2  Python 3 protocol 2: GLOBAL _codecs.encode + BINUNICODE latin-1 text + REDUCE
 *   proto3      SHORT_BINBYTES/BINBYTES
 *   proto4/5    the same inside FRAMEs, MEMOIZE; payloads of 64 KiB or more outside frames
 * Lists are appended in batches of 1000 (MARK … APPENDS), as CPython does. Streaming: chunks go to `out`.
 */
export type PickleStyle = 'py2' | 'py3-proto2' | 'proto3' | 'proto4' | 'proto5';
export const PICKLE_STYLES: PickleStyle[] = ['py2', 'py3-proto2', 'proto3', 'proto4', 'proto5'];

const FRAME_TARGET = 64 * 1024;

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, n % 2 ** 32, true);
  new DataView(b.buffer).setUint32(4, Math.floor(n / 2 ** 32), true);
  return b;
}
const op = (...bytes: number[]) => Uint8Array.from(bytes);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** UTF-8 of the latin-1 text whose code points are the bytes (what Python 3 stores at protocol 2). */
export function latin1AsUtf8(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of bytes) if (b < 0x80) out.push(b);
  else out.push(0xc0 | (b >> 6), 0x80 | (b & 0x3f));
  return Uint8Array.from(out);
}

export function writeBinPickle(out: (chunk: Uint8Array) => void, count: number, blobAt: (i: number) => Uint8Array, issame: readonly boolean[], style: PickleStyle): void {
  const proto = style === 'py2' || style === 'py3-proto2' ? 2 : style === 'proto3' ? 3 : style === 'proto4' ? 4 : 5;
  const framed = proto >= 4;
  let frame: Uint8Array[] = [];
  let frameLen = 0;
  const commit = () => {
    if (!framed || !frameLen) return;
    out(op(0x95));
    out(u64(frameLen));
    for (const c of frame) out(c);
    frame = [];
    frameLen = 0;
  };
  const emit = (...chunks: Uint8Array[]) => {
    if (!framed) return chunks.forEach((c) => out(c));
    for (const c of chunks) {
      frame.push(c);
      frameLen += c.length;
    }
    if (frameLen >= FRAME_TARGET) commit();
  };
  let memoSize = 0;
  const memoize = (): number => {
    const idx = memoSize++;
    if (framed) emit(op(0x94));
    else emit(idx < 256 ? op(0x71, idx) : Uint8Array.of(0x72, ...u32(idx)));
    return idx;
  };
  const get = (idx: number) => emit(idx < 256 ? op(0x68, idx) : Uint8Array.of(0x6a, ...u32(idx)));

  let codecsMemo = -1;
  let latin1Memo = -1;
  const saveBytes = (b: Uint8Array) => {
    if (style === 'py2') {
      emit(b.length < 256 ? op(0x55, b.length) : Uint8Array.of(0x54, ...u32(b.length)), b);
    } else if (style === 'py3-proto2') {
      if (codecsMemo < 0) {
        emit(ascii('c_codecs\nencode\n'));
        codecsMemo = memoize();
      } else get(codecsMemo);
      const text = latin1AsUtf8(b);
      emit(Uint8Array.of(0x58, ...u32(text.length)), text);
      memoize();
      if (latin1Memo < 0) {
        emit(Uint8Array.of(0x58, ...u32(6)), ascii('latin1'));
        latin1Memo = memoize();
      } else get(latin1Memo);
      emit(op(0x86));
      memoize();
      emit(op(0x52));
    } else {
      const header = b.length < 256 ? op(0x43, b.length) : Uint8Array.of(0x42, ...u32(b.length));
      if (framed && b.length >= FRAME_TARGET) {
        commit(); // CPython writes large payloads outside any frame
        out(header);
        out(b);
      } else emit(header, b);
    }
    memoize();
  };

  emit(op(0x80, proto));
  // the bins list
  emit(op(0x5d));
  memoize();
  for (let start = 0; start < count; start += 1000) {
    const end = Math.min(count, start + 1000);
    if (end - start === 1) {
      saveBytes(blobAt(start));
      emit(op(0x61));
    } else {
      emit(op(0x28));
      for (let i = start; i < end; i++) saveBytes(blobAt(i));
      emit(op(0x65));
    }
  }
  // the issame list
  emit(op(0x5d));
  memoize();
  for (let start = 0; start < issame.length; start += 1000) {
    const batch = issame.slice(start, start + 1000).map((x) => op(x ? 0x88 : 0x89));
    if (batch.length === 1) emit(batch[0]!, op(0x61));
    else emit(op(0x28), ...batch, op(0x65));
  }
  emit(op(0x86));
  memoize();
  emit(op(0x2e));
  commit();
}

/** The whole pickle in memory (small fixtures). */
export function binPickleBytes(blobs: readonly Uint8Array[], issame: readonly boolean[], style: PickleStyle): Uint8Array {
  const chunks: Uint8Array[] = [];
  writeBinPickle((c) => chunks.push(c), blobs.length, (i) => blobs[i]!, issame, style);
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}
