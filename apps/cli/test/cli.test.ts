import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aikd } from './helpers.ts';

const results = mkdtempSync(join(tmpdir(), 'aikd-cli-'));

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

  it('cache prune: a dry run lists a stale conversion and keeps it, the real run removes it and says what it freed', () => {
    const home = mkdtempSync(join(tmpdir(), 'aikd-cli-cache-'));
    const stale = join(home, 'cache', 'onnx', 'faceres-0000000000000000');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'head.onnx'), new Uint8Array(1000));
    writeFileSync(join(stale, 'model.onnx'), new Uint8Array(4000));
    const dry = aikd(['cache', 'prune', '--dry-run'], { AIKD_HOME: home });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would remove ${stale} (stale ONNX conversion, 5.00 kB)`);
    expect(dry.stdout).toMatch(/would free 5\.00 kB; kept 0 current conversions and 0 feature files \(0 B of 2\.00 GB allowed\)/);
    expect(existsSync(join(stale, 'model.onnx'))).toBe(true);
    const r = JSON.parse(aikd(['cache', 'prune', '--json', '--max-features', '1GB'], { AIKD_HOME: home }).stdout);
    expect(r).toMatchObject({ dryRun: false, freedBytes: 5000, limitBytes: 1e9, removed: [{ path: stale, bytes: 5000, reason: 'stale conversion' }] });
    expect(existsSync(stale)).toBe(false);
  });

  it('cache prune: a size limit that is not a size is a clear error', () => {
    const r = aikd(['cache', 'prune', '--max-features', 'lots']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--max-features: expected a size such as 2GB, 500MB or 1\.5GiB \(got "lots"\)/);
    const env = aikd(['cache', 'prune'], { AIKD_FEATURE_CACHE_MAX: '2 bananas' });
    expect(env.stderr).toMatch(/AIKD_FEATURE_CACHE_MAX: expected a size/);
  });
});
