import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseYamlConfig, workspaceRoot } from '@aikd/core';
import { aikdMethod } from '@aikd/aikd/catalogue';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import { experimentSchema, makePlan, loadPlan, parsePlan, validatePlan, assignShards, parseShard, shardFromScheduler } from '../src/index.ts';
import { TINY_EXPERIMENT } from './fixture.ts';
import { aikdSync } from './faults.ts';

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
    // what the names mean is the grid validation's, from the catalogue, when the file is read (dataset demo: the only problem is the method)
    const demo = TINY_EXPERIMENT.replace('name: synth', 'name: demo');
    expect(() => parsePlan(demo.replace('  - embedding-norm', '  - aikd'), 'x.yaml')).toThrow(/^x\.yaml: line 8: methods\[0\]\.id: method aikd: needs a "teacher" \(the FIQA method it distils\), or the weights of a published student/);
    expect(() => parsePlan(demo.replace('  - embedding-norm', '  - { id: serfiq, name: s2, teacher: faceqan }'), 'x.yaml')).toThrow(/^x\.yaml: line 8: methods\[0\]\.teacher: method serfiq: only aikd takes a "teacher"/);
    // method ids are the catalogue's
    expect(() => parsePlan(demo.replace('  - embedding-norm', '  - ser-fiq'), 'x.yaml')).toThrow(/^x\.yaml: line 8: methods\[0\]\.id: unknown method "ser-fiq": expected one of serfiq, .*, aikd, crfiqa:<run-id>/);
    expect(() => parsePlan(demo.replace('  - embedding-norm', '  - nope:run-1'), 'x.yaml')).toThrow(/^x\.yaml: line 8: methods\[0\]\.id: method "nope:run-1": no method family "nope:" \(expected one of crfiqa:<run-id>, .*, aikd:<run-id>\)$/);
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
    // what weights a method takes is the grid validation's, with the line (dataset demo: the only problem is the method)
    const demo = (m: string) => parsePlan(TINY_EXPERIMENT.replace('name: synth', 'name: demo').replace('  - embedding-norm', m), 'w.yaml');
    expect(demo('  - { id: aikd, name: aikd-published, weights: aikd-best }').methods.find((m) => m.id === 'aikd')!.weights).toBe('aikd-best');
    expect(() => demo('  - { id: serfiq, name: s2, weights: crfiqa-l }')).toThrow(/^w\.yaml: line 8: methods\[0\]\.weights: method s2: "serfiq" takes no weights: \(the methods whose official network is a PyTorch checkpoint: crfiqa, magface, diffiqa-r, aikd\)$/);
    expect(() => demo('  - { id: crfiqa, weights: crfiqa-l, onnx: x.onnx }')).toThrow(/^w\.yaml: line 8: methods\[0\]\.weights: method crfiqa: give its official weights once/);
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

describe('grid validation before any work', () => {
  const write = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-grid-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, yaml);
    return file;
  };
  const BAD = `name: bad
datasets: [{ name: demo, split: { test_fraction: 0.5 } }]
fr_models: [mobileface, mobilefase]
methods:
  - embeding-norm
  - id: serfiq
    params: { T: -5 }
  - id: faceqan
    params: { steps: 3 }
  - id: aikd
    teacher: { id: serfiq, params: { p: 2 } }
    train: { epochs: 1, learning_rate: 0.1 }
conditions:
  - proper
  - { procedure: landmark-jitter, params: { p: -3 } }
  - { procedure: affine-jitter, params: { rotation: 5, zoom: 2 } }
`;

  const failure = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as ConfigError;
    }
    return undefined;
  };

  it('reports every unknown method, bad parameter and bad procedure parameter with its line, when the file is read', () => {
    const file = write(BAD);
    const err = failure(() => loadPlan(file));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.issues).toEqual([
      'line 3: fr_models[1]: unknown FR model "mobilefase": expected one of faceres, faceres-deep, faceapi-resnet, mobileface, adaface, swinface, transface, cosface, arcface, magface, a models.yaml entry, or onnx:<path> (tfjs:<model> for a trainable copy)',
      'line 5: methods[0].id: unknown method "embeding-norm": expected one of serfiq, faceqan, magface, embedding-norm, crfiqa, sddfiqa, faceqnet, diffiqa, diffiqa-r, aikd, crfiqa:<run-id>, sddfiqa:<run-id>, faceqnet:<run-id>, diffiqa:<run-id>, diffiqa-r:<run-id>, aikd:<run-id> (see `aikd methods`)',
      expect.stringMatching(/^line 7: methods\[1\]\.params\.T: serfiq: parameter T: /),
      expect.stringMatching(/^line 9: methods\[2\]\.params\.steps: faceqan: unknown parameter steps \(parameters: /),
      expect.stringMatching(/^line 11: methods\[3\]\.teacher\.params\.p: serfiq: parameter p: /),
      expect.stringMatching(/^line 12: methods\[3\]\.train\.learning_rate: method aikd\(serfiq\): train\.learning_rate is not a training setting/),
      'line 15: conditions[1].params.p: procedure landmark-jitter: parameter "p" must be ≥ 0 (got -3)',
      expect.stringMatching(/^line 16: conditions\[2\]\.params\.zoom: procedure affine-jitter: unknown parameter "zoom"/),
    ]);
    expect(err!.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line 3: fr_models\\[1\\]`));
  });

  it('is the same check for a plan made in code (what runExperiment runs first)', () => {
    const plan = makePlan(parseYamlConfig(BAD, 'bad.yaml', experimentSchema));
    expect(failure(() => validatePlan(plan))!.issues.sort()).toEqual(failure(() => loadPlan(write(BAD)))!.issues.map((i) => i.replace(/^line \d+: /, '')).sort());
  });

  it('`aikd run --dry-run` refuses a misspelt method, serfiq T: -5 and landmark-jitter p: -3, each with its line, writing nothing', () => {
    const file = write(`name: bad
datasets: [demo]
fr_models: [mobileface]
methods:
  - embeding-norm
  - id: serfiq
    params: { T: -5 }
conditions:
  - proper
  - { procedure: landmark-jitter, params: { p: -3 } }
`);
    const results = join(file, '..', 'results');
    const r = aikdSync(['run', file, '--dry-run'], { AIKD_RESULTS: results });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error: ${file}: line 5: methods[0].id: unknown method "embeding-norm": expected one of serfiq,`);
    expect(r.stderr).toMatch(/\(and 2 more: line 7: methods\[1\]\.params\.T: serfiq: parameter T: [^;]*\(got -5\); line 10: conditions\[1\]\.params\.p: procedure landmark-jitter: parameter "p" must be ≥ 0 \(got -3\)\)/);
    expect(r.stdout).not.toMatch(/can run/);
    expect(existsSync(results)).toBe(false);
  }, 120_000);

  it('passes a valid grid (the shipped experiments included)', () => {
    expect(failure(() => validatePlan(loadPlan(write(TINY_EXPERIMENT.replace('name: synth', 'name: demo')))))).toBeUndefined();
    for (const f of ['quickstart.yaml', 'paper-benchmark.yaml', 'sensitivity-demo.yaml']) expect(failure(() => validatePlan(loadPlan(join(workspaceRoot, 'experiments', f)))), f).toBeUndefined();
  });
});
