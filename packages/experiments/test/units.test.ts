/** Whether a unit's last result may be reused, and the reason given when not (`aikd run --explain`). */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { cacheDir, configHash, parseYamlConfig } from '@aikd/core';
import { openDataset } from '@aikd/datasets';
import { createQualityMethod, scoreDataset } from '@aikd/teachers';
import { Run } from '@aikd/results';
import { experimentSchema, makePlan, previousResult, unitRunId, Resources, UnitKeys, type PreviousResult, type UnitKey } from '../src/index.ts';
import { TINY_EXPERIMENT, makeFixture } from './fixture.ts';

const plan = makePlan(parseYamlConfig(TINY_EXPERIMENT, 'tiny.yaml', experimentSchema));
const unit = { key: 'score.synth-test.proper.serfiq' };
const key = (over: Partial<UnitKey['inputs']> = {}, hash = 'h1'): UnitKey => ({
  hash,
  inputs: { dataset: 'd', content: 'c', condition: 'k', method: 'm', code: 'teachers@aaa', images: 16, ...over },
});
const why = (r: PreviousResult) => (r.reusable ? 'reusable' : r.why);
const record = (root: string, k: UnitKey, status: 'completed' | 'failed' | 'running' = 'completed', summary: Record<string, unknown> = {}) => {
  const run = Run.create({ kind: 'score', id: unitRunId(plan, unit.key), root, params: { unit_hash: k.hash, unit_inputs: k.inputs } });
  run.writeTable('scores', arrow.tableFromArrays({ image_id: ['a'], quality: Float64Array.from([0.5]) }), {});
  if (status === 'completed') run.finish(summary);
  else if (status === 'failed') run.fail(new Error('out of memory'));
  return run;
};

describe('previousResult', () => {
  it('reuses a completed unit with the same key and verified files', () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-units-'));
    expect(previousResult(plan, unit, key(), root)).toEqual({ reusable: false, why: 'never computed' });
    record(root, key());
    expect(previousResult(plan, unit, key(), root).reusable).toBe(true);
  });

  it('says what changed, part by part', () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-units-'));
    record(root, key());
    expect(previousResult(plan, unit, key({ content: 'c2', images: 15 }, 'h2'), root)).toEqual({ reusable: false, why: 'changed: the images it reads (content, landmarks, identities, pairs): 16 → 15 images' });
    expect(previousResult(plan, unit, key({ code: 'teachers@bbb' }, 'h2'), root)).toEqual({ reusable: false, why: 'changed: the code of teachers' });
    expect(previousResult(plan, unit, key({ method: 'm2', condition: 'k2' }, 'h2'), root)).toEqual({ reusable: false, why: 'changed: the test condition (procedure, parameters, seed); the method, its parameters or its weights' });
  });

  it('does not reuse a failed or interrupted attempt, a modified file, or a training whose run is gone', () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-units-'));
    const r = record(root, key(), 'failed');
    expect(previousResult(plan, unit, key(), root)).toEqual({ reusable: false, why: 'the last attempt failed: Error: out of memory' });
    record(root, key(), 'running');
    expect(why(previousResult(plan, unit, key(), root))).toBe('the last attempt did not finish (interrupted, or running elsewhere)');
    record(root, key());
    writeFileSync(join(r.dir, 'scores.parquet'), 'x');
    expect(why(previousResult(plan, unit, key(), root))).toBe('result not trusted: scores.parquet was modified after it was written (its content hash is not the recorded one)');
    const training = Run.create({ kind: 'train', params: {}, root });
    training.finish();
    record(root, key(), 'completed', { method_id: `aikd:${training.id}`, training_run: training.id });
    expect(previousResult(plan, unit, key(), root).reusable).toBe(true);
    rmSync(training.dir, { recursive: true });
    expect(why(previousResult(plan, unit, key(), root))).toBe(`its training run ${training.id} is gone`);
  });
});

describe('UnitKeys', () => {
  it("a method's official weights (weights:) are part of its units' key: the same name with other content is another key", async () => {
    const fx = await makeFixture(2, 2);
    Object.assign(process.env, fx.env);
    const onnx = join(fx.dir, 'crfiqa-official.onnx');
    writeFileSync(onnx, 'weights, first version');
    const yaml = (m: string) => `name: w\ndatasets: [synth]\nfr_models: [mobileface]\nmethods:\n  - ${m}\nconditions: [proper]\n`;
    const scoreKey = async (m: string) => {
      const p = makePlan(parseYamlConfig(yaml(m), 'w.yaml', experimentSchema));
      const u = p.workUnits.flatMap((w) => w.units).find((x) => x.kind === 'score')!;
      return (await new UnitKeys(p, new Resources(fx.env.AIKD_RESULTS), fx.env.AIKD_RESULTS).key(u))!;
    };
    const first = await scoreKey(`{ id: crfiqa, weights: ${onnx} }`);
    writeFileSync(onnx, 'weights, second version (another size)');
    const second = await scoreKey(`{ id: crfiqa, weights: ${onnx} }`);
    expect(second.inputs.method).not.toBe(first.inputs.method);
    expect({ ...second.inputs, method: '' }).toEqual({ ...first.inputs, method: '' }); // only the method part moved
    expect(second.hash).not.toBe(first.hash);
    // a method given no weights has no weights part: the keys of results computed before weights: existed stay
    const plain = await scoreKey('embedding-norm');
    expect(plain.inputs.method).toBe(configHash({ id: 'embedding-norm', params: {}, fr_model: 'mobileface', fr_weights: new Resources().weightsKey('mobileface'), onnx: null, run_files: null, teacher: null, train: null }).slice(0, 12));
    rmSync(fx.dir, { recursive: true, force: true });
  }, 120_000);

  it("a unit's key does not depend on the FR feature cache: the same before and after its crops' features are cached", async () => {
    const fx = await makeFixture(2, 2);
    Object.assign(process.env, fx.env);
    const p = makePlan(parseYamlConfig(`name: f\ndatasets: [synth]\nfr_models: [mobileface]\nmethods: [embedding-norm, { id: serfiq, params: { T: 3 } }]\nconditions: [proper]\n`, 'f.yaml', experimentSchema));
    const units = p.workUnits.flatMap((w) => w.units).filter((x) => x.kind !== 'train');
    const keys = async () => Promise.all(units.map(async (u) => (await new UnitKeys(p, new Resources(fx.env.AIKD_RESULTS), fx.env.AIKD_RESULTS).key(u))!.hash));
    const cold = await keys();
    const ds = await openDataset('synth');
    for (const [id, params] of [['embedding-norm', {}], ['serfiq', { T: 3 }]] as const) {
      const m = await createQualityMethod(id, { frModel: 'mobileface', params });
      await scoreDataset(ds, m, { alignment: 'proper', seed: 0, cache: false });
      await m.dispose();
    }
    await ds.close();
    expect(readdirSync(cacheDir('features')).length).toBeGreaterThan(0); // warm now
    expect(await keys()).toEqual(cold);
    rmSync(fx.dir, { recursive: true, force: true });
  }, 120_000);
});
