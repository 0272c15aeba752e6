/**
 * Fault injection (issue 18), the part small enough for CI; `pnpm bench faults` runs the long variant. Each case
 * runs the real `aikd run` on a 6-unit grid (two datasets × embed + 2 methods) and ends with the EDC summary
 * equal to an uninterrupted run's, and every completed unit's files equal to what it recorded:
 * - random SIGKILLs during the run, then a run to the end;
 * - a truncated result file and a Parquet twin overwritten outside the workbench: those units, and only those,
 *   are recomputed;
 * - two runs of the grid at once: no unit computed twice (a lock per unit);
 * - a full disk (a write error injected at the atomic-write layer): a clear error, nothing half-written, and the
 *   next run finishes the work;
 * - one image of one dataset changed: only the units that read it are recomputed (counted).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rngFor } from '@aikd/core';
import { makeFixture, type Fixture } from './fixture.ts';
import { FAULT_EXPERIMENT, FAULT_UNITS, aikdAsync, aikdSync, edcSummary, runWithRandomKills, untrustedRuns } from './faults.ts';

let fx: Fixture;
let file: string;
let reference: Record<string, unknown>[];
/** Fresh results and cache folders (the data stays the fixture's). */
const fresh = (name: string) => ({ ...fx.env, AIKD_RESULTS: join(fx.dir, name, 'results'), AIKD_HOME: join(fx.dir, name, 'home') });

const sizeOf = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((a, e) => a + (e.isDirectory() ? sizeOf(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);

beforeAll(async () => {
  fx = await makeFixture();
  file = fx.experiment(FAULT_EXPERIMENT, 'faults.yaml');
  const r = aikdSync(['run', file, '--json', '--no-report'], fresh('reference'));
  expect(r.code, r.stderr).toBe(0);
  expect(r.json().computed).toHaveLength(FAULT_UNITS);
  reference = await edcSummary(fresh('reference').AIKD_RESULTS);
  // 2 datasets × 2 methods × 2 modes × 2 discard limits
  expect(reference).toHaveLength(16);
}, 300_000);

describe('fault injection', () => {
  it('random SIGKILLs during the grid: the next run redoes only the unfinished units and ends identical', async () => {
    const env = fresh('killed');
    const { final, killedAt } = await runWithRandomKills(file, env, rngFor(18, 'kills'), 2);
    expect(killedAt.length).toBeGreaterThanOrEqual(1);
    expect(final.reused.length + final.computed.length).toBe(FAULT_UNITS);
    expect(final.reused.length).toBe(killedAt.at(-1));
    expect(untrustedRuns(env.AIKD_RESULTS)).toEqual([]);
    expect(await edcSummary(env.AIKD_RESULTS)).toEqual(reference);
  }, 600_000);

  it('a truncated result file and a modified Parquet twin are recomputed, not trusted (only those units)', async () => {
    const env = fresh('corrupt');
    cpSync(fresh('reference').AIKD_RESULTS, env.AIKD_RESULTS, { recursive: true });
    cpSync(fresh('reference').AIKD_HOME, env.AIKD_HOME, { recursive: true });
    const runs = join(env.AIKD_RESULTS, 'runs');
    const unit = (prefix: string) => readdirSync(runs).find((d) => d.includes(prefix))!;
    const truncated = unit('.score.synth-identity-p0-p1-p2-p3-.proper.serfiq');
    const twin = unit('.embed.synth-identity-p4-p5-p6-p7-.proper.mobileface');
    truncateSync(join(runs, truncated, 'scores.arrow'), 200);
    // what `COPY … TO` did to a result's Parquet twin: a valid file with other numbers
    writeFileSync(join(runs, twin, 'comparisons.parquet'), readFileSync(join(runs, truncated, 'scores.parquet')));
    const r = aikdSync(['run', file, '--json', '--no-report', '--explain'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.computed.sort()).toEqual([twin, truncated].map((id) => id.slice(id.indexOf('.') + 1)).sort());
    expect(out.reused).toHaveLength(FAULT_UNITS - 2);
    const why = Object.fromEntries(out.explain.map((d: { unit: string; why: string }) => [d.unit, d.why]));
    expect(why[truncated.slice(truncated.indexOf('.') + 1)]).toBe('result not trusted: scores.arrow was modified after it was written (its content hash is not the recorded one)');
    expect(why[twin.slice(twin.indexOf('.') + 1)]).toBe('result not trusted: comparisons.parquet was modified after it was written (its content hash is not the recorded one)');
    expect(untrustedRuns(env.AIKD_RESULTS)).toEqual([]);
    expect(await edcSummary(env.AIKD_RESULTS)).toEqual(reference);
  }, 300_000);

  it('two runs of one grid at once share the work: no unit is computed twice', async () => {
    const env = fresh('concurrent');
    const [a, b] = [aikdAsync(['run', file, '--json', '--no-report'], env), aikdAsync(['run', file, '--json', '--no-report'], env)];
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const [oa, ob] = [JSON.parse(ra.stdout), JSON.parse(rb.stdout)];
    expect(oa.computed.filter((u: string) => ob.computed.includes(u))).toEqual([]);
    expect(oa.computed.length + ob.computed.length).toBe(FAULT_UNITS);
    // each reused what the other computed
    expect(oa.reused.length + ob.reused.length).toBe(FAULT_UNITS);
    expect(untrustedRuns(env.AIKD_RESULTS)).toEqual([]);
    expect(await edcSummary(env.AIKD_RESULTS)).toEqual(reference);
  }, 600_000);

  it('a full disk: a clear error, nothing half-written, and the next run finishes the work', async () => {
    const env = fresh('full');
    // the caches (aligned crops, the FR models' per-crop features: most of the bytes) and half of the results: the
    // disk fills after some units have finished, in the second half of the grid
    const budget = sizeOf(fresh('reference').AIKD_HOME) + Math.floor(sizeOf(fresh('reference').AIKD_RESULTS) / 2);
    const r = aikdSync(['run', file, '--json', '--no-report'], { ...env, AIKD_TEST_DISK_FULL_AFTER: String(budget) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: could not write \S+: no space left on device \(ENOSPC\); nothing was half-written \(the previous version, if any, is unchanged\)$/m);
    expect(untrustedRuns(env.AIKD_RESULTS)).toEqual([]);
    const again = aikdSync(['run', file, '--json', '--no-report'], env);
    expect(again.code, again.stderr).toBe(0);
    const out = again.json();
    expect(out.reused.length).toBeGreaterThan(0);
    expect(out.reused.length + out.computed.length).toBe(FAULT_UNITS);
    expect(await edcSummary(env.AIKD_RESULTS)).toEqual(reference);
  }, 600_000);

  it('an invalid grid stops before any work (dry run and real run); a unit that fails at run time makes the experiment partial', async () => {
    const env = fresh('partial');
    const bad = fx.experiment(FAULT_EXPERIMENT.replace('  - embedding-norm', '  - embeding-norm'), 'bad.yaml');
    for (const args of [['run', bad, '--dry-run'], ['run', bad, '--no-report']]) {
      const r = aikdSync(args, env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: ${bad}: line 8: methods[0].id: unknown method "embeding-norm"`);
    }
    expect(existsSync(env.AIKD_RESULTS)).toBe(false); // nothing was written
    // a trained run that does not exist passes validation (it is looked up when scoring) and fails its units
    const failing = fx.experiment(FAULT_EXPERIMENT.replace('  - embedding-norm', '  - crfiqa:no-such-run'), 'failing.yaml');
    const r = aikdSync(['run', failing, '--json', '--no-report'], { ...env, AIKD_HOME: fresh('reference').AIKD_HOME });
    expect(r.code).toBe(1);
    const out = r.json();
    expect(out.failed.map((f: { unit: string }) => f.unit).sort()).toEqual(['score.synth-identity-p0-p1-p2-p3-.proper.crfiqa-no-such-run', 'score.synth-identity-p4-p5-p6-p7-.proper.crfiqa-no-such-run']);
    expect(out.evaluated).toBe(true);
    expect(out.status).toBe('partial');
    const exp = JSON.parse(readFileSync(join(env.AIKD_RESULTS, 'runs', out.experiment, 'run.json'), 'utf8'));
    expect(exp.status).toBe('partial');
    expect(exp.summary.failed_units).toBe(2);
  }, 300_000);

  it('changing one image recomputes exactly the units that read it', async () => {
    const env = fresh('reference');
    // p5 is in the second dataset only: its embedding and two score units read it; the first dataset's do not
    const image = join(fx.env.AIKD_DATA, 'synth', 'images', 'p5', 'p5_2.png');
    writeFileSync(image, readFileSync(join(fx.env.AIKD_DATA, 'synth', 'images', 'p0', 'p0_0.png'))); // another person's face
    const r = aikdSync(['run', file, '--json', '--no-report', '--explain'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.computed.sort()).toEqual(['embed.synth-identity-p4-p5-p6-p7-.proper.mobileface', 'score.synth-identity-p4-p5-p6-p7-.proper.embedding-norm', 'score.synth-identity-p4-p5-p6-p7-.proper.serfiq']);
    expect(out.reused.sort()).toEqual(['embed.synth-identity-p0-p1-p2-p3-.proper.mobileface', 'score.synth-identity-p0-p1-p2-p3-.proper.embedding-norm', 'score.synth-identity-p0-p1-p2-p3-.proper.serfiq']);
    for (const d of out.explain.filter((x: { action: string }) => x.action === 'compute')) expect(d.why).toBe('changed: the images it reads (content, landmarks, identities, pairs)');
    // the first dataset's numbers stay, the second's moved
    const now = await edcSummary(env.AIKD_RESULTS);
    const cell = (rows: Record<string, unknown>[], part: string) => rows.filter((x) => String(x.run_id).includes(part));
    expect(cell(now, 'p0-p1-p2-p3')).toEqual(cell(reference, 'p0-p1-p2-p3'));
    expect(cell(now, 'p4-p5-p6-p7')).toHaveLength(8);
    expect(cell(now, 'p4-p5-p6-p7')).not.toEqual(cell(reference, 'p4-p5-p6-p7'));
  }, 300_000);
});
