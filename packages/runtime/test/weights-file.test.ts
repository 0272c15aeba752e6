/** The one weights-file writer: exact round trip, atomic file + manifest, refusal of changed bytes and missing names. */
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { tf, initRuntime, readWeights, writeWeights } from '../src/index.ts';

beforeAll(() => initRuntime());

describe('writeWeights / readWeights', () => {
  it('round-trips named tensors exactly; the manifest names the file and its sha256', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-weights-'));
    const a = tf.tensor2d([[1.5, -2.25, 3e-8], [Math.PI, -0, 1e30]]);
    const b = tf.tensor1d([7, 8, 9], 'int32');
    const m = await writeWeights(join(dir, 'w.bin'), { 'layer/a': a, 'sgd/b': b });
    const bytes = readFileSync(join(dir, 'w.bin'));
    expect(m.file).toBe('w.bin');
    expect(m.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(bytes.byteLength).toBe(6 * 4 + 3 * 4);
    expect(readdirSync(dir)).toEqual(['w.bin']); // no temporary file left behind
    const got = readWeights(join(dir, 'w.bin'), m, ['layer/a', 'sgd/b']);
    expect(Array.from(got['layer/a']!.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(got['layer/a']!.shape).toEqual([2, 3]);
    expect(got['sgd/b']!.dtype).toBe('int32');
    expect(Array.from(got['sgd/b']!.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([a, b, ...Object.values(got)]);
  });

  it('refuses changed bytes and missing names, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-weights-'));
    const t = tf.ones([4]);
    const file = join(dir, 'h.bin');
    const m = await writeWeights(file, { x: t });
    expect(() => readWeights(file, m, ['x', 'y'])).toThrow(/h\.bin: missing weights y/);
    const bytes = readFileSync(file);
    bytes[0] ^= 1;
    writeFileSync(file, bytes);
    expect(() => readWeights(file, m)).toThrow(/h\.bin.*partial or replaced file/);
    t.dispose();
  });
});
