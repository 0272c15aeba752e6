import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { aikdHome, workspaceRoot } from '@aikd/core';
import { findEntry, loadDatasetsConfig, resolveDataPath } from '../src/config.ts';
import { formatLoaders } from '../src/formats/index.ts';
import { listDatasets, openDataset, openDatasetEntry } from '../src/open.ts';
import { jpeg, tempDir, writeFile } from './helpers/fixtures.ts';

describe('paths in datasets.yaml', () => {
  it('relative to the data root; $AIKD_HOME/ inside the state folder; absolute as is', () => {
    expect(resolveDataPath('lfw/pairs.txt', '/data')).toBe('/data/lfw/pairs.txt');
    expect(resolveDataPath('$AIKD_DATA/lfw', '/data')).toBe('/data/lfw');
    expect(resolveDataPath('$AIKD_HOME/datasets/demo/images', '/data')).toBe(join(aikdHome(), 'datasets/demo/images'));
    expect(resolveDataPath('/mnt/x/lfw.bin', '/data')).toBe('/mnt/x/lfw.bin');
  });
});

describe('the shipped datasets.yaml', () => {
  const config = loadDatasetsConfig();
  it('is valid and has the paper datasets, the .bin extras and the demo set', () => {
    expect(config.file).toBe(join(workspaceRoot, 'datasets.yaml'));
    const names = config.datasets.map((d) => d.name);
    for (const n of ['demo', 'adience', 'lfw', 'lfw-bin', 'cplfw', 'cfp-fp', 'calfw', 'xqlfw', 'agedb-30', 'cfp-ff']) expect(names).toContain(n);
    const demo = findEntry(config, 'demo');
    expect(demo).toMatchObject({ format: 'folder', builtin: true, attributes: '$AIKD_HOME/datasets/demo/attributes.csv', landmarks: '$AIKD_HOME/datasets/demo/landmarks.txt' });
  });

  it('every entry gives the paths its format needs, no unknown ones, and sane expectations', () => {
    for (const e of config.datasets) {
      const loader = formatLoaders[e.format];
      for (const k of loader.requiredPaths) expect(e.paths[k], `${e.name}.paths.${k}`).toBeTypeOf('string');
      for (const k of Object.keys(e.paths)) expect([...loader.requiredPaths, ...loader.optionalPaths], `${e.name}.paths.${k}`).toContain(k);
      if (e.format === 'insightface-bin') {
        expect(e).toMatchObject({ aligned: true, crop_size: 112 });
        expect(e.expected!.images).toBe(2 * e.expected!.pairs!);
        expect(e.expected!.mated).toBe(e.expected!.pairs! / 2);
      }
      if (e.expected?.folds) expect(e.expected.folds).toBe(10);
      expect(e.notes, e.name).toBeTruthy();
    }
  });

  it('an unknown name lists the known ones', () => {
    expect(() => findEntry(config, 'lfw2')).toThrow(/no dataset named "lfw2" \(known: demo, lfw, /);
  });
});

describe('openDataset / listDatasets with a config file', async () => {
  const dir = tempDir('config');
  writeFile(join(dir, 'data/people/a/1.jpg'), await jpeg(1));
  writeFile(join(dir, 'data/people/a/2.jpg'), await jpeg(2));
  writeFile(join(dir, 'data/people/b/1.jpg'), await jpeg(3));
  const yaml = join(dir, 'datasets.yaml');
  writeFile(
    yaml,
    `datasets:
  - name: small
    format: folder
    paths: { images: people }
    expected: { images: 3 }
  - name: absent
    format: insightface-bin
    paths: { bin: faces_emore/lfw.bin }
  - name: typo
    format: folder
    paths: { imgs: people }
`,
  );

  it('resolves paths against dataRoot and reports presence', async () => {
    const st = listDatasets({ config: yaml, dataRoot: join(dir, 'data') });
    expect(st.map((s) => [s.name, s.present])).toEqual([['small', true], ['absent', false], ['typo', false]]);
    expect(st[1]!.missing).toEqual([join(dir, 'data/faces_emore/lfw.bin')]);
    expect(st[2]!.missing).toEqual(['paths.images (not set)']);
    const ds = await openDataset('small', { config: yaml, dataRoot: join(dir, 'data') });
    expect(ds.images()).toHaveLength(3);
    expect(ds.pairs().map((p) => p.mated)).toEqual([true, false]);
    expect(ds.configFile).toBe(yaml);
  });

  it('AIKD_DATA is the default data root', async () => {
    const before = process.env.AIKD_DATA;
    process.env.AIKD_DATA = join(dir, 'data');
    try {
      expect((await openDataset('small', { config: yaml })).images()).toHaveLength(3);
    } finally {
      if (before === undefined) delete process.env.AIKD_DATA;
      else process.env.AIKD_DATA = before;
    }
  });

  it('a path key the format needs but the entry lacks is an error naming the entry', async () => {
    await expect(openDataset('typo', { config: yaml, dataRoot: join(dir, 'data') })).rejects.toThrow(`${yaml}, dataset "typo", paths: expected a "images" path for format folder (got keys imgs)`);
  });

  it('an invalid entry is reported with its key path', async () => {
    await expect(openDatasetEntry({ name: 'x', format: 'zip', paths: {} })).rejects.toThrow(/format: /);
    writeFile(join(dir, 'bad.yaml'), 'datasets:\n  - name: x\n    format: folder\n    paths: { images: a }\n    aligned: maybe\n');
    expect(() => loadDatasetsConfig(join(dir, 'bad.yaml'))).toThrow(/bad.yaml: line 5: datasets\[0\].aligned/);
  });
});
