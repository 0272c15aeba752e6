/**
 * `--mode recomputed` against CR-FIQA's own ERC code: fixtures/crfiqa was made by running `ERC/erc.py`
 * (getFNMRFixedTH) and `ERC/roc.py` (get_eer_threshold) from github.com/fdbtrs/CR-FIQA and `sklearn.metrics.auc`
 * (scripts/make-crfiqa-fixtures.py; the reference code is loaded at run time, not part of this repository), on six
 * random CSVs of 300–10,000 pairs with ties in similarity (genuine and impostor pairs at the same distance) and, in
 * two of them, in quality.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '@aikd/core';
import { evaluateFile, discardGrid } from '../src/index.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

interface Target {
  fnmr: number[];
  thresholds: number[];
  auc: number;
  fnmr_quicksort: number[];
  auc_quicksort: number;
}
interface Case {
  file: string;
  n: number;
  quality_ties: boolean;
  grid: number[];
  targets: Record<string, Target>;
}

const DIR = new URL('./fixtures/crfiqa/', import.meta.url);
const ref = JSON.parse(readFileSync(new URL('crfiqa-erc.json', DIR), 'utf8')) as { reference: { commit: string }; cases: Case[] };
const csv = (c: Case) => new URL(c.file, DIR).pathname;

describe("recomputed mode = CR-FIQA's ERC code", () => {
  it('uses the reference grid: u = k · 0.05 in float64, k = 0…19', () => {
    for (const c of ref.cases) expect([...discardGrid(0.05, 0.95)]).toEqual(c.grid);
  });

  for (const c of ref.cases)
    describe(`${c.file} (${c.n} pairs${c.quality_ties ? ', tied qualities' : ''})`, () => {
      for (const [target, t] of Object.entries(ref.cases.find((x) => x === c)!.targets))
        it(`FMR ${target}: FNMR at all 20 grid points, thresholds, AUC`, async () => {
          const out = await evaluateFile({ input: csv(c), mode: 'recomputed', operatingPoints: [{ kind: 'fmr', value: Number(target) }], discardLimits: [0.3] });
          const r = out.results[0]!;
          // bit for bit: the same counts and the same float operations (1 − accepted / genuine)
          expect([...r.points.error]).toEqual(t.fnmr);
          for (let k = 0; k < 20; k++) expect(Math.abs(r.points.threshold[k]! - t.thresholds[k]!)).toBeLessThanOrEqual(1e-12);
          expect(Math.abs(r.auc! - t.auc)).toBeLessThanOrEqual(1e-12);
          if (!c.quality_ties) expect(t.fnmr_quicksort).toEqual(t.fnmr); // the reference's own sort agrees without ties
        });
    });

  it('with tied qualities, only the order inside tie groups separates us from numpy quicksort (documented)', () => {
    const tied = ref.cases.filter((c) => c.quality_ties);
    expect(tied.length).toBeGreaterThan(0);
    for (const c of tied)
      for (const t of Object.values(c.targets)) {
        expect(t.fnmr_quicksort[0]).toBe(t.fnmr[0]); // nothing discarded yet: no tie group split
        expect(t.fnmr_quicksort).not.toEqual(t.fnmr);
      }
  });

  it('aikd edc --mode recomputed --fmr 1e-3 --json prints the reference FNMR and AUC', () => {
    const c = ref.cases.find((x) => x.n === 3000)!;
    const r = spawnSync(process.execPath, aikdArgv(['--json', 'edc', '--input', csv(c), '--mode', 'recomputed', '--fmr', '1e-3', '--bootstrap', '0']), {
      cwd: workspaceRoot,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const res = (JSON.parse(r.stdout) as { results: { points: { fnmr: number }[]; auc: number; definition: string }[] }).results[0]!;
    expect(res.points.map((p) => p.fnmr)).toEqual(c.targets['0.001']!.fnmr);
    expect(Math.abs(res.auc - c.targets['0.001']!.auc)).toBeLessThanOrEqual(1e-12);
    expect(res.definition).toMatch(/CR-FIQA/);
  });
});
