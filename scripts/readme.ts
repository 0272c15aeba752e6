/**
 * `pnpm readme`: regenerate the README's methods table from the method catalogue (apps/cli/src/methods-table.ts).
 * `--check` exits 1 when the README is stale instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeWorkbench } from '../apps/cli/src/workbench.ts';
import { methodsTable, withMethodsTable } from '../apps/cli/src/methods-table.ts';

const file = join(fileURLToPath(import.meta.url), '..', '..', 'README.md');
const readme = readFileSync(file, 'utf8');
const next = withMethodsTable(readme, methodsTable(composeWorkbench().methods));
if (process.argv.includes('--check')) {
  if (next !== readme) {
    process.stderr.write('README.md: the methods table is stale; run `pnpm readme`\n');
    process.exitCode = 1;
  }
} else if (next !== readme) {
  writeFileSync(file, next);
  process.stdout.write('README.md: methods table updated\n');
} else process.stdout.write('README.md: methods table up to date\n');
