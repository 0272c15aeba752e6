/** Built-in datasets are built by whichever command opens them first (or the error names the command that does). */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { MissingResourceError } from '@aikd/core';
import { openDatasetEntry, registerDatasetBuilder } from '../src/open.ts';
import { jpeg, tempDir, writeFile } from './helpers/fixtures.ts';

describe('built-in datasets', () => {
  const dir = tempDir('builtin');
  process.env.AIKD_HOME = join(dir, 'home');
  const entry = (name: string) => ({ name, format: 'folder', builtin: true, paths: { images: join(dir, name, 'images') } });

  it('without a builder: a clear error naming the command that builds it', async () => {
    const err = await openDatasetEntry(entry('unbuilt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingResourceError);
    expect((err as Error).message).toBe(`dataset "unbuilt" is made by the workbench and is not built yet: run \`pnpm aikd datasets build unbuilt\` (missing ${join(dir, 'unbuilt', 'images')})`);
  });

  it('with one: built once on first open, even by two at the same time, then opened', async () => {
    let builds = 0;
    registerDatasetBuilder('mini', async () => {
      builds++;
      await new Promise((r) => setTimeout(r, 50));
      for (const p of ['a', 'b']) for (const k of [0, 1]) writeFile(join(dir, 'mini', 'images', p, `${k}.jpg`), await jpeg(k + (p === 'b' ? 5 : 0)));
    });
    const [x, y] = await Promise.all([openDatasetEntry(entry('mini')), openDatasetEntry(entry('mini'))]);
    expect(builds).toBe(1);
    expect(x.images()).toHaveLength(4);
    expect(y.images()).toHaveLength(4);
    await openDatasetEntry(entry('mini'));
    expect(builds).toBe(1);
  });
});
