import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { InputError } from '@aikd/core';
import {
  PickleBlob, PickleDict, PickleObject, PickleText, PickleTuple, blobBytes, memorySource, readBlob, unpickle, unpickleAt, unpicklePath,
  type PickleGlobals, type PickleValue,
} from '../src/pickle.ts';
import { binContents } from '../src/formats/insightface-bin.ts';
import { PICKLE_STYLES, binPickleBytes, latin1AsUtf8 } from './helpers/pickle-writer.ts';
import { jpeg, python3, tempDir } from './helpers/fixtures.ts';

const fixtures = join(import.meta.dirname, 'fixtures');

/** Exact bytes of every image in a parsed `.bin`, read back from `bytes` (the whole pickle). */
function blobsOf(value: PickleValue, bytes: Uint8Array, file = 'mem'): { images: Uint8Array[]; issame: boolean[] } {
  const { blobs, issame } = binContents(value, file);
  return { images: blobs.map((b) => blobBytes(bytes.slice(b.offset, b.offset + b.length), b, file)), issame };
}

/** The blobs scripts/make-pickle-fixtures.py pickles (same formula). */
function expectedFixtureBlobs(): Uint8Array[] {
  const blob = (k: number, n: number) => Uint8Array.from({ length: n }, (_, i) => ((k * 31 + i * 7) ^ (i >> 3)) & 0xff);
  const bins = [1, 100, 255, 256, 300, 1000, 70000, 3].map((n, k) => blob(k, n));
  bins.push(bins[2]!, Uint8Array.from({ length: 256 }, (_, i) => i), new Uint8Array(0), blob(9, 5));
  return bins;
}
const FIXTURE_ISSAME = [true, false, false, true, true, false];

describe('unpickler: hand-built Python 2 pickle, byte by byte', () => {
  // (['\xff\xd8A', <300 bytes>], [False]) as Python 2's cPickle writes it at protocol 2
  const long = Uint8Array.from({ length: 300 }, (_, i) => (i * 13 + 0x80) & 0xff);
  const bytes = Uint8Array.from([
    0x80, 0x02, //                       PROTO 2
    0x5d, 0x71, 0x00, //                 EMPTY_LIST, BINPUT 0
    0x28, //                             MARK
    0x55, 0x03, 0xff, 0xd8, 0x41, //     SHORT_BINSTRING len 3
    0x71, 0x01, //                       BINPUT 1
    0x54, 0x2c, 0x01, 0x00, 0x00, //     BINSTRING len 300 (signed 32-bit little-endian)
    ...long,
    0x71, 0x02, //                       BINPUT 2
    0x65, //                             APPENDS
    0x5d, 0x71, 0x03, //                 EMPTY_LIST, BINPUT 3
    0x89, 0x61, //                       NEWFALSE APPEND (a batch of one)
    0x86, 0x71, 0x04, //                 TUPLE2, BINPUT 4
    0x2e, //                             STOP
  ]);

  it('gives the exact bytes as offsets into the file, and the flags', () => {
    const v = unpickle(memorySource(bytes), 'hand.pkl');
    expect(v).toBeInstanceOf(PickleTuple);
    const [bins] = (v as PickleTuple).items as [PickleBlob[]];
    expect(bins.map((b) => [b.offset, b.length])).toEqual([[8, 3], [18, 300]]);
    const { images, issame } = blobsOf(v, bytes);
    expect(Array.from(images[0]!)).toEqual([0xff, 0xd8, 0x41]);
    expect(images[1]).toEqual(long);
    expect(issame).toEqual([false]);
  });

  it('reads the same through a tiny buffer (every value crosses a refill)', () => {
    for (const size of [1, 2, 3, 7, 64]) expect(blobsOf(unpickle(memorySource(bytes), 'hand.pkl', size), bytes).images[1]).toEqual(long);
  });

  it('a truncated file is an error naming the opcode, the offset and the end of the file', () => {
    for (const cut of [1, 9, 17, 100, bytes.length - 1]) {
      const part = bytes.slice(0, cut);
      expect(() => unpickle(memorySource(part), 'cut.pkl')).toThrowError(InputError);
      expect(() => unpickle(memorySource(part), 'cut.pkl')).toThrowError(new RegExp(`cut.pkl, byte offset \\d+.*end of file at byte ${cut}: the file is truncated`));
    }
    // cut inside the 300-byte string: the BINSTRING at offset 13 wants 300 bytes from 18
    expect(() => unpickle(memorySource(bytes.slice(0, 100)), 'cut.pkl')).toThrowError(/byte offset 13, opcode 0x54 'T' \(BINSTRING\): expected 300 more bytes at byte 18/);
  });

  it('an unknown opcode is an error naming the opcode and its byte offset', () => {
    const bad = bytes.slice();
    bad[5] = 0x69; // INST where MARK was
    expect(() => unpickle(memorySource(bad), 'bad.pkl')).toThrowError(/bad.pkl, byte offset 5: expected a pickle opcode of an InsightFace .bin file .* \(got opcode 0x69 'i' \(INST\)\)/);
    bad[5] = 0xfe;
    expect(() => unpickle(memorySource(bad), 'bad.pkl')).toThrowError(/byte offset 5: .*got opcode 0xfe\)/);
  });

  it('corrupt structure is an error, not a crash', () => {
    expect(() => unpickle(memorySource(Uint8Array.from([0x80, 0x02, 0x65, 0x2e])), 'x')).toThrowError(/byte offset 2, opcode 0x65 'e' \(APPENDS\): expected a MARK/);
    expect(() => unpickle(memorySource(Uint8Array.from([0x80, 0x02, 0x68, 0x07, 0x2e])), 'x')).toThrowError(/memo entry 7 to be defined/);
    expect(() => unpickle(memorySource(Uint8Array.from([0x80, 0x02, 0x54, 0xff, 0xff, 0xff, 0xff, 0x2e])), 'x')).toThrowError(/expected a valid length \(got -1\)/);
    expect(() => unpickle(memorySource(Uint8Array.from([0x80, 0x02, 0x88, 0x88, 0x2e])), 'x')).toThrowError(/exactly one value on the stack at STOP/);
    expect(() => unpickle(memorySource(new Uint8Array(0)), 'empty.pkl')).toThrowError(/empty.pkl, byte offset 0, start: expected 1 more byte .*end of file at byte 0/);
    // a global other than _codecs.encode / bytes is refused by name, where the pickle names it (GLOBAL and STACK_GLOBAL)
    const os = Uint8Array.from([0x80, 0x02, ...Buffer.from('cos\nsystem\n'), 0x55, 0x02, 0x6c, 0x73, 0x85, 0x52, 0x2e]);
    expect(() => unpickle(memorySource(os), 'evil.pkl')).toThrowError(
      /evil.pkl, byte offset 2, opcode 0x63 'c' \(GLOBAL\): expected only the globals an InsightFace .bin file may name \(_codecs.encode, builtins.bytes, __builtin__.bytes\) \(got global os.system\)/,
    );
    const stackGlobal = Uint8Array.from([0x80, 0x04, 0x8c, 0x05, ...Buffer.from('posix'), 0x8c, 0x06, ...Buffer.from('system'), 0x93, 0x2e]);
    expect(() => unpickle(memorySource(stackGlobal), 'evil4.pkl')).toThrowError(/evil4.pkl, byte offset 17, opcode 0x93 \(STACK_GLOBAL\): .*\(got global posix.system\)/);
  });

  it('the wrong shape is an error saying what a .bin holds', () => {
    const flagsOnly = Uint8Array.from([0x80, 0x02, 0x5d, 0x28, 0x88, 0x89, 0x65, 0x2e]);
    expect(() => binContents(unpickle(memorySource(flagsOnly), 'x.bin'), 'x.bin')).toThrowError(/x.bin, top-level object: expected a pickled tuple \(list of 2N image bytes, list of N bools\) \(got list of 2\)/);
    const odd = binPickleBytes([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])], [true], 'py2');
    expect(() => binContents(unpickle(memorySource(odd), 'odd.bin'), 'odd.bin')).toThrowError(/twice as many images as pair flags \(got 3 images and 1 flags\)/);
  });
});

describe('unpickler: pickles written like each protocol', () => {
  const blobs = [new Uint8Array(0), Uint8Array.from({ length: 256 }, (_, i) => i), Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) & 255), new Uint8Array([0x80, 0x9d, 0x8d, 0x81])];
  const issame = [false, true];
  for (const style of PICKLE_STYLES)
    it(`${style}: exact bytes and flags`, () => {
      const bytes = binPickleBytes(blobs, issame, style);
      const got = blobsOf(unpickle(memorySource(bytes), style), bytes);
      expect(got.images).toEqual(blobs);
      expect(got.issame).toEqual(issame);
    });

  it('more than 1000 items (several APPENDS batches) and memo indices past 255 (LONG_BINPUT)', () => {
    const many = Array.from({ length: 2501 * 2 }, (_, i) => Uint8Array.of(i & 255, i >> 8));
    const flags = Array.from({ length: 2501 }, (_, i) => i % 3 === 0);
    for (const style of PICKLE_STYLES) {
      const bytes = binPickleBytes(many, flags, style);
      const got = blobsOf(unpickle(memorySource(bytes), style), bytes);
      expect(got.images).toEqual(many);
      expect(got.issame).toEqual(flags);
    }
  });

  it('latin-1 text as UTF-8 decodes back to every byte value; other text is refused', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const stored = latin1AsUtf8(all);
    expect(stored.length).toBe(128 + 2 * 128);
    expect(blobBytes(stored, new PickleBlob(0, stored.length, 'latin1-utf8'), 'f')).toEqual(all);
    const euro = new TextEncoder().encode('€'); // U+20AC is not a latin-1 byte
    expect(() => blobBytes(euro, new PickleBlob(10, 3, 'latin1-utf8'), 'f')).toThrowError(/f, byte offset 10: expected latin-1 text .* \(got byte 0xe2\)/);
  });
});

describe('unpickler: pickles made by CPython', () => {
  it('committed fixtures (protocols 2–5, made by scripts/make-pickle-fixtures.py) give the exact bytes', async () => {
    const want = expectedFixtureBlobs();
    for (const proto of [2, 3, 4, 5]) {
      const file = join(fixtures, `bin-proto${proto}.pkl`);
      const bytes = new Uint8Array(readFileSync(file));
      const v = unpicklePath(file);
      const { blobs, issame } = binContents(v, file);
      expect(issame).toEqual(FIXTURE_ISSAME);
      expect(blobs[8]).toBe(blobs[2]); // the repeated object comes back as the same memo entry
      const fh = await open(file, 'r');
      try {
        const images = await Promise.all(blobs.map((b) => readBlob(fh, b, file)));
        expect(images).toEqual(want);
      } finally {
        await fh.close();
      }
      expect(blobsOf(v, bytes).images).toEqual(want);
    }
  });

  it.skipIf(!python3)('fresh pickles of real JPEGs from python3 at protocols 2–5', async () => {
    const dir = tempDir('py');
    const jpegs = await Promise.all([0, 1, 2, 3, 4, 5].map((k) => jpeg(k, 24 + k * 8)));
    jpegs.forEach((b, k) => writeFileSync(join(dir, `${k}.jpg`), b));
    const script = `
import pickle, sys
d = sys.argv[1]
bins = [open(f"{d}/{k}.jpg", "rb").read() for k in range(6)]
for p in (2, 3, 4, 5):
    with open(f"{d}/p{p}.bin", "wb") as f:
        pickle.dump((bins, [True, False, True]), f, protocol=p)
`;
    const r = spawnSync(python3!, ['-c', script, dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const p of [2, 3, 4, 5]) {
      const file = join(dir, `p${p}.bin`);
      const { blobs, issame } = binContents(unpicklePath(file), file);
      expect(issame).toEqual([true, false, true]);
      const fh = await open(file, 'r');
      try {
        for (let k = 0; k < 6; k++) expect(await readBlob(fh, blobs[k]!, file)).toEqual(jpegs[k]);
      } finally {
        await fh.close();
      }
    }
  });
  if (!python3) it('python3 cases skipped: python3 is not on PATH (the committed fixtures above still ran)', () => {});
});

describe('unpickler: whitelist mode (dicts, floats, long ints, BUILD, persistent ids)', () => {
  const u = (t: string) => [0x58, ...u32(Buffer.byteLength(t)), ...Buffer.from(t)]; // BINUNICODE
  const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  const f64 = (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return [...b];
  };
  const text = (v: PickleValue | undefined) => (v instanceof PickleText ? v.text() : v);

  it('a dict of floats, lists, None and long ints, as protocol 2 writes it', () => {
    // {'a': 1.5, 'b': [True, None], 3: 2**70, 'n': -1}
    const bytes = Uint8Array.from([
      0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, ...u('a'), 0x47, ...f64(1.5), ...u('b'), 0x5d, 0x28, 0x88, 0x4e, 0x65,
      0x4b, 0x03, 0x8a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, ...u('n'), 0x8a, 0x01, 0xff, 0x75, 0x2e,
    ]);
    const v = unpickle(memorySource(bytes), 'd.pkl');
    expect(v).toBeInstanceOf(PickleDict);
    const d = v as PickleDict;
    expect(d.keys()).toEqual(['a', 'b', 3, 'n']);
    expect(d.get('a')).toBe(1.5);
    expect(d.get('b')).toEqual([true, null]);
    expect(d.get(3)).toBe(2n ** 70n);
    expect(d.get('n')).toBe(-1);
    expect(d.get('missing')).toBeUndefined();
  });

  const whitelist: PickleGlobals = {
    label: 'a test file',
    globals: new Map([
      ['collections.OrderedDict', () => new PickleDict('OrderedDict')],
      ['m.Kind', null],
    ]),
  };
  // OrderedDict() with {'w': <persistent id ('s', m.Kind)>}, then BUILD with {'_metadata': 7}
  const ordered = Uint8Array.from([
    0x80, 0x02, 0x63, ...Buffer.from('collections\nOrderedDict\n'), 0x29, 0x52, 0x28, ...u('w'), 0x28, ...u('s'), 0x63, ...Buffer.from('m\nKind\n'),
    0x74, 0x51, 0x75, 0x7d, ...u('_metadata'), 0x4b, 0x07, 0x73, 0x62, 0x2e,
  ]);

  it('whitelisted globals are built by the caller; persistent ids go to the loader; BUILD keeps the state', () => {
    const pids: PickleValue[] = [];
    const v = unpickle(memorySource(ordered), 'o.pkl', { globals: whitelist, persistentLoad: (pid) => (pids.push(pid), new PickleObject('storage', 42)) });
    expect(v).toBeInstanceOf(PickleDict);
    const d = v as PickleDict;
    expect(d.type).toBe('OrderedDict');
    expect(d.get('w')).toEqual(new PickleObject('storage', 42));
    expect((d.state as PickleDict).get('_metadata')).toBe(7);
    expect(pids).toHaveLength(1);
    const pid = pids[0] as PickleTuple;
    expect(text(pid.items[0])).toBe('s');
    expect(pid.items[1]).toMatchObject({ module: 'm', name: 'Kind' });
  });

  it('without a loader a persistent id is refused; a named-only global cannot be called; another global is refused by name', () => {
    expect(() => unpickle(memorySource(ordered), 'o.pkl', { globals: whitelist })).toThrowError(/o.pkl, byte offset \d+, opcode 0x51 'Q' \(BINPERSID\): expected no persistent ids in a test file/);
    const callKind = Uint8Array.from([0x80, 0x02, 0x63, ...Buffer.from('m\nKind\n'), 0x29, 0x52, 0x2e]);
    expect(() => unpickle(memorySource(callKind), 'k.pkl', { globals: whitelist })).toThrowError(/k.pkl, byte offset 11, opcode 0x52 'R' \(REDUCE\): expected a callable global of a test file \(collections.OrderedDict\) \(got a call of m.Kind\)/);
    const other = Uint8Array.from([0x80, 0x02, 0x63, ...Buffer.from('builtins\neval\n'), 0x2e]);
    expect(() => unpickle(memorySource(other), 'e.pkl', { globals: whitelist })).toThrowError(/expected only the globals a test file may name \(collections.OrderedDict, m.Kind\) \(got global builtins.eval\)/);
  });

  it('pickles one after another: each read from where the last one stopped', () => {
    const one = [0x80, 0x02, 0x4b, 0x05, 0x2e];
    const two = [0x80, 0x02, 0x5d, 0x2e];
    const src = memorySource(Uint8Array.from([...one, ...two]));
    const a = unpickleAt(src, 'two.pkl');
    expect(a).toEqual({ value: 5, end: one.length });
    expect(unpickleAt(src, 'two.pkl', { start: a.end })).toEqual({ value: [], end: one.length + two.length });
  });
});

describe('unpickler: plain data at every protocol (CPython pickles)', () => {
  /** Plain values read back from `bytes`: text as strings, bytes as arrays, dicts as entry lists. */
  const plain = (v: PickleValue, bytes: Uint8Array): unknown => {
    if (v instanceof PickleText) return v.text();
    if (v instanceof PickleBlob) return { bytes: Array.from(blobBytes(v.inline ?? bytes.slice(v.offset, v.offset + v.length), v, 'x')) };
    if (v instanceof PickleTuple) return { tuple: v.items.map((x) => plain(x, bytes)) };
    if (v instanceof PickleDict) return { dict: v.entries.map(([k, x]) => [plain(k, bytes), plain(x, bytes)]) };
    if (Array.isArray(v)) return v.map((x) => plain(x, bytes));
    return v;
  };

  it.skipIf(!python3)('dicts, floats (inf too), big and negative ints, None, nested tuples, str and bytes at protocols 0–5', () => {
    const value = `{"a": 1.5, "é/b c": -2, "n": None, "t": (1, (2.25, "x")), "l": [True, False, 2**40, -(2**40), 70000, -1], "b": b"\\x00\\xff", "f": float("-inf")}`;
    const want = {
      dict: [
        ['a', 1.5],
        ['é/b c', -2],
        ['n', null],
        ['t', { tuple: [1, { tuple: [2.25, 'x'] }] }],
        ['l', [true, false, 2 ** 40, -(2 ** 40), 70000, -1]],
        ['b', { bytes: [0, 255] }],
        ['f', -Infinity],
      ],
    };
    for (const proto of [0, 1, 2, 3, 4, 5]) {
      const r = spawnSync(python3!, ['-c', `import pickle, sys\nsys.stdout.buffer.write(pickle.dumps(${value}, protocol=${proto}))`]);
      expect(r.status, String(r.stderr)).toBe(0);
      const bytes = new Uint8Array(r.stdout);
      expect(plain(unpickle(memorySource(bytes), `p${proto}`), bytes), `protocol ${proto}`).toEqual(want);
    }
  });
});
