import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from '@aikd/core/cli';
import { setOutputMode } from '@aikd/core';
import { datasetsCommand, register } from '../src/cli.ts';
import { jpeg, tempDir, writeFile } from './helpers/fixtures.ts';

function program(): Command {
  const p = new Command('aikd').exitOverride();
  register(p);
  return p;
}

/** Run `aikd …` in --json mode and return what it printed on stdout, parsed. */
async function runJson(args: string[]): Promise<unknown> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  setOutputMode({ json: true, quiet: true });
  try {
    await program().parseAsync(['node', 'aikd', ...args]);
  } finally {
    spy.mockRestore();
    setOutputMode({ json: false, quiet: false });
  }
  return JSON.parse(out.join(''));
}

describe('aikd datasets', async () => {
  afterEach(() => {
    process.exitCode = undefined;
  });
  const dir = tempDir('cli');
  for (const [k, f] of ['p/a/1.jpg', 'p/a/2.jpg', 'p/b/1.jpg', 'p/b/2.jpg'].entries()) writeFile(join(dir, f), await jpeg(k));
  writeFile(join(dir, 'bad/x/1.jpg'), 'garbage');
  writeFile(join(dir, 'bad/x/2.jpg'), await jpeg(9));
  const yaml = writeFile(
    join(dir, 'datasets.yaml'),
    'datasets:\n  - { name: ok, format: folder, paths: { images: p }, expected: { images: 4 } }\n  - { name: broken, format: folder, paths: { images: bad } }\n  - { name: gone, format: lfw, paths: { images: nowhere } }\n',
  );
  const common = ['--config', yaml, '--data', dir];

  it('list: presence and counts without decoding', async () => {
    const rows = (await runJson(['datasets', 'list', ...common])) as Record<string, unknown>[];
    expect(rows.map((r) => [r.name, r.present, r.images, r.identities, r.pairs, r.mated])).toEqual([
      ['ok', 'yes', 4, 2, 4, 2],
      ['broken', 'yes', 2, 1, 1, 1],
      ['gone', 'no', null, null, null, null],
    ]);
  });

  it('check: OK for a good set, errors and exit code 1 for a bad one', async () => {
    const good = (await runJson(['datasets', 'check', 'ok', ...common])) as { ok: boolean; decoded: number };
    expect(good).toMatchObject({ ok: true, decoded: 4 });
    expect(process.exitCode).toBeUndefined();
    const bad = (await runJson(['datasets', 'check', 'broken', ...common])) as { ok: boolean; errors: number; problems: { file: string }[] };
    expect(bad).toMatchObject({ ok: false, errors: 1 });
    expect(bad.problems[0]!.file).toBe(join(dir, 'bad/x/1.jpg'));
    expect(process.exitCode).toBe(1);
  });

  it('export: images and lists in the output folder', async () => {
    const r = (await runJson(['datasets', 'export', 'ok', '--out', join(dir, 'exp'), ...common])) as { images: number; pairs: number };
    expect(r).toMatchObject({ images: 4, pairs: 4 });
    for (const f of ['images/a/1.jpg', 'image_path_list.txt', 'pair_list.txt', 'attributes.csv', 'export.json']) expect(existsSync(join(dir, 'exp', f)), f).toBe(true);
  });

  it('other packages add subcommands under the same `datasets` group, in either registration order', () => {
    const p = program();
    const build = datasetsCommand(p).command('build').description('built by another package');
    const groups = p.commands.filter((c) => c.name() === 'datasets');
    expect(groups).toHaveLength(1);
    expect(groups[0]!.commands.map((c) => c.name())).toEqual(['list', 'check', 'export', 'build']);
    expect(build.parent).toBe(groups[0]);

    const q = new Command('aikd');
    datasetsCommand(q).command('build'); // e.g. alignment registered first
    register(q);
    expect(q.commands.filter((c) => c.name() === 'datasets')[0]!.commands.map((c) => c.name())).toEqual(['build', 'list', 'check', 'export']);
  });
});
