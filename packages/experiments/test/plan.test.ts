import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from '@aikd/core';
import { aikdMethod } from '@aikd/aikd/catalogue';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import { experimentSchema, makePlan, assignShards, parseShard, shardFromScheduler } from '../src/index.ts';
import { TINY_EXPERIMENT } from './fixture.ts';

// what the CLI's composition root does: AI-KD's method joins the catalogue
methodCatalogue.register(aikdMethod);

const plan = () => makePlan(parseYamlConfig(TINY_EXPERIMENT, 'tiny.yaml', experimentSchema));

describe('experiment plan', () => {
  it('resolves the grid into units and cells, with a deterministic id', () => {
    const p = plan();
    expect(p.id).toMatch(/^exp-tiny-[0-9a-f]{8}$/);
    expect(plan().id).toBe(p.id);
    const units = p.workUnits.flatMap((w) => w.units);
    // 2 conditions × (2 FR models embed + 2 methods score)
    expect(units.filter((u) => u.kind === 'embed')).toHaveLength(4);
    expect(units.filter((u) => u.kind === 'score')).toHaveLength(4);
    expect(p.cells).toHaveLength(4);
    expect(new Set(units.map((u) => u.key)).size).toBe(units.length);
    expect(p.methods.map((m) => m.frModel)).toEqual(['mobileface', 'mobileface']);
    // a changed grid is a different experiment
    const changed = makePlan(parseYamlConfig(TINY_EXPERIMENT.replace('seed: 5', 'seed: 6'), 'x.yaml', experimentSchema));
    expect(changed.id).not.toBe(p.id);
  });

  it('gives every work unit to exactly one shard, the same way every time', () => {
    const p = plan();
    for (const n of [1, 2, 3, 5]) {
      const shards = assignShards(p.workUnits, n);
      const keys = shards.flat().map((w) => w.key).sort();
      expect(keys).toEqual(p.workUnits.map((w) => w.key).sort());
      expect(assignShards(p.workUnits, n).map((s) => s.map((w) => w.key))).toEqual(shards.map((s) => s.map((w) => w.key)));
    }
    // balanced: with as many shards as units, none is empty
    expect(assignShards(p.workUnits, p.workUnits.length).every((s) => s.length === 1)).toBe(true);
  });

  it('parses shard specs (0-based) and scheduler variables', () => {
    expect(parseShard('0/2')).toEqual({ index: 0, count: 2 });
    expect(parseShard(undefined)).toEqual({ index: 0, count: 1 });
    expect(() => parseShard('2/2')).toThrow(/0 <= i < N/);
    expect(() => parseShard('a/b')).toThrow(/expected i\/N/);
    expect(shardFromScheduler({ AIKD_SHARDS: '4', JOB_COMPLETION_INDEX: '3' })).toBe('3/4');
    expect(shardFromScheduler({ AIKD_SHARDS: '4', SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1' })).toBe('1/4');
    expect(shardFromScheduler({})).toBeUndefined();
  });

  it('rejects bad experiment files with the line and key', () => {
    expect(() => parseYamlConfig(TINY_EXPERIMENT.replace('fmr: [0.01]', 'fmr: [2]'), 'bad.yaml', experimentSchema)).toThrow(/^bad\.yaml: line 16: edc\.fmr\[0\]/);
    expect(() => parseYamlConfig(TINY_EXPERIMENT.replace('  - proper', '  - properly'), 'bad.yaml', experimentSchema)).toThrow(/^bad\.yaml: line 12: conditions\[0\]/);
    expect(() => makePlan(parseYamlConfig(TINY_EXPERIMENT.replace('  - embedding-norm', '  - serfiq'), 'dup.yaml', experimentSchema))).toThrow(/two methods are labelled "serfiq"/);
    expect(() => makePlan(parseYamlConfig(TINY_EXPERIMENT.replace('  - embedding-norm', '  - aikd'), 'x.yaml', experimentSchema))).toThrow(/aikd: needs a "teacher" \(the FIQA method it distils\), or the weights of a published student/);
    expect(() => makePlan(parseYamlConfig(TINY_EXPERIMENT.replace('  - embedding-norm', '  - { id: serfiq, name: s2, teacher: faceqan }'), 'x.yaml', experimentSchema))).toThrow(/method serfiq: only aikd takes a "teacher"/);
    // method ids are the catalogue's (read when the file is parsed)
    expect(() => parseYamlConfig(TINY_EXPERIMENT.replace('  - embedding-norm', '  - ser-fiq'), 'x.yaml', experimentSchema)).toThrow(/^x\.yaml: line 8: .*unknown method "ser-fiq": expected one of serfiq, .*, aikd, crfiqa:<run-id>/);
  });

  it('official weights by name (weights:): part of the method key, never trained here, only for methods with a checkpoint kind', () => {
    const withWeights = (m: string) => makePlan(parseYamlConfig(TINY_EXPERIMENT.replace('  - embedding-norm', m), 'w.yaml', experimentSchema));
    const a = withWeights('  - { id: crfiqa, weights: crfiqa-l }');
    const b = withWeights('  - { id: crfiqa, weights: crfiqa-s }');
    const crfiqa = a.methods.find((m) => m.id === 'crfiqa')!;
    expect(crfiqa.weights).toBe('crfiqa-l');
    expect(crfiqa.key).not.toBe(b.methods.find((m) => m.id === 'crfiqa')!.key);
    expect(a.workUnits.flatMap((w) => w.units).filter((u) => u.kind === 'train')).toEqual([]);
    // a student whose teacher has official weights trains; the teacher does not
    const student = withWeights('  - { id: aikd, teacher: { id: diffiqa-r, weights: diffiqa-r }, train: { dataset: synth } }');
    expect(student.methods.find((m) => m.id === 'aikd')!.teacher!.weights).toBe('diffiqa-r');
    expect(student.workUnits.flatMap((w) => w.units).filter((u) => u.kind === 'train')).toHaveLength(1);
    // a published student needs no teacher and is not trained
    const published = withWeights('  - { id: aikd, name: aikd-published, weights: aikd-best }');
    expect(published.methods.find((m) => m.id === 'aikd')).toMatchObject({ label: 'aikd-published', weights: 'aikd-best' });
    expect(published.workUnits.flatMap((w) => w.units).filter((u) => u.kind === 'train')).toEqual([]);
    expect(() => withWeights('  - { id: serfiq, name: s2, weights: crfiqa-l }')).toThrow(/method s2: "serfiq" takes no weights: \(the methods whose official network is a PyTorch checkpoint: crfiqa, magface, diffiqa-r, aikd\)/);
    expect(() => withWeights('  - { id: crfiqa, weights: crfiqa-l, onnx: x.onnx }')).toThrow(/method crfiqa: give its official weights once/);
  });

  it('adds the sensitivity sweep without duplicating table conditions', () => {
    const yaml = TINY_EXPERIMENT + 'sensitivity:\n  landmark_jitter: [0, 3, 6]\n  procedures: [bbox]\n  fr_models: [mobileface]\n';
    const p = makePlan(parseYamlConfig(yaml, 's.yaml', experimentSchema));
    // proper (= p 0? no: p 0 is a separate draw-free jitter), p3 with the default seed differs from the table's seed-7 jitter
    const names = p.sensitivity!.conditions.map((c) => c.name);
    expect(names[0]).toBe('proper');
    expect(names).toContain('bbox');
    expect(p.sensitivity!.conditions.filter((c) => c.procedure === 'landmark-jitter').map((c) => c.strength)).toEqual([0, 3, 6]);
    expect(p.conditions.filter((c) => c.sweepOnly).length).toBe(4);
  });
});
