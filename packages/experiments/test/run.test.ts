/**
 * The runner end to end, through the real `aikd` command in child processes: a 2-shard run + merge gives the same
 * EDC results as a 1-shard run; a run killed mid-way resumes without redoing finished units and ends with the same
 * results; the report pivots them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Catalogue } from '@aikd/results';
import { makeFixture, TINY_EXPERIMENT, type Fixture } from './fixture.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

function aikd(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, aikdArgv(args), { encoding: 'utf8', env: { ...process.env, AIKD_BACKEND: 'wasm', ...env }, maxBuffer: 64 << 20 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

async function summary(results: string): Promise<Record<string, unknown>[]> {
  const cat = await Catalogue.open(results);
  try {
    return await cat.query(
      `select * exclude (run_id) from edc_summary order by dataset, fr_model, condition, method, mode, operating_value, discard_limit`,
    );
  } finally {
    cat.close();
  }
}

let fx: Fixture;
let file: string;
let reference: Record<string, unknown>[];
beforeAll(async () => {
  fx = await makeFixture();
  file = fx.experiment(TINY_EXPERIMENT);
  const r = aikd(['run', file, '--json', '--no-report'], { ...fx.env, AIKD_RESULTS: join(fx.dir, 'one') });
  expect(r.code, r.stderr).toBe(0);
  const out = r.json();
  expect(out.computed).toHaveLength(8);
  expect(out.evaluated).toBe(true);
  reference = await summary(join(fx.dir, 'one'));
}, 300_000);

describe('aikd run', () => {
  it('writes one EDC summary row per method × mode × curve × limit, for every cell', () => {
    // 4 cells × 2 methods × 2 modes × 2 discard limits
    expect(reference).toHaveLength(32);
    expect(new Set(reference.map((r) => `${r.fr_model}/${r.condition}`))).toEqual(new Set(['mobileface/proper', 'mobileface/landmark-jitter', 'faceapi-resnet/proper', 'faceapi-resnet/landmark-jitter']));
    expect(reference.every((r) => r.dataset === 'synth@test' && Number(r.n_mated) > 0)).toBe(true); // the plan's key: the split's test part
  });

  it('2 shards + merge give results identical to 1 shard', async () => {
    const env = { ...fx.env, AIKD_RESULTS: join(fx.dir, 'two') };
    const s0 = aikd(['run', file, '--shard', '0/2', '--json', '--no-report'], env);
    expect(s0.code, s0.stderr).toBe(0);
    const first = s0.json();
    expect(first.evaluated).toBe(false);
    expect(first.pending.length).toBeGreaterThan(0);
    const s1 = aikd(['run', file, '--shard', '1/2', '--json', '--no-report'], env);
    expect(s1.code, s1.stderr).toBe(0);
    const second = s1.json();
    // the shards split the units between them
    expect(first.computed.length + second.computed.length).toBe(8);
    expect(first.computed.filter((k: string) => second.computed.includes(k))).toEqual([]);
    // the second shard finished the plan, so it evaluated; merge does it again idempotently
    expect(second.evaluated).toBe(true);
    const m = aikd(['merge', file, '--json'], env);
    expect(m.code, m.stderr).toBe(0);
    expect(await summary(join(fx.dir, 'two'))).toEqual(reference);
  }, 300_000);

  it('resumes after being killed without redoing finished units, with identical results', async () => {
    const env = { ...fx.env, AIKD_RESULTS: join(fx.dir, 'killed') };
    const killed = aikd(['run', file, '--json', '--no-report'], { ...env, AIKD_TEST_KILL_AFTER_UNITS: '3' });
    expect(killed.signal).toBe('SIGKILL');
    const again = aikd(['run', file, '--json', '--no-report'], env);
    expect(again.code, again.stderr).toBe(0);
    const out = again.json();
    expect(out.reused).toHaveLength(3);
    expect(out.computed).toHaveLength(5);
    expect(await summary(join(fx.dir, 'killed'))).toEqual(reference);
  }, 300_000);

  it('reports the paper-style table and the dry-run plan', () => {
    const env = { ...fx.env, AIKD_RESULTS: join(fx.dir, 'one') };
    const rep = aikd(['report', file, '--json'], env);
    expect(rep.code, rep.stderr).toBe(0);
    const r = rep.json();
    expect(r.mode).toBe('iso');
    expect(r.fmr).toBe(0.01);
    expect(r.discard_limit).toBe(0.3);
    expect(r.tables.map((t: { condition: string }) => t.condition)).toEqual(['proper', 'landmark-jitter']);
    const t = r.tables[0];
    // methods in the paper's order (SER-FIQ is one of its methods), then the others
    expect(t.rows.map((x: { fr_model: string; method: string }) => `${x.fr_model}/${x.method}`)).toEqual([
      'mobileface/serfiq', 'mobileface/embedding-norm', 'faceapi-resnet/serfiq', 'faceapi-resnet/embedding-norm',
    ]);
    // the report's numbers are the summary's numbers, with the summary's bootstrap interval
    const row = reference.find((x) => x.fr_model === 'mobileface' && x.condition === 'proper' && x.method === 'serfiq' && x.mode === 'iso' && x.discard_limit === 0.3)!;
    expect(t.rows[0].cells['synth@test'].ours).toBeCloseTo(Number(row.pauc_norm), 12);
    expect(t.rows[0].cells['synth@test'].ci).toEqual([row.pauc_norm_lo, row.pauc_norm_hi]);
    expect(Number(row.pauc_norm_lo)).toBeLessThanOrEqual(Number(row.pauc_norm_hi));
    expect(r.bootstrap).toEqual({ unit: 'identity', replicates: 1000, seed: '0', level: 0.95 });
    expect(t.ranking).toBe('significance');
    // two methods per block: different ranks only when the paired difference is significant, else both "1="
    for (const block of [t.rows.slice(0, 2), t.rows.slice(2, 4)]) {
      const ranks = block.map((x: { mean: { rank: number; shared: boolean } }) => x.mean);
      expect(ranks.map((x: { rank: number }) => x.rank).sort()).toEqual(ranks[0].shared ? [1, 1] : [1, 2]);
    }
    // agreement of the two FR models needs 3+ methods: none here
    expect(r.agreement).toEqual([]);
    const text = aikd(['report', file], env).stdout;
    expect(text).toMatch(/95% identity-cluster bootstrap interval \(1000 replicates, seed 0\)/);
    expect(text).toMatch(/\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] [12]=?/);
    const csv = aikd(['report', file, '--format', 'csv'], env);
    expect(csv.stdout.split('\n')[0]).toBe('condition,fr_model,method,dataset,pauc_norm,ci_lo,ci_hi,rank,rank_shared,paper_pauc_norm,ours_minus_paper,diff_lo,diff_hi,paper_inside');
    // the paper checks need no results of ours: the paper benchmark has not run here
    const paper = aikd(['report', 'paper-benchmark', '--compare-paper'], env);
    expect(paper.code, paper.stderr).toBe(0);
    expect(paper.stdout).toContain('8 rows identical across methods');
    expect(paper.stdout).toContain('SER-FIQ = SDD-FIQA (AdaFace, aligned): all 6 values identical');
    expect(paper.stdout).toMatch(/note: no experiment "paper-benchmark"/);
    expect(aikd(['report', 'paper-benchmark'], env).code).toBe(1); // without --compare-paper there is nothing to show
    const dry = aikd(['run', file, '--dry-run', '--json'], env).json();
    expect(dry.units).toBe(8);
    expect(dry.missing).toEqual([]);
  });
});
