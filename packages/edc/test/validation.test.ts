/**
 * Bad input refused at the entry points (issue 18): a grid step that would exhaust memory, option strings the
 * library does not know, quality columns that are all missing, a header that names a column twice, a pair labelled
 * both mated and non-mated.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { workspaceRoot } from '@aikd/core';
import { writeResultTable } from '@aikd/results';
import { computeEdc, discardGrid, readComparisons, validateEdcOptions, type ComparisonSet } from '../src/index.ts';
import { tempFolder } from './helpers.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

const { dir, write } = tempFolder('aikd-edc-valid-');
const set: ComparisonSet = {
  similarity: Float64Array.from([0.9, 0.8, 0.3, 0.2, 0.1, 0.05]),
  mated: Uint8Array.from([1, 1, 1, 0, 0, 0]),
  qualityA: Float64Array.from([3, 1, 2, 1, 2, 3]),
  qualityB: Float64Array.from([3, 2, 1, 1, 2, 3]),
};

describe('the recomputed-mode grid', () => {
  it('refuses a step that asks for more than 100,001 points, before any work', () => {
    expect(discardGrid(1e-5, 0.95)).toHaveLength(95_001);
    expect(() => discardGrid(1e-9, 0.95)).toThrow('grid step 1e-9: gives 9.50e+8 grid points over [0, 0.95]; at most 100,001 (a step of at least 9.5e-6)');
    expect(() => computeEdc(set, { mode: 'recomputed', gridStep: 1e-9 })).toThrow(/grid step 1e-9: gives 9\.50e\+8 grid points/);
  });

  it('`aikd edc --grid-step 1e-9` exits 1 with that message (it crashed V8 with rc 133)', () => {
    const csv = write('g.csv', 'similarity,mated,pair_quality\n0.9,1,3\n0.1,0,2\n0.8,1,1\n0.2,0,1\n');
    const r = spawnSync(process.execPath, aikdArgv(['edc', '--input', csv, '--mode', 'recomputed', '--fmr', '0.5', '--grid-step', '1e-9']), { encoding: 'utf8', cwd: workspaceRoot });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: grid step 1e-9: gives 9\.50e\+8 grid points/);
  });
});

describe('option strings', () => {
  it('computeEdc refuses an unknown mode, error type, pair-quality rule or operating point', () => {
    expect(() => computeEdc(set, { mode: 'isoo' as never })).toThrow('mode: expected "iso" or "recomputed" (got "isoo")');
    expect(() => computeEdc(set, { error: 'fnm' as never })).toThrow('error: expected "fnmr" or "fmr" (got "fnm")');
    expect(() => computeEdc(set, { pairQuality: 'median' as never })).toThrow('pairQuality: expected "min" or "mean" or "max" (got "median")');
    expect(() => validateEdcOptions({ operatingPoint: { kind: 'far' as never, value: 0.1 } })).toThrow(/operatingPoint\.kind: expected "fmr" or "threshold" or "starting_error" \(got "far"\)/);
    expect(() => validateEdcOptions({ operatingPoint: { kind: 'fmr', value: '0.1' as never } })).toThrow(/operatingPoint\.value: expected a number/);
    expect(computeEdc(set, { mode: 'iso', error: 'fnmr', operatingPoint: { kind: 'threshold', value: 0.5 } }).warnings).toEqual([]);
  });
});

describe('qualities that are all missing', () => {
  it('warn that the curve says nothing (pAUC_norm alone would read as "no better than random")', () => {
    const nan = { ...set, qualityA: new Float64Array(6).fill(NaN), qualityB: new Float64Array(6).fill(NaN) };
    const r = computeEdc(nan, { operatingPoint: { kind: 'threshold', value: 0.5 } }, 'broken');
    expect(r.warnings).toContain('method "broken": none of the 3 mated comparisons has an assessed quality (all NaN or missing): discarding ranks nothing, so the curve and its pAUC_norm say nothing about the method');
    const rec = computeEdc(nan, { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: 0.34 } }, 'broken');
    expect(rec.warnings.some((w) => w.startsWith('method "broken": none of the 6 comparisons has an assessed quality'))).toBe(true);
    // one assessed quality is enough not to warn
    const one = { ...nan, qualityA: Float64Array.from([1, NaN, NaN, NaN, NaN, NaN]), qualityB: Float64Array.from([1, NaN, NaN, NaN, NaN, NaN]) };
    expect(computeEdc(one, { operatingPoint: { kind: 'threshold', value: 0.5 } }).warnings.filter((w) => w.includes('assessed'))).toEqual([]);
  });
});

describe('a header that names a column twice', () => {
  it('is an error naming both columns, in CSV and Arrow inputs', async () => {
    const csv = write('dup.csv', 'similarity,mated,pair_quality,Pair_Quality\n0.9,1,3,1\n0.1,0,2,2\n');
    await expect(readComparisons(csv)).rejects.toThrow(`${csv}, line 1 (header): expected each column name once (got "Pair_Quality" twice, columns 3 and 4)`);
    const t = new arrow.Table({
      similarity: arrow.makeVector(Float64Array.from([0.9, 0.1])),
      mated: arrow.makeVector(Uint8Array.from([1, 0])),
      pair_quality: arrow.makeVector(Float64Array.from([3, 2])),
      ' SIMILARITY': arrow.makeVector(Float64Array.from([0.1, 0.9])),
    });
    const file = join(dir, 'dup.arrow');
    writeResultTable(file, t, { kind: 'comparisons', run_id: 'x', config_hash: 'x' });
    await expect(readComparisons(file)).rejects.toThrow(/expected each column name once \(got "SIMILARITY" twice, columns 1 and 4\)/);
  });
});

describe('a pair labelled both mated and non-mated', () => {
  it('is an error in the dasec JSON layout, naming both places', async () => {
    const json = write(
      'both.json',
      JSON.stringify({
        similarity_scores: [
          { type: 'mated', scores_by_pair_ids: { 'a-b': 0.9, 'c-d': 0.8 } },
          { type: 'nonmated', scores_by_pair_ids: { 'a-c': 0.1, 'b-a': 0.2 } },
        ],
        quality_scores_by_sample_id_per_algorithm: { q: { a: 1, b: 2, c: 3, d: 4 } },
      }),
    );
    await expect(readComparisons(json)).rejects.toThrow(`${json}, key "similarity_scores[1].scores_by_pair_ids.b-a": expected each pair labelled once (got non-mated here, mated at "similarity_scores[0].scores_by_pair_ids.a-b")`);
  });
});
