/**
 * The guard of the `shared` test project (scripts/test/shared-worker.ts), whose files share one module graph per
 * worker: a real vitest, one worker, runs four files of its own in name order. A file's environment variables do
 * not reach the next file in the same process, and a file that registers a dataset builder fails, naming it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@aikd/core';

const dir = mkdtempSync(join(tmpdir(), 'aikd-shared-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const setup = join(workspaceRoot, 'scripts', 'test', 'shared-worker.ts');
const datasets = join(workspaceRoot, 'packages', 'datasets', 'src', 'index.ts');

describe('the shared project guard', () => {
  it('puts back what a file set in process.env and fails a file that changed a catalogue, naming it', () => {
    writeFileSync(
      join(dir, 'vitest.config.mjs'),
      `export default { test: { include: ['*.test.ts'], isolate: false, maxWorkers: 1, setupFiles: [${JSON.stringify(setup)}],
        sequence: { sequencer: class { async shard(f) { return f; } async sort(f) { return [...f].sort((a, b) => (a.moduleId < b.moduleId ? -1 : 1)); } } } } };\n`,
    );
    const file = (name: string, body: string) => writeFileSync(join(dir, name), `import { expect, it } from 'vitest';\n${body}\n`);
    file('a.test.ts', `it('sets', () => { process.env.AIKD_GUARD_PROBE = 'a'; (globalThis as any).guardProbe = process.pid; });`);
    file('b.test.ts', `it('sees a clean environment in the same process', () => { expect((globalThis as any).guardProbe).toBe(process.pid); expect(process.env.AIKD_GUARD_PROBE).toBeUndefined(); });`);
    file('c.test.ts', `import { registerDatasetBuilder } from ${JSON.stringify(datasets)};\nit('registers', () => { registerDatasetBuilder('guard-probe', async () => {}); });`);
    file('d.test.ts', `it('runs', () => { expect(1).toBe(1); });`);
    const report = join(dir, 'report.json');
    const r = spawnSync(process.execPath, [join(workspaceRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir, '--config', join(dir, 'vitest.config.mjs'), '--reporter=json', `--outputFile=${report}`], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
    });
    expect(r.status, r.stderr).toBe(1);
    const j = JSON.parse(readFileSync(report, 'utf8')) as { testResults: { name: string; status: string; message: string; assertionResults: { status: string }[] }[] };
    const byFile = Object.fromEntries(j.testResults.map((t) => [t.name.split('/').at(-1)!, t]));
    expect(Object.keys(byFile).sort()).toEqual(['a.test.ts', 'b.test.ts', 'c.test.ts', 'd.test.ts']);
    for (const f of ['a.test.ts', 'b.test.ts', 'd.test.ts']) expect(byFile[f]!.status, `${f}: ${byFile[f]!.message}`).toBe('passed');
    expect(byFile['c.test.ts']!.assertionResults.map((a) => a.status)).toEqual(['passed']);
    expect(byFile['c.test.ts']!.status).toBe('failed');
    expect(byFile['c.test.ts']!.message).toContain('changed the process-wide dataset builders catalogue (none → guard-probe)');
  }, 120_000);
});
