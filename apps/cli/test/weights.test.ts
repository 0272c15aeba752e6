/**
 * The paper's weights as they are published, through the real `aikd` command: `models import FILE.pth --as KIND`
 * converts a PyTorch checkpoint into a cached, content-addressed ONNX model recorded in models.yaml; `score --weights`
 * runs a method on it (a name or a .pth converted on the fly) and gives PyTorch's own qualities on the fixture's real
 * aligned faces; `models list` shows each official file, present or missing, with its recorded hash and the command
 * that imports it; `run experiments/paper-benchmark.yaml --dry-run` names the missing weights by their published
 * files. Checkpoints: packages/fr-models/test/fixtures/torch (reduced iResNets written by PyTorch, outputs.json =
 * PyTorch's eval-mode outputs).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@aikd/core';
import { importTorchModel, loadModelsConfig } from '@aikd/fr-models';
import { aikd } from './helpers.ts';

const fixtures = join(workspaceRoot, 'packages', 'fr-models', 'test', 'fixtures', 'torch');
const fixture = (f: string) => join(fixtures, f);
const pytorch = JSON.parse(readFileSync(fixture('outputs.json'), 'utf8')) as { faces: string[] } & Record<string, { embedding?: number[]; quality?: number[] }>;
const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

const tmp = mkdtempSync(join(tmpdir(), 'aikd-weights-'));
const env = { AIKD_HOME: join(tmp, 'home'), AIKD_MODELS: join(tmp, 'models.yaml'), AIKD_RESULTS: join(tmp, 'results') };
// the in-process imports below use the same cache and models.yaml as the spawned commands
Object.assign(process.env, env);
const modelsYaml = () => loadModelsConfig()!.config;

/** `aikd score --images <fixture faces> --aligned --json` with these arguments: qualities by file, in the fixture's order. */
function score(args: string[]): number[] {
  const r = aikd(['score', '--images', fixture('faces'), '--aligned', '--json', ...args], env);
  expect(r.stderr).not.toMatch(/^error/m);
  expect(r.code).toBe(0);
  const rows = JSON.parse(r.stdout) as { file: string; quality: number }[];
  expect(rows.map((x) => x.file)).toEqual(pytorch.faces);
  return rows.map((x) => x.quality);
}
const maxAbs = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describe('aikd models import', () => {
  let first: Record<string, unknown>;
  beforeAll(() => {
    const r = aikd(['models', 'import', fixture('crfiqa.pth'), '--as', 'crfiqa', '--name', 'crfiqa-l', '--json'], env);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    first = JSON.parse(r.stdout);
  });

  it('converts into the AIKD_HOME cache under the checkpoint’s SHA-256 and records the entry in models.yaml', () => {
    const sha = sha256(fixture('crfiqa.pth'));
    expect(first).toMatchObject({ name: 'crfiqa-l', kind: 'crfiqa', sha256: sha, reused: false, models_file: env.AIKD_MODELS, outputs: { embedding: 'embedding', quality: 'quality' } });
    const onnx = first.onnx as string;
    expect(onnx).toBe(join(env.AIKD_HOME, 'cache', 'torch-models', `${sha.slice(0, 16)}-crfiqa`, 'model.onnx'));
    const record = JSON.parse(readFileSync(join(onnx, '..', 'model.json'), 'utf8'));
    expect(record).toMatchObject({ kind: 'crfiqa', source: { sha256: sha, format: 'zip' }, onnx: { sha256: sha256(onnx) }, architecture: { bn_eps: 1e-5, head: { kind: 'linear', prefix: 'qs.' } } });
    const entry = modelsYaml().models['crfiqa-l']!;
    expect(entry).toMatchObject({ path: onnx, size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', output: 'embedding' });
    expect(entry.imported).toMatchObject({ from: fixture('crfiqa.pth'), sha256: sha, kind: 'crfiqa', converted_sha256: sha256(onnx) });
  });

  it('the same bytes again come from the cache (hashed, not read), and models.yaml is unchanged', () => {
    const before = readFileSync(env.AIKD_MODELS, 'utf8');
    const r = aikd(['models', 'import', fixture('crfiqa.pth'), '--as', 'crfiqa', '--name', 'crfiqa-l', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reused: true, onnx: first.onnx, sha256: first.sha256 });
    expect(readFileSync(env.AIKD_MODELS, 'utf8')).toBe(before);
  });

  it('another file under a taken name is refused (nothing replaced) unless --force; a file of another kind names its keys', async () => {
    await expect(importTorchModel(fixture('diffiqa-r.pth'), 'diffiqa-r', { name: 'crfiqa-l' })).rejects.toThrow(
      /models\.yaml, models\.crfiqa-l: expected no entry "crfiqa-l" \(give the import another --name, or --force to replace it\) \(got an entry with path .*crfiqa\/model\.onnx \(imported from .*crfiqa\.pth/,
    );
    expect(modelsYaml().models['crfiqa-l']!.imported!.kind).toBe('crfiqa');
    const scratch = await importTorchModel(fixture('diffiqa-r.pth'), 'diffiqa-r', { name: 'scratch' });
    await expect(importTorchModel(fixture('aikd.pth'), 'aikd', { name: 'scratch' })).rejects.toThrow(/expected no entry "scratch"/);
    const forced = await importTorchModel(fixture('aikd.pth'), 'aikd', { name: 'scratch', force: true });
    expect(forced.replaced?.path).toBe(scratch.converted.onnx);
    expect(modelsYaml().models.scratch!.imported!.kind).toBe('aikd');
    await expect(importTorchModel(fixture('aikd.pth'), 'crfiqa')).rejects.toThrow(/aikd\.pth: expected the state_dict of crfiqa:.*\(got 2 missing: qs\.weight, qs\.bias; 4 unexpected: quality_head\.l1\.weight/);
    expect(Object.keys(modelsYaml().models)).toEqual(['crfiqa-l', 'scratch']);
  });

  it('a checkpoint that would run code (os.system) is refused, naming the global; nothing is cached or recorded', () => {
    const r = aikd(['models', 'import', fixture('malicious.pth'), '--as', 'cosface'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/malicious\.pth.*posix\.system/);
    expect(Object.keys(modelsYaml().models)).toEqual(['crfiqa-l', 'scratch']);
    expect(existsSync(join(env.AIKD_HOME, 'cache', 'torch-models', `${sha256(fixture('malicious.pth')).slice(0, 16)}-cosface`))).toBe(false);
  });
});

describe('aikd score --weights: the official networks give PyTorch’s qualities on real aligned faces (≤ 1e-4)', () => {
  it('--method aikd --weights aikd.pth (a checkpoint, converted on the fly)', () => {
    expect(maxAbs(score(['--method', 'aikd', '--weights', fixture('aikd.pth')]), pytorch.aikd!.quality!)).toBeLessThanOrEqual(1e-4);
  });

  it('--method crfiqa --weights crfiqa-l (the name `models import` recorded)', () => {
    expect(maxAbs(score(['--method', 'crfiqa', '--weights', 'crfiqa-l']), pytorch.crfiqa!.quality!)).toBeLessThanOrEqual(1e-4);
  });

  it('--method magface --weights magface.pth (its training checkpoint: module.features.*, BN eps 2e-5, BGR x/255): the norm', () => {
    expect(maxAbs(score(['--method', 'magface', '--weights', fixture('magface.pth')]), pytorch.magface!.quality!)).toBeLessThanOrEqual(1e-4);
  });
});

describe('what is missing is named by the published file', () => {
  it('run experiments/paper-benchmark.yaml --dry-run names each missing official file with its import command; imported ones are not missing', () => {
    const r = aikd(['run', join(workspaceRoot, 'experiments', 'paper-benchmark.yaml'), '--dry-run', '--json'], env);
    expect(r.code).toBe(0);
    const missing = (JSON.parse(r.stdout) as { missing: { kind: string; name: string; missing: string[] }[] }).missing;
    const about = (kind: string, name: string) => missing.find((m) => m.kind === kind && m.name === name)?.missing.join('; ') ?? '';
    expect(about('fr_model', 'cosface')).toContain('glint360k_cosface_r100_fp16_0.1/backbone.pth');
    expect(about('fr_model', 'cosface')).toContain('`aikd models import glint360k_cosface_r100_fp16_0.1/backbone.pth --as cosface`');
    expect(about('method', 'magface')).toContain('`aikd models import magface_epoch_00025.pth --as magface`');
    expect(about('method', 'diffiqa-r')).toContain("`aikd models import 'diffiqa(r).pth' --as diffiqa-r`");
    expect(about('method', 'aikd(diffiqa-r)')).toContain('diffiqa(r).pth');
    // crfiqa-l was imported above: CR-FIQA and the AI-KD student it teaches are not missing anything
    expect(missing.filter((m) => m.name === 'crfiqa' || m.name === 'aikd(crfiqa)')).toEqual([]);
  });

  it('models list: each official file present or missing, its hash as recorded at import, the command that imports it', async () => {
    await importTorchModel(fixture('iresnet-fp16.pth'), 'cosface', { name: 'cosface' });
    await importTorchModel(fixture('magface.pth'), 'magface', { name: 'magface' });
    const r = aikd(['models', 'list', '--json'], env);
    expect(r.code).toBe(0);
    const { official_weights: rows, fr_models: fr } = JSON.parse(r.stdout) as { official_weights: Record<string, unknown>[]; fr_models: { id: string; available: boolean; note?: string }[] };
    const row = (model: string) => rows.find((x) => x.model === model)!;
    expect(row('crfiqa-l')).toMatchObject({ present: true, how: 'imported', sha256: sha256(fixture('crfiqa.pth')), sha256_source: 'recorded at import', file: '181952backbone.pth' });
    expect(row('cosface')).toMatchObject({ present: true, sha256: sha256(fixture('iresnet-fp16.pth')), command: 'aikd models import glint360k_cosface_r100_fp16_0.1/backbone.pth --as cosface' });
    expect(row('magface')).toMatchObject({ present: true, rows: ['MagFace'] });
    for (const m of ['crfiqa-s', 'diffiqa-r', 'aikd-best']) expect(row(m)).toMatchObject({ present: false });
    expect(row('diffiqa-r').sha256).toBeUndefined();
    expect(row('aikd-best').command).toBe('aikd models import aikd-best.pth --as aikd');
    // the imported FR models run here now (their path is the converted file)
    expect(fr.find((m) => m.id === 'cosface')).toMatchObject({ available: true, note: modelsYaml().models.cosface!.path });
  });
});
