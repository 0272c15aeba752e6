import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

const TESTS = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'];
const ISOLATED = ['packages/*/test/**/*.isolated.test.ts', 'apps/*/test/**/*.isolated.test.ts'];

export default defineConfig({
  test: {
    // builds stale packages once, before any file starts, for the tests' `aikd` child processes
    globalSetup: ['scripts/test/global-setup.ts'],
    // one test file per core (vitest's default leaves one core free: on 2 cores that is one file at a time). Most
    // files spend their time in one JavaScript thread or waiting on an `aikd` child process, so a second file keeps
    // the second core busy. Every file works in its own temporary folders (or the content-addressed, lock-guarded
    // cache), so files running side by side do not meet.
    maxWorkers: availableParallelism(),
    // real models on tfjs-wasm, and `aikd` child processes
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: TESTS,
          exclude: [...configDefaults.exclude, ...ISOLATED],
          // files share their worker's module graph: tfjs, ONNX Runtime, DuckDB and the packages are imported once
          // per worker instead of once per file (about a third of the suite's time). The set-up puts back what a
          // file changed in the process and fails a file that changed a process-wide catalogue.
          isolate: false,
          setupFiles: ['scripts/test/shared-worker.ts'],
        },
      },
      // files that register methods, FR models or dataset builders, or check the catalogues of a fresh process
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
  },
});
