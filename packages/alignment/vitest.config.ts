import { defineProject } from 'vitest/config';
export default defineProject({ test: { name: 'alignment', include: ['test/**/*.test.ts'], testTimeout: 120_000 } });
