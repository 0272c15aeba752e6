import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { writeResultTable } from '@aikd/results';
import type { ImageRecord } from '@aikd/datasets';
import { checkMethodName, matchScores, readScoreFile, detectFormat } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const dir = tempDir('import');
const write = (name: string, text: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const pairs = (f: { entries: { key: string; score: number }[] }) => f.entries.map((e) => [e.key, e.score]);

describe('reading score files', () => {
  it('FIQA-repo text: "path score" lines, whitespace, comments, spaces in paths, nan; a bad line names its number', () => {
    const p = write('scores.txt', '# made by serfiq\n/d/id0/a.png 0.5\n\n/d/id1/c d.png\t-1.25e-1\n/d/id2/x.png nan\n');
    const f = readScoreFile(p);
    expect(f.format).toBe('csv');
    expect(pairs(f)).toEqual([['/d/id0/a.png', 0.5], ['/d/id1/c d.png', -0.125], ['/d/id2/x.png', NaN]]);
    expect(f.failed).toBe(1);
    expect(f.entries[1]!.where).toBe('line 4');
    const bad = write('bad.txt', 'a.png 0.5\nb.png high\n');
    expect(() => readScoreFile(bad)).toThrow(/bad\.txt, line 2: expected "<image path> <score>" with a numeric score \(got "b\.png high"\)/);
  });

  it('comma CSV with and without a header; columns by name; quoted paths', () => {
    expect(pairs(readScoreFile(write('a.csv', 'x/a.png,0.5\n"x/b,c.png",0.75\n')))).toEqual([['x/a.png', 0.5], ['x/b,c.png', 0.75]]);
    const h = write('h.csv', 'image,quality,other\nx/a.png,0.5,9\nx/b.png,0.25,8\n');
    const f = readScoreFile(h);
    expect([f.idColumn, f.column]).toEqual(['image', 'quality']);
    expect(pairs(f)).toEqual([['x/a.png', 0.5], ['x/b.png', 0.25]]);
    expect(pairs(readScoreFile(h, { column: 'other' }))).toEqual([['x/a.png', 9], ['x/b.png', 8]]);
    expect(() => readScoreFile(h, { column: 'nope' })).toThrow(/h\.csv, header: expected a quality column "nope" \(got columns image, quality, other\)/);
    expect(() => readScoreFile(write('n.csv', 'path,score\nx/a.png,\n'))).toThrow(/n\.csv, line 2: expected an image path and a numeric "score"/);
    // a header that names a column twice: which one is the quality would be arbitrary
    const dup = write('dup.csv', 'image,quality,Quality\nx/a.png,0.5,9\n');
    expect(() => readScoreFile(dup)).toThrow(`${dup}, line 1 (header): expected each column name once (got "Quality" twice, columns 2 and 3)`);
    expect(() => readScoreFile(write('dup.txt', 'path score score\nx/a.png 0.5 0.7\n'), { column: 'score' })).toThrow(/dup\.txt, line 1 \(header\): expected each column name once \(got "score" twice, columns 2 and 3\)/);
  });

  it('OFIQ: ;-separated with the UnifiedQualityScore.scalar column by default; −1 (FailureToAssess) becomes NaN', () => {
    const p = write(
      'ofiq.csv',
      'Filename;UnifiedQualityScore;Sharpness;UnifiedQualityScore.scalar;Sharpness.scalar;\n' +
        'img/a.png;31.2;0.7;88;70;\n' +
        'img/b.png;-1;-1;-1;-1;\n' +
        'img/c.png;22.4;0.2;41;20;\n',
    );
    const f = readScoreFile(p);
    expect(f.format).toBe('ofiq');
    expect(f.column).toBe('UnifiedQualityScore.scalar');
    expect(pairs(f)).toEqual([['img/a.png', 88], ['img/b.png', NaN], ['img/c.png', 41]]);
    expect(f.failed).toBe(1);
    // the raw MagFace norm column: −1 is kept as a value there (only scalars use −1 for failures)
    expect(pairs(readScoreFile(p, { column: 'UnifiedQualityScore' }))).toEqual([['img/a.png', 31.2], ['img/b.png', -1], ['img/c.png', 22.4]]);
  });

  it('pickled {path: score} dicts: protocols 0, 2, 4, 5 with Python floats', () => {
    const want = [['/data/aligned/id0/a.png', 0.5], ['/data/aligned/id0/b.png', 0.25], ['/data/aligned/id1/c d.png', -1.125], ['/data/aligned/id1/é.png', 1e-3]];
    for (const proto of [0, 2, 4, 5]) {
      const f = readScoreFile(join(fixtures, `scores-p${proto}.pkl`));
      expect(f.format).toBe('pickle');
      expect(pairs(f)).toEqual(want);
    }
  });

  it('pickled numpy scalars and one-element arrays (float16/32/64, big-endian, int64), numpy 2 and numpy 1 module names', () => {
    const want = [
      ['/data/aligned/id0/a.png', 0.5],
      ['/data/aligned/id0/b.png', 0.25],
      ['/data/aligned/id1/c d.png', -1.125],
      ['/data/aligned/id1/é.png', Math.fround(1e-3)],
      ['/data/aligned/id2/e.png', 2],
      ['/data/aligned/id2/f.png', 3],
    ];
    for (const proto of [2, 4]) expect(pairs(readScoreFile(join(fixtures, `scores-numpy-p${proto}.pkl`)))).toEqual(want);
    // numpy 1.x writes numpy.core.multiarray (protocol 2: GLOBAL is a text line, so the name can be swapped)
    const old = Buffer.from(readFileSync(join(fixtures, 'scores-numpy-p2.pkl')).toString('latin1').replaceAll('numpy._core.multiarray', 'numpy.core.multiarray'), 'latin1');
    expect(pairs(readScoreFile(write('old-numpy.pkl', old)))).toEqual(want);
  });

  it('pickle errors: not a dict, a non-number value, a torch-style persistent id, truncation', () => {
    expect(() => readScoreFile(join(fixtures, 'not-a-dict.pkl'))).toThrow(/not-a-dict\.pkl: expected a pickled dict \{image path: quality score\} \(got a list\)/);
    expect(() => readScoreFile(join(fixtures, 'string-value.pkl'))).toThrow(/string-value\.pkl, key "a\.png": expected a number .* \(got "high"\)/);
    const persid = write('torch.pkl', Uint8Array.from([0x80, 0x02, 0x7d, 0x28, 0x58, 1, 0, 0, 0, 0x61, 0x4e, 0x51, 0x75, 0x2e]));
    expect(() => readScoreFile(persid)).toThrow(/torch\.pkl, byte offset 11, opcode 0x51 'Q' \(BINPERSID\): expected no persistent ids in a pickled score file/);
    const full = readFileSync(join(fixtures, 'scores-p4.pkl'));
    expect(() => readScoreFile(write('cut.pkl', full.subarray(0, 60)))).toThrow(/cut\.pkl, byte offset \d+.*end of file at byte 60: the file is truncated/);
  });

  it('a binary file read as text is a clear error', () => {
    expect(() => readScoreFile(join(fixtures, 'scores-p4.pkl'), { format: 'ofiq' })).toThrow(/scores-p4\.pkl: expected an OFIQ ;-separated score file \(got binary data \(detected format: pickle\)\)/);
  });

  it('a global outside the score-file whitelist is refused by name, before anything could use it', () => {
    // {'a': os.system('x')} at protocol 2
    const evil = write('evil.pkl', Uint8Array.from([0x80, 0x02, 0x7d, 0x58, 1, 0, 0, 0, 0x61, ...Buffer.from('cos\nsystem\n'), 0x58, 1, 0, 0, 0, 0x78, 0x85, 0x52, 0x73, 0x2e]));
    expect(() => readScoreFile(evil)).toThrow(/evil\.pkl, byte offset 9, opcode 0x63 'c' \(GLOBAL\): expected only the globals a pickled score file may name \(.*numpy\.dtype.*\) \(got global os\.system\)/);
  });

  it('Arrow and Parquet tables: id and quality columns by usual names or chosen', () => {
    const t = new arrow.Table({
      path: arrow.vectorFromArray(['x/a.png', 'x/b.png'], new arrow.Utf8()),
      score: arrow.makeVector(Float64Array.from([0.5, 0.25])),
      other: arrow.makeVector(Float32Array.from([1, 2])),
    });
    const w = writeResultTable(join(dir, 't.arrow'), t, { kind: 'scores', run_id: 'x', config_hash: 'h' });
    for (const p of [w.arrow, w.parquet]) {
      const f = readScoreFile(p);
      expect(f.format).toBe(p.endsWith('.arrow') ? 'arrow' : 'parquet');
      expect([f.idColumn, f.column]).toEqual(['path', 'score']);
      expect(pairs(f)).toEqual([['x/a.png', 0.5], ['x/b.png', 0.25]]);
      expect(pairs(readScoreFile(p, { column: 'other' }))).toEqual([['x/a.png', 1], ['x/b.png', 2]]);
    }
    const noId = writeResultTable(join(dir, 'n.arrow'), new arrow.Table({ q: arrow.makeVector(Float64Array.from([1])) }), { kind: 'scores', run_id: 'x', config_hash: 'h' });
    expect(() => readScoreFile(noId.arrow)).toThrow(/n\.arrow, header: expected a image id column \(one of image_id, path/);
  });

  it('format detection by content first, then extension', () => {
    expect(detectFormat('x.dat', Uint8Array.from([0x80, 4]))).toBe('pickle');
    expect(detectFormat('x.dat', new TextEncoder().encode('PAR1....'))).toBe('parquet');
    expect(detectFormat('x.csv', new TextEncoder().encode('Filename;UnifiedQualityScore\n'))).toBe('ofiq');
    expect(detectFormat('x.txt', new TextEncoder().encode('a.png 0.5\n'))).toBe('csv');
  });
});

describe('matching keys to dataset images by path suffix', () => {
  const images: ImageRecord[] = [
    { id: 'Aaron/Aaron_0001.jpg', path: '/data/lfw/Aaron/Aaron_0001.jpg' },
    { id: 'Aaron/Aaron_0002.jpg', path: '/data/lfw/Aaron/Aaron_0002.jpg' },
    { id: 'Bea/0001.jpg' },
    { id: 'Cid/0001.jpg' },
    { id: '00042' },
  ];
  const e = (key: string, score: number) => ({ key, score, where: '' });

  it('longer keys, shorter keys, Windows separators, other extensions; unmatched, ambiguous, duplicate and missing reported', () => {
    const { quality, report } = matchScores(images, [
      e('/home/me/lfw/Aaron/Aaron_0001.jpg', 1), // the id is a suffix of the key
      e('Aaron_0002.jpg', 2), // the key is a suffix of exactly one id
      e('C:\\crops\\Bea\\0001.png', 3), // separators and extension differ
      e('0001.jpg', 9), // fits Bea and Cid: ambiguous
      e('/x/Zed/0001.jpg', 9), // "0001.jpg" alone would be ambiguous; Zed/0001.jpg is no image
      e('lfw/Aaron/Aaron_0001.jpg', 8), // the same image again
      e('/bin/00042', 5),
    ]);
    expect(Array.from(quality)).toEqual([1, 2, 3, NaN, 5]);
    expect(report).toMatchObject({ matched: 4, unmatchedCount: 1, unmatched: ['/x/Zed/0001.jpg'], ambiguousCount: 1, ambiguous: ['0001.jpg'], missingCount: 1, missing: ['Cid/0001.jpg'] });
    expect(report.duplicates).toEqual(['Aaron/Aaron_0001.jpg (again as lfw/Aaron/Aaron_0001.jpg)']);
  });

  it('a key never matches a different folder that merely shares the file name', () => {
    const { report } = matchScores([{ id: 'Aaron/x.jpg' }], [e('Bob/x.jpg', 1)]);
    expect(report.matched).toBe(0);
  });

  it('method names: ids or <family>:<name>', () => {
    expect(() => checkMethodName('crfiqa')).not.toThrow();
    expect(() => checkMethodName('aikd:run-1')).not.toThrow();
    expect(() => checkMethodName('CR-FIQA')).toThrow(/expected one of serfiq/);
  });
});
