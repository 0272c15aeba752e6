import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aikd } from './helpers.ts';

const results = mkdtempSync(join(tmpdir(), 'aikd-cli-'));

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

describe('aikd', () => {
  it('--help lists the commands', () => {
    const r = aikd(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['env', 'query', 'setup']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('query --json prints rows as JSON on stdout only', () => {
    const r = aikd(['query', 'select 42 as x', '--json'], { AIKD_RESULTS: results });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('[{"x":42}]\n');
  });

  it('a malformed query gives a one-line error and exit 1', () => {
    const r = aikd(['query', 'selec 42'], { AIKD_RESULTS: results });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: query failed: Parser Error/);
  });

  it('env --json reports the backend, and AIKD_BACKEND / --backend override it', () => {
    const auto = JSON.parse(aikd(['env', '--json']).stdout);
    expect(['tensorflow', 'wasm']).toContain(auto.backend);
    expect(auto.backend_reason).toBeTruthy();
    const cpu = JSON.parse(aikd(['env', '--json'], { AIKD_BACKEND: 'cpu' }).stdout);
    expect(cpu).toMatchObject({ backend: 'cpu', backend_requested: 'cpu (AIKD_BACKEND)' });
    const flag = JSON.parse(aikd(['--backend', 'cpu', 'env', '--json']).stdout);
    expect(flag.backend).toBe('cpu');
    expect(flag.onnxruntime.providers.some((p: { name: string }) => p.name === 'cpu')).toBe(true);
  });

  it('an unknown backend is a clear error', () => {
    const r = aikd(['env'], { AIKD_BACKEND: 'gpu' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/AIKD_BACKEND: expected one of auto, tensorflow, wasm, cpu \(got "gpu"\)/);
  });
});
