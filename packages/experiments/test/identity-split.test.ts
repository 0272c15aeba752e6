/**
 * One identity-disjoint split: for the same (dataset, fraction, seed), `aikd method train --test-identities`,
 * `aikd train --test-identities` (the real CLI, child processes) and an experiment's `split:` (the runner's
 * resources) hold out the same identities, so a learned teacher and its student are never tested on each other's
 * training identities.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readRunRecord } from '@aikd/results';
import { Resources } from '../src/index.ts';
import { makeFixture, type Fixture } from './fixture.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

function aikd(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, aikdArgv(['--json', ...args]), { encoding: 'utf8', env: { ...process.env, AIKD_BACKEND: 'wasm', CI: '1', ...env }, maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
}

const FRACTION = 0.5, SEED = 3;
let fx: Fixture;
beforeAll(async () => {
  fx = await makeFixture(8, 2); // 8 identities × 2 images
});

async function experimentHoldsOut(seed: number): Promise<string[]> {
  const saved = { ...process.env };
  Object.assign(process.env, fx.env);
  const res = new Resources();
  try {
    const test = await res.evalDataset({ name: 'synth', split: { testFraction: FRACTION, seed }, key: `synth@${seed}` });
    const train = await res.trainDataset({ name: 'synth', split: { testFraction: FRACTION, seed }, key: `synth@${seed}` });
    const ids = (d: typeof test) => [...new Set(d.images().map((r) => r.identity!))].sort();
    expect(ids(train).filter((x) => ids(test).includes(x))).toEqual([]);
    return ids(test);
  } finally {
    await res.close();
    process.env = saved;
  }
}

describe('teachers, students and experiments hold out the same identities', () => {
  it(`(synth, ${FRACTION}, seed ${SEED})`, async () => {
    const experiment = await experimentHoldsOut(SEED);
    expect(experiment).toHaveLength(4);
    // not vacuous: another seed holds out other identities
    expect(await experimentHoldsOut(SEED + 1)).not.toEqual(experiment);

    const teacher = aikd(['method', 'train', '--method', 'crfiqa', '--dataset', 'synth', '--fr-model', 'mobileface', '--seed', String(SEED), '--test-identities', String(FRACTION), '--param', 'epochs=1', '--param', 'batchSize=4'], fx.env);
    const teacherRun = readRunRecord(join(fx.env.AIKD_RESULTS!, 'runs', teacher.run_id, 'run.json'));
    expect([...(teacherRun.params.test_identities as string[])].sort()).toEqual(experiment);

    const student = aikd(['train', '--dataset', 'synth', '--method', 'embedding-norm', '--fr-model', 'mobileface', '--seed', String(SEED), '--test-identities', String(FRACTION), '--epochs', '1', '--batch', '4', '--max-steps', '1'], fx.env);
    const studentRun = readRunRecord(join(fx.env.AIKD_RESULTS!, 'runs', student.run_id, 'run.json'));
    const split = (studentRun.params.data as { identity_split: { held_out: string[]; seed: number } }).identity_split;
    expect(split.seed).toBe(SEED);
    expect([...split.held_out].sort()).toEqual(experiment);
  });
});
