import { defineProject } from 'vitest/config';
export default defineProject({ test: { name: 'fr-models', include: ['test/**/*.test.ts'], testTimeout: 120_000 } });
