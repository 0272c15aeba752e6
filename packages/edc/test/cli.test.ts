/** `aikd edc` end to end, as a user runs it: a child process of the real CLI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@aikd/core';
import { Catalogue, readResultTable } from '@aikd/results';
import { computeEdc, readComparisons, edcResultJson } from '../src/index.ts';
import { randomSet } from './helpers.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';


function aikd(args: string[]) {
  const r = spawnSync(process.execPath, aikdArgv(args), { cwd: workspaceRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let csv: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aikd-edc-cli-'));
  csv = join(dir, 'comparisons.csv');
  const set = randomSet(7, { n: 600, qualityLevels: 12, failedShare: 0.02 });
  const lines = ['similarity,mated,quality_a,quality_b,method'];
  for (const method of ['serfiq', 'crfiqa'])
    for (let i = 0; i < set.similarity.length; i++) {
      const q = set.pairQuality[i]!;
      const qa = method === 'serfiq' ? q : (i * 31) % 12;
      lines.push(`${set.similarity[i]},${set.mated[i]},${Number.isNaN(qa) ? '' : qa},${Number.isNaN(qa) ? 3 : qa + 1},${method}`);
    }
  writeFileSync(csv, lines.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('aikd edc', () => {
  it('--json prints the results of every method, equal to the library', async () => {
    const r = aikd(['--json', 'edc', '--input', csv, '--fmr', '0.05', '--discard-limit', '0.2,0.3', '--discard-limit', '0.5', '--bootstrap', '0']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: ReturnType<typeof edcResultJson>[] };
    expect(out.results.map((x) => x.method)).toEqual(['serfiq', 'crfiqa']);
    const loaded = await readComparisons(csv);
    const lib = loaded.methods.map((m) => edcResultJson(computeEdc(m, { operatingPoint: { kind: 'fmr', value: 0.05 }, discardLimits: [0.2, 0.3, 0.5] }, m.method)));
    expect(out.results).toEqual(JSON.parse(JSON.stringify(lib)));
    expect(Object.keys(out.results[0]!.pauc)).toEqual(['0.2', '0.3', '0.5']);
    expect(out.results[0]!.n_failed_to_assess).toBeGreaterThan(0);
  });

  it('--out stores a run the catalogue sees as edc_points / edc_summary, copies the tables, --plot draws the curves', async () => {
    const results = join(dir, 'results');
    const out = join(dir, 'edc.arrow');
    const svg = join(dir, 'edc.svg');
    const r = aikd(['edc', '--input', csv, '--mode', 'recomputed', '--fmr', '0.01,0.05', '--out', out, '--plot', svg, '--results', results, '--dataset', 'demo', '--fr-model', 'mobileface', '--condition', 'aligned']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^method\s+mode\s+error/);
    expect(r.stdout).toMatch(/serfiq\s+recomputed\s+fnmr\s+fmr=0\.01/);
    expect(r.stdout).toMatch(/wrote .*edc\.edc_summary\.arrow/);
    const summary = readResultTable(join(dir, 'edc.edc_summary.arrow'));
    expect(summary.table.numRows).toBe(2 * 2 * 2); // methods × FMRs × default limits
    expect(summary.provenance).toMatchObject({ kind: 'edc_summary', dataset: 'demo', fr_model: 'mobileface' });
    expect(summary.provenance!.params).toMatchObject({ mode: 'recomputed', format: 'csv', methods: ['serfiq', 'crfiqa'], condition: 'aligned' });
    expect(existsSync(join(dir, 'edc.edc_points.parquet'))).toBe(true);
    expect(readFileSync(svg, 'utf8').match(/edc_curve_linear_marks/g)).toHaveLength(4);
    const cat = await Catalogue.open(results);
    try {
      const rows = await cat.query(
        "select method, operating_value, count(*) as n, any_value(condition) as c from edc_points where fr_model = 'mobileface' group by all order by method, operating_value",
      );
      expect(rows).toEqual([
        { method: 'crfiqa', operating_value: 0.01, n: 20, c: 'aligned' },
        { method: 'crfiqa', operating_value: 0.05, n: 20, c: 'aligned' },
        { method: 'serfiq', operating_value: 0.01, n: 20, c: 'aligned' },
        { method: 'serfiq', operating_value: 0.05, n: 20, c: 'aligned' },
      ]);
      const runs = await cat.query("select kind, status from runs where kind = 'edc'");
      expect(runs).toEqual([{ kind: 'edc', status: 'completed' }]);
      expect(await cat.query("select name from artifacts order by name")).toEqual([{ name: 'edc.svg' }, { name: 'edc_band' }, { name: 'edc_bootstrap' }, { name: 'edc_points' }, { name: 'edc_summary' }]);
      // 1000 replicates per curve and limit (pair-level: the file has no identity columns), intervals in the summary
      const boot = await cat.query('select method, operating_value, discard_limit, bootstrap_unit, len(pauc_norm) as n from edc_bootstrap order by all');
      expect(boot).toHaveLength(8);
      for (const b of boot) expect(b).toMatchObject({ bootstrap_unit: 'pair', n: 1000 });
      const s = await cat.query('select pauc_norm, pauc_norm_lo, pauc_norm_hi, bootstrap_replicates, bootstrap_unit from edc_summary');
      for (const x of s) {
        expect(x.bootstrap_replicates).toBe(1000);
        expect(x.pauc_norm_lo as number).toBeLessThan(x.pauc_norm_hi as number);
      }
    } finally {
      cat.close();
    }
  });

  it('--bootstrap with identity columns: identity-cluster intervals as {"0.3": [lo, hi]} in --json', async () => {
    const set = randomSet(9, { n: 800, qualityLevels: 40, similarityLevels: 400 });
    const file = join(dir, 'identities.csv');
    const lines = ['similarity,mated,pair_quality,identity_a,identity_b'];
    for (let i = 0; i < set.similarity.length; i++) {
      const a = i % 60;
      lines.push(`${set.similarity[i]},${set.mated[i]},${set.pairQuality[i]},id${a},id${set.mated[i] ? a : (a + 1 + (i % 59)) % 60}`);
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const r = aikd(['--json', 'edc', '--input', file, '--fmr', '0.05', '--bootstrap', '200', '--bootstrap-seed', '3']);
    expect(r.code, r.stderr).toBe(0);
    const res = (JSON.parse(r.stdout) as { results: ReturnType<typeof edcResultJson>[] }).results[0]!;
    expect(res.bootstrap).toEqual({ unit: 'identity', replicates: 200, seed: 3, level: 0.95, units: 60 });
    expect(Object.keys(res.pauc_norm_ci!)).toEqual(['0.2', '0.3']);
    for (const k of ['0.2', '0.3']) {
      const [lo, hi] = res.pauc_norm_ci![k]!;
      expect(lo).toBeLessThan(hi);
      expect(res.pauc_ci![k]![0]).toBeLessThan(res.pauc_ci![k]![1]);
    }
    // the same seed gives the same intervals
    const again = JSON.parse(aikd(['--json', 'edc', '--input', file, '--fmr', '0.05', '--bootstrap', '200', '--bootstrap-seed', '3']).stdout) as typeof r;
    expect((again as unknown as { results: typeof res[] }).results[0]!.pauc_norm_ci).toEqual(res.pauc_norm_ci);
  });

  it('bad input: one line naming the file and what was expected, exit code 1, nothing written', () => {
    const noMated = join(dir, 'nonmated.csv');
    writeFileSync(noMated, 'similarity,mated,pair_quality,method\n0.1,0,1,m\n0.2,0,2,m\n');
    const r = aikd(['edc', '--input', noMated, '--out', join(dir, 'never.arrow'), '--results', join(dir, 'r2')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${noMated}: method "m": no mated comparisons (an FNM-EDC needs some)`);
    expect(existsSync(join(dir, 'never.edc_points.arrow'))).toBe(false);
    expect(existsSync(join(dir, 'r2'))).toBe(false);
    const both = aikd(['edc', '--input', csv, '--fmr', '0.1', '--starting-error', '0.05']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/^error: give only one of --fmr, --threshold, --starting-error/);
  });
});
