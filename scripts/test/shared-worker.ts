/**
 * Set-up of every test file in the `shared` project (vitest.config.ts). Its files share one module graph per
 * worker (`isolate: false`), so tfjs, ONNX Runtime, DuckDB and the packages are imported once per worker, not once
 * per file. A file there must leave the process as it found it:
 * - environment variables (files point AIKD_HOME, AIKD_RESULTS… at their temporary folders) and the working
 *   directory are put back after the file, whatever it did;
 * - the process-wide catalogues (methods, FR models, builders of built-in datasets) cannot be put back, so a file
 *   that changed one fails, naming what it added. Files that register things, or that need the catalogues as a
 *   fresh process has them, are named `*.isolated.test.ts` and run in the `isolated` project (a fresh module
 *   graph per file).
 */
import { afterAll } from 'vitest';
// the same modules the tests get for `@aikd/teachers/catalogue` etc. (the workspace root depends on no package)
import { methodCatalogue } from '../../packages/teachers/src/catalogue/index.ts';
import { frModelCatalogue } from '../../packages/fr-models/src/catalogue.ts';
import { datasetBuilders } from '../../packages/datasets/src/index.ts';

// vitest runs this module again before each test file, so these are the file's starting state
const env = { ...process.env };
const cwd = process.cwd();
const catalogues = () => ({
  methods: methodCatalogue.ids(),
  'FR models': frModelCatalogue.list().map((m) => m.id),
  'dataset builders': datasetBuilders(),
});
const before = catalogues();

afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
  process.chdir(cwd);
  const after = catalogues();
  for (const [name, ids] of Object.entries(after)) {
    const was = before[name as keyof typeof before];
    if (ids.join() !== was.join()) {
      throw new Error(
        `this test file changed the process-wide ${name} catalogue (${was.join(', ') || 'none'} → ${ids.join(', ') || 'none'}); other files in its worker ` +
          'would see the change. Undo it in the file, or name the file *.isolated.test.ts so it runs with a fresh module graph.',
      );
    }
  }
});
