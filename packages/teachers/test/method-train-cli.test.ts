/** `aikd method train` (and its deprecated alias `aikd teacher train`) and scoring its run, as a user runs them: child processes of the real CLI. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@aikd/core';
import { encodePng } from '@aikd/datasets';
import { readRunRecord, readResultTable } from '@aikd/results';
import { randomCrop, tempDir } from './helpers.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

const root = tempDir('method-train-cli');
const env = { ...process.env, NO_COLOR: '1', CI: '1', AIKD_HOME: join(root, 'home'), AIKD_RESULTS: join(root, 'results'), AIKD_DATASETS: join(root, 'datasets.yaml') };

function aikd(args: string[]) {
  const r = spawnSync(process.execPath, aikdArgv(args), { cwd: workspaceRoot, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  for (let p = 0; p < 4; p++)
    for (let k = 0; k < 2; k++) {
      mkdirSync(join(root, 'crops', `p${p}`), { recursive: true });
      writeFileSync(join(root, 'crops', `p${p}`, `i${k}.png`), await encodePng(randomCrop(`cli${p}-${k}`, 112)));
    }
  writeFileSync(env.AIKD_DATASETS, `datasets:\n  - name: cli-ids\n    format: folder\n    aligned: true\n    crop_size: 112\n    paths: { images: ${join(root, 'crops')} }\n`);
  writeFileSync(join(root, 'train.yaml'), 'method: crfiqa\ndataset: cli-ids\nfr_model: mobileface\nseed: 3\nparams:\n  epochs: 2\n  batchSize: 4\n');
});

describe('aikd method train', () => {
  it('--config + flags → a run; --test-identities holds identities out; aikd score --method crfiqa:<run-id> uses it', () => {
    const r = aikd(['--json', 'method', 'train', '--config', join(root, 'train.yaml'), '--param', 'epochs=3', '--test-identities', '0.25']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out.method_id).toBe(`crfiqa:${out.run_id}`);
    expect(out).toMatchObject({ fr_model: 'mobileface', test_identities: 1, images: 6 });
    const run = readRunRecord(join(root, 'results', 'runs', out.run_id, 'run.json'));
    expect(run.params).toMatchObject({ method: 'crfiqa', seed: 3, params: { epochs: 3, batchSize: 4 } });
    expect((run.params.test_identities as string[]).length).toBe(1);

    const s = aikd(['--json', 'score', '--method', out.method_id, '--dataset', 'cli-ids']);
    expect(s.code).toBe(0);
    const sc = JSON.parse(s.stdout) as Record<string, any>;
    expect(sc).toMatchObject({ method: out.method_id, fr_model: 'mobileface', images: 8 });
    const { table, provenance } = readResultTable(sc.file);
    expect(provenance).toMatchObject({ method: out.method_id, fr_model: 'mobileface', dataset: 'cli-ids' });
    expect(table.numRows).toBe(8);
  });

  it('bad requests are one-line errors with exit code 1', () => {
    const noMethod = aikd(['method', 'train', '--dataset', 'cli-ids']);
    expect(noMethod.code).toBe(1);
    expect(noMethod.stderr).toMatch(/give --method and --dataset/);
    const notLearned = aikd(['method', 'train', '--method', 'serfiq', '--dataset', 'cli-ids', '--fr-model', 'mobileface']);
    expect(notLearned.code).toBe(1);
    expect(notLearned.stderr).toMatch(/"serfiq" is not a learned method; expected one of crfiqa, sddfiqa, faceqnet, diffiqa, diffiqa-r/);
    const onnx = aikd(['method', 'train', '--method', 'faceqnet', '--dataset', 'cli-ids', '--onnx', 'x.onnx']);
    expect(onnx.stderr).toMatch(/official weights need no training: score with `aikd score --method faceqnet --onnx x.onnx/);
    writeFileSync(join(root, 'bad.yaml'), 'method: crfiqa\nepochs: 3\n');
    const bad = aikd(['method', 'train', '--config', join(root, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml.*epochs/);
  });

  it('the old name `aikd teacher train` still runs the same command, with a deprecation note on stderr', () => {
    const old = aikd(['teacher', 'train', '--method', 'serfiq', '--dataset', 'cli-ids', '--fr-model', 'mobileface']);
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/aikd teacher train is deprecated: use `aikd method train`/);
    expect(old.stderr).toMatch(/"serfiq" is not a learned method; expected one of crfiqa, sddfiqa, faceqnet, diffiqa, diffiqa-r/);
    const help = aikd(['--help']);
    expect(help.stdout).toMatch(/^  methods\|method\b/m);
    expect(help.stdout).toMatch(/^  teacher\s+deprecated: use `aikd method train`/m);
  });
});
