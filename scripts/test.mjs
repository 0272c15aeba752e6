#!/usr/bin/env node
/**
 * `pnpm test [vitest filters…]`: type-checks the workspace (one `tsc` program: tsconfig.json), runs every test
 * (vitest), and ends with the plain line `N passed, N failed` that CI reads. Exit code 0 only when both succeed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };
const bin = (name) => join(root, 'node_modules', '.bin', name);

let typecheckFailed = 0;
if (!process.env.SKIP_TYPECHECK) {
  const tc = spawnSync(bin('tsc'), ['-p', 'tsconfig.json'], { stdio: 'inherit', cwd: root, env });
  if (tc.status !== 0) {
    typecheckFailed = 1;
    console.error('typecheck failed');
  }
}

const reportDir = join(root, 'test-artifacts');
mkdirSync(reportDir, { recursive: true });
const report = join(reportDir, 'vitest-report.json');
rmSync(report, { force: true });
const vt = spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], {
  stdio: 'inherit',
  cwd: root,
  env,
});
let passed = 0;
let failed = typecheckFailed;
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  passed += j.numPassedTests;
  failed += j.numFailedTests;
  // a test file that fails to load has no failed tests but a failed suite
  failed += (j.testResults ?? []).filter((r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed')).length;
} catch {
  failed += 1;
  console.error(`no vitest report at ${report} (vitest exit ${vt.status})`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || vt.status ? 1 : 0);
