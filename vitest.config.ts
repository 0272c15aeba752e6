import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    // builds stale packages once, before any file starts, for the tests' `aikd` child processes
    globalSetup: ['scripts/test/global-setup.ts'],
    // one test file per core (vitest's default leaves one core free: on 2 cores that is one file at a time). Most
    // files spend their time in one JavaScript thread or waiting on an `aikd` child process, so a second file keeps
    // the second core busy. Every file works in its own temporary folders (or the content-addressed, lock-guarded
    // cache), so files running side by side do not meet.
    maxWorkers: availableParallelism(),
  },
});
