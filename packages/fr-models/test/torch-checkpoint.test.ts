/**
 * The PyTorch checkpoint reader against files PyTorch wrote (scripts/make-torch-fixtures.py, Debian's
 * python3-torch 1.13) and the values it dumped beside them: both containers, every dtype and layout case, and the
 * refusal of a checkpoint that names a global outside the whitelist.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@aikd/core';
import { PickleDict } from '@aikd/datasets';
import { openTorchCheckpoint, stateDictOf, tensorRef, type TorchCheckpoint, type TorchTensorRef } from '../src/index.ts';

const dir = join(import.meta.dirname, 'fixtures', 'torch');
const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as {
  iresnet_values: ValuesIndex;
  iresnet_fp16_values: ValuesIndex;
  tensor_cases: { file: string; tensors: (Entry & { stride: number[]; storage_offset: number; storage_size: number })[] };
  magface_optimizer: { lr: number; momentum: number; weight_decay: number; epoch: number };
};
interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  offset?: number;
  count?: number;
  values?: number[];
}
interface ValuesIndex {
  file: string;
  tensors: Entry[];
}

const f32File = (name: string) => {
  const b = readFileSync(join(dir, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const f64File = (name: string) => {
  const b = readFileSync(join(dir, name));
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

function withCheckpoint<T>(file: string, fn: (c: TorchCheckpoint) => T): T {
  const c = openTorchCheckpoint(join(dir, file));
  try {
    return fn(c);
  } finally {
    c.close();
  }
}

/** Bit-for-bit equality of two typed arrays of one type (fast enough for whole state_dicts). */
const sameBits = (a: ArrayBufferView, b: ArrayBufferView) =>
  a.constructor === b.constructor && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Every tensor of the state_dict equals, bit for bit, what PyTorch dumped (ints: the listed values). */
function expectStateDictValues(c: TorchCheckpoint, index: ValuesIndex, dtype: string) {
  const values = f32File(index.file);
  const sd = stateDictOf(c).tensors;
  expect([...sd.keys()]).toEqual(index.tensors.map((t) => t.name));
  for (const e of index.tensors) {
    const t = sd.get(e.name)!;
    expect(t.shape, e.name).toEqual(e.shape);
    if (e.values) {
      expect(t.dtype).toBe('int64');
      expect([...(c.read(t) as BigInt64Array)].map(Number), e.name).toEqual(e.values);
    } else {
      expect(t.dtype, e.name).toBe(dtype);
      expect(sameBits(c.read(t), values.subarray(e.offset!, e.offset! + e.count!)), e.name).toBe(true);
    }
  }
}

describe('PyTorch checkpoints: both containers read to the tensors PyTorch wrote', () => {
  it('zip archive (torch.save default)', () => {
    withCheckpoint('iresnet.pth', (c) => {
      expect(c.format).toBe('zip');
      expect((c.root as PickleDict).type).toBe('OrderedDict');
      expectStateDictValues(c, fixture.iresnet_values, 'float32');
    });
  });

  it('legacy single-pickle format (_use_new_zipfile_serialization=False)', () => {
    withCheckpoint('iresnet-legacy.pth', (c) => {
      expect(c.format).toBe('legacy');
      expectStateDictValues(c, fixture.iresnet_values, 'float32');
    });
  });

  it('the two containers give identical tensors, storage by storage', () => {
    const zip = openTorchCheckpoint(join(dir, 'iresnet.pth'));
    const legacy = openTorchCheckpoint(join(dir, 'iresnet-legacy.pth'));
    try {
      const a = stateDictOf(zip).tensors;
      const b = stateDictOf(legacy).tensors;
      expect(a.size).toBe(133);
      for (const [k, t] of a) expect(sameBits(legacy.read(b.get(k)!), zip.read(t)), k).toBe(true);
    } finally {
      zip.close();
      legacy.close();
    }
  });

  it('float16 weights (model.half()) widen exactly as PyTorch .float() does, and stay within half precision of float32', () => {
    withCheckpoint('iresnet-fp16.pth', (c) => {
      expectStateDictValues(c, fixture.iresnet_fp16_values, 'float16');
      const full = f32File(fixture.iresnet_values.file);
      const half = f32File(fixture.iresnet_fp16_values.file);
      let worst = 0; // error relative to half precision's rounding bound (≤ 1 when every weight is within it)
      for (let i = 0; i < full.length; i++) worst = Math.max(worst, Math.abs(half[i]! - full[i]!) / (Math.abs(full[i]!) * 2 ** -11 + 2 ** -25));
      expect(worst).toBeLessThanOrEqual(1);
      expect(worst).toBeGreaterThan(0.1); // and they are not the float32 weights themselves
    });
  });

  it('a training checkpoint (MagFace layout): plain values around the state_dict, which is found under state_dict', () => {
    withCheckpoint('magface.pth', (c) => {
      const root = c.root as PickleDict;
      expect(root.keys()).toEqual(['epoch', 'arch', 'state_dict', 'optimizer']);
      expect(root.get('epoch')).toBe(fixture.magface_optimizer.epoch);
      const sd = stateDictOf(c);
      expect(sd.at).toBe('state_dict');
      expect([...sd.tensors.keys()].every((k) => k.startsWith('module.'))).toBe(true);
      const groups = (root.get('optimizer') as PickleDict).get('param_groups') as PickleDict[];
      expect(groups[0]!.get('lr')).toBe(fixture.magface_optimizer.lr);
      expect(groups[0]!.get('momentum')).toBe(fixture.magface_optimizer.momentum);
      expect(groups[0]!.get('nesterov')).toBe(false);
      // momentum buffers are tensors too, keyed by parameter index; only the state_dict's are read by a loader
      const state = (root.get('optimizer') as PickleDict).get('state') as PickleDict;
      expect(tensorRef((state.get(0) as PickleDict).get('momentum_buffer'))?.shape).toEqual(sd.tensors.get('module.features.conv1.weight')!.shape);
    });
  });
});

describe('PyTorch checkpoints: dtypes, strides, offsets and shared storages', () => {
  const cases = fixture.tensor_cases.tensors;
  const expected = f64File(fixture.tensor_cases.file);

  for (const file of ['tensors.pth', 'tensors-legacy.pth']) {
    it(`${file}: every case has PyTorch's dtype, shape, stride, offset and values`, () => {
      withCheckpoint(file, (c) => {
        const root = c.root as PickleDict;
        expect(root.keys()).toEqual(cases.map((e) => e.name));
        for (const e of cases) {
          const t = tensorRef(root.get(e.name))!;
          expect({ dtype: t.dtype, shape: t.shape, stride: t.stride, offset: t.offset, storage: t.storage.numel }, e.name).toEqual({
            dtype: e.dtype,
            shape: e.shape,
            stride: e.stride,
            offset: e.storage_offset,
            storage: e.storage_size,
          });
          const got = c.read(t);
          const want = expected.subarray(e.offset!, e.offset! + e.count!);
          expect(got.length, e.name).toBe(want.length);
          // Object.is: NaN equals NaN, and -0 stays -0
          for (let i = 0; i < want.length; i++) expect(Object.is(Number(got[i]!), want[i]!), `${e.name}[${i}] = ${got[i]} vs ${want[i]}`).toBe(true);
        }
      });
    });
  }

  it('views of one storage share it: one storage object, read once per tensor from the right place', () => {
    withCheckpoint('tensors.pth', (c) => {
      const root = c.root as PickleDict;
      const t = (n: string) => tensorRef(root.get(n))! as TorchTensorRef;
      const base = t('contiguous').storage;
      for (const n of ['transposed', 'offset', 'stepped']) expect(t(n).storage, n).toBe(base);
      expect(t('shared_tail').storage).toBe(t('shared_whole').storage);
      expect(t('shared_whole').storage).not.toBe(base);
      expect(c.storages.size).toBe(13);
      const whole = c.read(t('shared_whole')) as Float32Array;
      expect(c.read(t('shared_tail'))).toEqual(whole.subarray(6));
      // transposed = the same numbers, rearranged
      const m = c.read(t('contiguous')) as Float32Array;
      const tr = c.read(t('transposed')) as Float32Array;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) expect(tr[j * 4 + i]).toBe(m[i * 6 + j]);
    });
  });

  it('readFloat32: float dtypes as float32, integers refused by name', () => {
    withCheckpoint('tensors.pth', (c) => {
      const root = c.root as PickleDict;
      expect(c.readFloat32(tensorRef(root.get('float64'))!)).toBeInstanceOf(Float32Array);
      expect(() => c.readFloat32(tensorRef(root.get('int64'))!, 'int64')).toThrowError(/tensor int64: expected a floating-point tensor \(got int64\)/);
    });
  });
});

describe('PyTorch checkpoints: refused, with errors naming what is wrong', () => {
  for (const file of ['malicious.pth', 'malicious-legacy.pth']) {
    it(`A checkpoint with an extra global (os.system) is refused with an error naming it: ${file}`, () => {
      expect(() => openTorchCheckpoint(join(dir, file))).toThrowError(InputError);
      expect(() => openTorchCheckpoint(join(dir, file))).toThrowError(new RegExp(`${file}.*\\(GLOBAL\\): expected only the globals a PyTorch checkpoint may name \\(collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.FloatStorage, .*\\) \\(got global posix.system\\)`));
    });
  }

  const tmp = mkdtempSync(join(tmpdir(), 'aikd-torch-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('truncated files, in either container, and files that are no checkpoint', () => {
    const zip = join(tmp, 'cut.pth');
    copyFileSync(join(dir, 'iresnet.pth'), zip);
    truncateSync(zip, 100_000);
    expect(() => openTorchCheckpoint(zip)).toThrowError(/cut.pth: expected a zip archive \(its end-of-central-directory record\) \(got no such record: the file is truncated or not a zip\)/);
    const legacy = join(tmp, 'cut-legacy.pth');
    copyFileSync(join(dir, 'iresnet-legacy.pth'), legacy);
    truncateSync(legacy, 100_000);
    expect(() => openTorchCheckpoint(legacy)).toThrowError(/cut-legacy.pth, .*the file is truncated/);
    const text = join(tmp, 'notes.pth');
    writeFileSync(text, 'not a checkpoint');
    expect(() => openTorchCheckpoint(text)).toThrowError(/notes.pth: expected a PyTorch checkpoint: a zip archive .* \(got bytes 6e 6f 74 20\)/);
    expect(() => openTorchCheckpoint(join(tmp, 'absent.pth'))).toThrowError(/absent.pth: expected a readable PyTorch checkpoint \(got ENOENT\)/);
  });

  it('a storage shorter than its tensors needs is caught when the file is opened', () => {
    // cut the legacy file inside its last storage: the element count no longer fits in the file
    const legacy = join(tmp, 'short.pth');
    const bytes = readFileSync(join(dir, 'iresnet-legacy.pth'));
    writeFileSync(legacy, bytes.subarray(0, bytes.length - 4));
    expect(() => openTorchCheckpoint(legacy)).toThrowError(/short.pth, storage \w+: expected \d+ bytes from byte \d+ \(got end of file at byte \d+: the file is truncated\)/);
  });
});
