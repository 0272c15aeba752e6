/**
 * `pnpm readme`: regenerate the README's generated blocks — the methods table from the method catalogue
 * (apps/cli/src/methods-table.ts) and the official weights from the weights registry (apps/cli/src/weights-section.ts).
 * `--check` exits 1 when the README is stale instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeWorkbench } from '../apps/cli/src/workbench.ts';
import { methodsTable, withMethodsTable } from '../apps/cli/src/methods-table.ts';
import { weightsSection, withWeightsSection } from '../apps/cli/src/weights-section.ts';

const file = join(fileURLToPath(import.meta.url), '..', '..', 'README.md');
const readme = readFileSync(file, 'utf8');
const next = withWeightsSection(withMethodsTable(readme, methodsTable(composeWorkbench().methods)), weightsSection());
if (process.argv.includes('--check')) {
  if (next !== readme) {
    process.stderr.write('README.md: a generated block (methods table, official weights) is stale; run `pnpm readme`\n');
    process.exitCode = 1;
  }
} else if (next !== readme) {
  writeFileSync(file, next);
  process.stdout.write('README.md: generated blocks updated\n');
} else process.stdout.write('README.md: generated blocks up to date\n');
