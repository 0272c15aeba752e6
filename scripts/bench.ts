/**
 * `pnpm bench [filter]`: runs every `packages/*\/bench/*.bench.ts` and `apps/*\/bench/*.bench.ts` in its own
 * process (so each starts its tensor backend fresh) and prints their reports. A filter keeps only files whose
 * path contains it, e.g. `pnpm bench edc`.
 */
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const filters = process.argv.slice(2);
const files: string[] = [];
for (const group of ['packages', 'apps']) {
  for (const pkg of readdirSync(join(root, group))) {
    const dir = join(root, group, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.bench.ts')) files.push(join(dir, f));
  }
}
const chosen = files.filter((f) => !filters.length || filters.some((x) => relative(root, f).includes(x)));
if (!chosen.length) {
  console.error(`no benchmark matches ${filters.join(' ')}; available:\n${files.map((f) => '  ' + relative(root, f)).join('\n')}`);
  process.exit(1);
}
let failed = 0;
for (const f of chosen) {
  console.log(`\n=== ${relative(root, f)}`);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', f], { stdio: 'inherit', cwd: root, env: { ...process.env, AIKD_QUIET_PROGRESS: '1' } });
  console.log(`(${((performance.now() - t) / 1000).toFixed(1)} s${r.status ? `, exit ${r.status}` : ''})`);
  if (r.status) failed++;
}
process.exit(failed ? 1 : 0);
