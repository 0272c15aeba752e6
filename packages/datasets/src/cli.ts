/**
 * `aikd datasets list | check NAME | export NAME --out DIR`. Other packages add subcommands under `datasets`
 * through `datasetsCommand(program)` (the alignment package adds `build`), whichever registers first creates it.
 */
import { Command, Option } from '@aikd/core/cli';
import { emit, textTable } from '@aikd/core';

interface CommonOpts {
  config?: string;
  data?: string;
}

/** The `datasets` command group, created on first use, so other packages can add subcommands to it. */
export function datasetsCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'datasets');
  if (existing) return existing;
  return program.command('datasets').description('benchmark datasets: list, check, export (datasets.yaml)');
}

const withCommon = (cmd: Command) =>
  cmd
    .addOption(new Option('--config <file>', 'datasets file (default: <workspace>/datasets.yaml)'))
    .addOption(new Option('--data <dir>', 'data root for relative paths (default: AIKD_DATA or ./data)'));

export function register(program: Command): void {
  const group = datasetsCommand(program);

  withCommon(group.command('list'))
    .description('every dataset in datasets.yaml: format, present?, images, identities, pairs (no image is decoded)')
    .action(async (opts: CommonOpts) => {
      const { listDatasets, openDataset } = await import('./open.ts');
      const { countDataset } = await import('./summary.ts');
      const { errorLine } = await import('@aikd/core');
      const rows: Record<string, unknown>[] = [];
      for (const st of listDatasets({ config: opts.config, dataRoot: opts.data })) {
        const row: Record<string, unknown> = { name: st.name, format: st.format, present: st.present ? 'yes' : 'no', images: null, identities: null, pairs: null, mated: null, folds: null, location: st.present ? st.paths[Object.keys(st.paths)[0]!] : st.missing[0] };
        if (st.present) {
          try {
            const ds = await openDataset(st.name, { config: opts.config, dataRoot: opts.data });
            Object.assign(row, countDataset(ds));
            delete row.nonMated;
            if (ds.problems.length) row.present = `yes (${ds.problems.length} warning${ds.problems.length > 1 ? 's' : ''})`;
            await ds.close();
          } catch (e) {
            row.present = 'error';
            row.location = errorLine(e);
          }
        }
        rows.push(row);
      }
      emit(rows, () => textTable(rows, ['name', 'format', 'present', 'images', 'identities', 'pairs', 'mated', 'folds', 'location']));
    });

  withCommon(group.command('check'))
    .description('validate a dataset: pairs resolve, images decode, counts match expected, duplicates, balanced folds')
    .argument('<name>', 'dataset name in datasets.yaml')
    .option('--no-decode', 'only read the files, do not decode images')
    .option('--max-problems <n>', 'problems to print (all with --json)', '30')
    .action(async (name: string, opts: CommonOpts & { decode: boolean; maxProblems: string }) => {
      const { checkDataset } = await import('./check.ts');
      const { problemLine } = await import('./problems.ts');
      const r = await checkDataset(name, { config: opts.config, dataRoot: opts.data, decode: opts.decode });
      emit(r, () => {
        const c = r.counts;
        const lines = [
          `${r.name} (${r.format}) at ${r.location}`,
          `  images ${c.images}, identities ${c.identities ?? '-'}, pairs ${c.pairs} (${c.mated} mated, ${c.nonMated} non-mated), folds ${c.folds ?? '-'}`,
        ];
        if (r.decoded) lines.push(`  decoded ${r.decoded}: ${Object.entries(r.sizes).map(([s, n]) => `${s} ×${n}`).join(', ')}`);
        if (r.folds.length) lines.push(`  folds (mated/non-mated): ${r.folds.map((f) => `${f.mated}/${f.nonMated}`).join(' ')}`);
        for (const n of r.notes) lines.push(`  note: ${n}`);
        const max = Math.max(0, Number(opts.maxProblems) || 0);
        for (const p of r.problems.slice(0, max)) lines.push(`  ${p.severity}: ${problemLine(p)}`);
        if (r.problems.length > max) lines.push(`  … and ${r.problems.length - max} more (use --json for all)`);
        lines.push(r.ok ? `OK${r.warnings ? ` (${r.warnings} warning${r.warnings > 1 ? 's' : ''})` : ''}` : `FAILED: ${r.errors} error${r.errors > 1 ? 's' : ''}, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}`);
        return lines.join('\n');
      });
      if (!r.ok) process.exitCode = 1;
    });

  withCommon(group.command('export'))
    .description('write the images as files plus image_path_list.txt / pair_list.txt (CR-FIQA layout; a valid pair-list dataset)')
    .argument('<name>', 'dataset name in datasets.yaml')
    .requiredOption('--out <dir>', 'output folder')
    .addOption(new Option('--image-format <fmt>', 'original bytes, or decode and re-encode').choices(['original', 'png', 'jpg']).default('original'))
    .option('--force', 'write into a folder that is not empty (files of the same name are replaced)')
    .action(async (name: string, opts: CommonOpts & { out: string; imageFormat: 'original' | 'png' | 'jpg'; force?: boolean }) => {
      const { openDataset } = await import('./open.ts');
      const { exportDataset } = await import('./export.ts');
      const { resolve } = await import('node:path');
      const ds = await openDataset(name, { config: opts.config, dataRoot: opts.data });
      try {
        const r = await exportDataset(ds, resolve(opts.out), { imageFormat: opts.imageFormat, force: !!opts.force });
        emit(r, () =>
          [
            `exported ${r.images} images and ${r.pairs} pairs to ${r.out} (${r.files.join(', ')})`,
            'as a datasets.yaml entry:',
            `  - name: ${name}-export`,
            `    format: pair-list`,
            `    paths: { images: ${r.out}/images, list: ${r.out}/image_path_list.txt, pairs: ${r.out}/pair_list.txt }`,
            ...(r.files.includes('attributes.csv') ? [`    attributes: ${r.out}/attributes.csv`] : []),
            ...(r.files.includes('landmarks.txt') ? [`    landmarks: ${r.out}/landmarks.txt`] : []),
          ].join('\n'),
        );
      } finally {
        await ds.close();
      }
    });
}
