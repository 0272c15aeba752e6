/**
 * Importing a package never changes global state: the workbench's catalogues (methods and their families of runs,
 * FR models, builders of built-in datasets) are the same before and after importing every package's public surface
 * and command module; only the composition root (src/workbench.ts) registers the parts of other packages.
 * (A fresh module graph per file, `*.isolated.test.ts`: the catalogues are process-wide and these tests change them.)
 */
import { describe, expect, it } from 'vitest';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import { datasetBuilders } from '@aikd/datasets';

const PACKAGES = ['core', 'runtime', 'results', 'datasets', 'alignment', 'edc', 'fr-models', 'teachers', 'aikd', 'experiments', 'dashboard'];

const snapshot = () => ({
  methods: methodCatalogue.ids(),
  runFamilies: methodCatalogue.runPrefixes(),
  frModels: frModelCatalogue.list().map((m) => m.id),
  datasetBuilders: datasetBuilders(),
});

describe('registries', () => {
  it('importing each package (its index and its commands) leaves the catalogues unchanged; the composition root changes them', async () => {
    const before = snapshot();
    expect(before.methods).toEqual(['serfiq', 'faceqan', 'magface', 'embedding-norm', 'crfiqa', 'sddfiqa', 'faceqnet', 'diffiqa', 'diffiqa-r']);
    expect(before.frModels).toEqual(['faceres', 'faceres-deep', 'faceapi-resnet', 'mobileface', 'adaface', 'swinface', 'transface', 'cosface', 'arcface', 'magface']);
    for (const pkg of PACKAGES) {
      await import(`@aikd/${pkg}`);
      expect(snapshot(), `after importing @aikd/${pkg}`).toEqual(before);
      await import(`@aikd/${pkg}/cli`);
      expect(snapshot(), `after importing @aikd/${pkg}/cli`).toEqual(before);
    }
    await import('../src/commands.ts');
    await import('../src/main.ts');
    expect(snapshot(), 'after importing the CLI').toEqual(before);
    // the composition root is where registration happens (and it is idempotent)
    const { composeWorkbench } = await import('../src/workbench.ts');
    composeWorkbench();
    composeWorkbench();
    expect(snapshot()).toEqual({ ...before, methods: [...before.methods, 'aikd'], runFamilies: [...before.runFamilies, 'aikd'], datasetBuilders: [...before.datasetBuilders, 'demo'] });
  }, 120_000);
});

describe('the composition root', () => {
  it('registers a builder for every built-in dataset, so any command that opens one builds it first', async () => {
    const { composeWorkbench } = await import('../src/workbench.ts');
    composeWorkbench();
    const { datasetBuilders, loadDatasetsConfig } = await import('@aikd/datasets');
    const builtin = loadDatasetsConfig().datasets.filter((d) => d.builtin).map((d) => d.name);
    expect(builtin).toContain('demo');
    for (const name of builtin) expect(datasetBuilders()).toContain(name);
  });
});
