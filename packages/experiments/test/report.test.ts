/** Which experiment run `aikd report NAME` uses when several runs have that name, and saying so. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue, Run } from '@aikd/results';
import { findExperiment } from '../src/index.ts';

describe('findExperiment', () => {
  it('by name with several runs: the newest, with a note naming the others and how to choose one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-report-'));
    const old = Run.create({ kind: 'experiment', id: 'exp-quick-aaaa1111', name: 'quick', params: {}, root });
    old.finish();
    await new Promise((r) => setTimeout(r, 20));
    const recent = Run.create({ kind: 'experiment', id: 'exp-quick-bbbb2222', name: 'quick', params: {}, root });
    recent.finish({}, 'partial');
    Run.create({ kind: 'experiment', id: 'exp-other-cccc3333', name: 'other', params: {}, root }).finish();
    const cat = await Catalogue.open(root);
    try {
      const byName = (await findExperiment(cat, 'quick'))!;
      expect(byName.id).toBe('exp-quick-bbbb2222');
      expect(byName.note).toMatch(/^2 experiment runs are named "quick"; using the newest, exp-quick-bbbb2222 \(partial, started [^)]+\)\. Others: exp-quick-aaaa1111 \(completed, started [^)]+\)\. To use another, give its id \(e\.g\. aikd report exp-quick-aaaa1111\) or the experiment's YAML file\.$/);
      // an id, or a name with one run, needs no note
      expect(await findExperiment(cat, 'exp-quick-aaaa1111')).toEqual({ id: 'exp-quick-aaaa1111', name: 'quick' });
      expect(await findExperiment(cat, 'other')).toEqual({ id: 'exp-other-cccc3333', name: 'other' });
    } finally {
      cat.close();
    }
  });
});
