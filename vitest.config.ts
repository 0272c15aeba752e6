import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    // builds stale packages once, before any file starts, for the tests' `aikd` child processes
    globalSetup: ['scripts/test/global-setup.ts'],
  },
});
