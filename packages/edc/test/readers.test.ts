/** Input files: the csv / arrow / parquet / dasec-json readers (CSV syntax: core's parseCsv, tested there), method splitting and their errors. */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { writeResultTable } from '@aikd/results';
import { readComparisons, formatOf, computeEdc, type LoadedComparisons } from '../src/index.ts';
import { tempFolder } from './helpers.ts';

const { dir, write } = tempFolder('aikd-edc-readers-');

const CSV = [
  'sample_a,sample_b,similarity,mated,quality_a,quality_b,method',
  'a,b,0.9,1,0.8,0.9,m1',
  'a,c,0.2,true,0.1,0.9,m1',
  'x,y,0.6,0,0.3,,m2',
  'b,c,0.5,1,0.5,0.4,m1',
  'x,z,0.1,FALSE,0.3,NaN,m1',
  'a,b,0.7,1,0.2,0.9,m2',
].join('\n');

function expectSameMethods(a: LoadedComparisons, b: LoadedComparisons) {
  expect(a.methods.map((m) => m.method)).toEqual(b.methods.map((m) => m.method));
  a.methods.forEach((m, i) => {
    const o = b.methods[i]!;
    expect([...m.similarity]).toEqual([...o.similarity]);
    expect([...m.mated]).toEqual([...o.mated]);
    expect([...(m.qualityA ?? m.pairQuality!)]).toEqual([...(o.qualityA ?? o.pairQuality!)]);
    if (m.qualityB) expect([...m.qualityB]).toEqual([...o.qualityB!]);
  });
}

describe('csv reader', () => {
  it('splits by method in order of first appearance, keeps row order, reads empty/NaN qualities as failures', async () => {
    const loaded = await readComparisons(write('a.csv', CSV));
    expect(loaded.format).toBe('csv');
    expect(loaded.methods.map((m) => m.method)).toEqual(['m1', 'm2']);
    const [m1, m2] = loaded.methods;
    expect([...m1!.similarity]).toEqual([0.9, 0.2, 0.5, 0.1]);
    expect([...m1!.mated]).toEqual([1, 1, 1, 0]);
    expect([...m1!.qualityB!]).toEqual([0.9, 0.9, 0.4, NaN]);
    expect([...m2!.similarity]).toEqual([0.6, 0.7]);
    expect([...m2!.qualityB!]).toEqual([NaN, 0.9]);
  });

  it('without a method column everything is one method, "default"; pair_quality wins over quality_a/b', async () => {
    const loaded = await readComparisons(write('b.csv', 'similarity,mated,pair_quality,quality_a,quality_b\n0.5,1,3,1,1\n0.2,0,4,1,1\n'));
    expect(loaded.methods.map((m) => m.method)).toEqual(['default']);
    expect([...loaded.methods[0]!.pairQuality!]).toEqual([3, 4]);
    expect(loaded.notes[0]).toMatch(/using column "pair_quality"/);
  });

  it('reads tab-separated .tsv', async () => {
    const loaded = await readComparisons(write('c.tsv', 'similarity\tmated\tpair_quality\n0.5\t1\t3\n'));
    expect([...loaded.methods[0]!.similarity]).toEqual([0.5]);
  });

  it('names the file, the line and what was expected', async () => {
    const bad = async (name: string, text: string) => readComparisons(write(name, text));
    await expect(bad('e1.csv', 'sim,mated,pair_quality\n1,1,1\n')).rejects.toThrow(/e1\.csv, line 1 \(header\): expected a column "similarity" \(got "sim", "mated", "pair_quality"\)/);
    await expect(bad('e2.csv', 'similarity,mated\n1,1\n')).rejects.toThrow(/e2\.csv, line 1 \(header\): expected a column "pair_quality", or "quality_a" and "quality_b"/);
    await expect(bad('e3.csv', 'similarity,mated,quality_a\n1,1,1\n')).rejects.toThrow(/expected a column "quality_b" next to "quality_a"/);
    await expect(bad('e4.csv', 'similarity,mated,pair_quality\n0.5,1,1\nabc,1,1\n')).rejects.toThrow(/e4\.csv, line 3: expected a finite number in column "similarity" \(got "abc"\)/);
    await expect(bad('e5.csv', 'similarity,mated,pair_quality\n0.5,yes,1\n')).rejects.toThrow(/e5\.csv, line 2: expected 0, 1, true or false in column "mated" \(got "yes"\)/);
    await expect(bad('e6.csv', 'similarity,mated,pair_quality\n0.5,1,good\n')).rejects.toThrow(/line 2: expected a number \(or empty \/ NaN for a failed quality\) in column "pair_quality" \(got "good"\)/);
    await expect(bad('e7.csv', 'similarity,mated,pair_quality\n0.5,1\n')).rejects.toThrow(/e7\.csv, line 2: expected 3 fields like the header \(got 2\)/);
    await expect(bad('e8.csv', 'similarity,mated,pair_quality\n')).rejects.toThrow(/e8\.csv: expected at least one comparison row after the header/);
    await expect(bad('e9.csv', 'similarity,mated,pair_quality\n"0.5,1,1\n')).rejects.toThrow(/e9\.csv, line 2: expected a closing quote/);
    await expect(bad('e10.csv', 'similarity,mated,pair_quality\n"",1,1\n')).rejects.toThrow(/line 2: expected a finite number in column "similarity" \(got ""\)/);
    await expect(readComparisons(join(dir, 'missing.csv'))).rejects.toThrow(/missing\.csv: expected an existing file/);
    expect(() => formatOf('x.txt')).toThrow(/x\.txt: expected an extension \.csv, \.tsv, \.arrow, \.parquet or \.json, or --format/);
  });
});

describe('arrow and parquet readers', () => {
  const table = () =>
    arrow.tableFromArrays({
      sample_a: ['a', 'a', 'x', 'b', 'x', 'a'],
      similarity: Float64Array.from([0.9, 0.2, 0.6, 0.5, 0.1, 0.7]),
      mated: [true, true, false, true, false, true],
      quality_a: Float32Array.from([0.5, 0.25, 0.75, 0.5, 0.75, 0.25]),
      quality_b: Float64Array.from([0.9, 0.9, 0.4, 0.4, NaN, 0.9]),
      method: ['m1', 'm1', 'm2', 'm1', 'm1', 'm2'],
    });

  it('reads Arrow IPC files and streams (bool mated, dictionary method, float32 quality) and Parquet alike', async () => {
    const t = table();
    writeFileSync(join(dir, 't.arrow'), arrow.tableToIPC(t, 'file'));
    writeFileSync(join(dir, 't.arrows'), arrow.tableToIPC(t, 'stream'));
    writeResultTable(join(dir, 'w.arrow'), t, { kind: 'comparisons', run_id: 'r', config_hash: 'h' });
    const file = await readComparisons(join(dir, 't.arrow'));
    const stream = await readComparisons(join(dir, 't.arrows'));
    const parquet = await readComparisons(join(dir, 'w.parquet'));
    expect(file.methods.map((m) => m.method)).toEqual(['m1', 'm2']);
    expect([...file.methods[0]!.similarity]).toEqual([0.9, 0.2, 0.5, 0.1]);
    expect([...file.methods[0]!.mated]).toEqual([1, 1, 1, 0]);
    expect([...file.methods[0]!.qualityA!]).toEqual([0.5, 0.25, 0.5, 0.75]);
    expect([...file.methods[0]!.qualityB!]).toEqual([0.9, 0.9, 0.4, NaN]);
    expectSameMethods(stream, file);
    expectSameMethods(parquet, file);
    expect(parquet.format).toBe('parquet');
  });

  it('reads nulls in quality columns as failures, integer mated, and string columns like CSV cells', async () => {
    const t = new arrow.Table({
      similarity: arrow.vectorFromArray(['0.5', '0.25'], new arrow.Utf8()),
      mated: arrow.vectorFromArray([1, 0], new arrow.Int8()),
      pair_quality: arrow.vectorFromArray([null, 2], new arrow.Float64()),
    });
    writeFileSync(join(dir, 'n.arrow'), arrow.tableToIPC(t, 'file'));
    const m = (await readComparisons(join(dir, 'n.arrow'))).methods[0]!;
    expect([...m.similarity]).toEqual([0.5, 0.25]);
    expect([...m.mated]).toEqual([1, 0]);
    expect([...m.pairQuality!]).toEqual([NaN, 2]);
  });

  it('names the file, the row and what was expected', async () => {
    const save = (name: string, cols: Record<string, arrow.Vector>) => {
      writeFileSync(join(dir, name), arrow.tableToIPC(new arrow.Table(cols), 'file'));
      return readComparisons(join(dir, name));
    };
    await expect(save('a1.arrow', { similarity: arrow.vectorFromArray([0.5]), mated: arrow.vectorFromArray([1]) })).rejects.toThrow(
      /a1\.arrow, schema: expected a column "pair_quality", or "quality_a" and "quality_b" \(got "similarity", "mated"\)/,
    );
    await expect(
      save('a2.arrow', { similarity: arrow.vectorFromArray([0.5, null], new arrow.Float64()), mated: arrow.vectorFromArray([1, 1]), pair_quality: arrow.vectorFromArray([1, 2]) }),
    ).rejects.toThrow(/a2\.arrow, row 2: expected a finite number in column "similarity" \(got null\)/);
    await expect(
      save('a3.arrow', { similarity: arrow.vectorFromArray([0.5, 0.1]), mated: arrow.vectorFromArray([1, 2], new arrow.Int32()), pair_quality: arrow.vectorFromArray([1, 2]) }),
    ).rejects.toThrow(/a3\.arrow, row 2: expected 0, 1, true or false in column "mated" \(got 2\)/);
    writeFileSync(join(dir, 'junk.arrow'), 'not arrow at all');
    await expect(readComparisons(join(dir, 'junk.arrow'))).rejects.toThrow(/junk\.arrow: expected an Arrow IPC file or stream \(got /);
    writeFileSync(join(dir, 'empty.arrow'), '');
    await expect(readComparisons(join(dir, 'empty.arrow'))).rejects.toThrow(/empty\.arrow: expected an Arrow IPC file or stream \(got no schema\)/);
  });
});

describe('dasec-json reader', () => {
  const doc = {
    similarity_scores: { type: 'mated', scores_by_pair_ids: { 'S1-S2': 0.8, 'S3-S4': 0.2, 'S-5-S1': 0.5 } },
    quality_scores_by_sample_id_per_algorithm: {
      algA: { S1: 10, S2: 20, S3: 5, S4: 50, 'S-5': null },
      algB: { S1: 1, S2: 2, S3: 3, S4: 4, 'S-5': 0 },
    },
  };

  it('makes one method per algorithm; pair ids with a "-" in a sample id resolve to known ids; null = failure', async () => {
    const loaded = await readComparisons(write('d.json', JSON.stringify(doc)));
    expect(loaded.format).toBe('dasec-json');
    expect(loaded.methods.map((m) => m.method)).toEqual(['algA', 'algB']);
    const a = loaded.methods[0]!;
    expect([...a.similarity]).toEqual([0.8, 0.2, 0.5]);
    expect([...a.mated]).toEqual([1, 1, 1]);
    expect([...a.qualityA!]).toEqual([10, 5, NaN]);
    expect([...a.qualityB!]).toEqual([20, 50, 10]);
    // a mated-only file works with --starting-error or --threshold
    const r = computeEdc(a, { operatingPoint: { kind: 'threshold', value: 0.6 } }, a.method);
    expect(r.nFailedToAssess).toBe(1);
    expect(r.errorAt0).toBeCloseTo(2 / 3, 15);
  });

  it('accepts a list of blocks (mated and non-mated) and "non-mated" spelt with a hyphen', async () => {
    const two = { ...doc, similarity_scores: [doc.similarity_scores, { type: 'non-mated', scores_by_pair_ids: { 'S1-S3': 0.1 } }] };
    const m = (await readComparisons(write('d2.json', JSON.stringify(two)))).methods[1]!;
    expect([...m.mated]).toEqual([1, 1, 1, 0]);
    expect([...m.qualityB!]).toEqual([2, 4, 1, 3]);
  });

  it('names the file, the key and what was expected', async () => {
    const bad = (name: string, d: unknown) => readComparisons(write(name, JSON.stringify(d)));
    await expect(bad('j1.json', { ...doc, similarity_scores: { ...doc.similarity_scores, type: 'genuine' } })).rejects.toThrow(
      /j1\.json, key "similarity_scores\.type": expected "mated" or "nonmated" \(got "genuine"\)/,
    );
    await expect(
      bad('j2.json', { ...doc, quality_scores_by_sample_id_per_algorithm: { algA: { S1: 1, S2: 2, S3: 3, 'S-5': 1 } } }),
    ).rejects.toThrow(/j2\.json, key "quality_scores_by_sample_id_per_algorithm\.algA": expected a quality for sample "S4" \(pair "S3-S4"\)/);
    await expect(bad('j3.json', { ...doc, similarity_scores: { type: 'mated', scores_by_pair_ids: { 'S1-S2': 'high' } } })).rejects.toThrow(
      /key "similarity_scores\.scores_by_pair_ids\.S1-S2": expected a finite similarity score \(got "high"\)/,
    );
    await expect(bad('j4.json', { ...doc, similarity_scores: { type: 'mated', scores_by_pair_ids: { S1S2: 1 } } })).rejects.toThrow(/expected a pair id "A-B"/);
    await expect(bad('j5.json', { similarity_scores: doc.similarity_scores })).rejects.toThrow(/key "quality_scores_by_sample_id_per_algorithm": expected an object/);
    writeFileSync(join(dir, 'j6.json'), '{"similarity_scores": ');
    await expect(readComparisons(join(dir, 'j6.json'))).rejects.toThrow(/j6\.json: expected JSON/);
  });
});
