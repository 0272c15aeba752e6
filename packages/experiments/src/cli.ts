import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { emit, textTable, AikdError, log } from '@aikd/core';
import { intArg, type Command } from '@aikd/core/cli';

/** Accept an experiment YAML file (→ its deterministic id) or an id/name as stored. */
async function experimentRef(ref: string): Promise<string> {
  if (/\.ya?ml$/.test(ref) && existsSync(ref)) {
    const { loadPlan } = await import('./load.ts');
    return loadPlan(resolve(ref)).id;
  }
  return ref;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run an experiment grid (align → embed → score → compare → EDC), cached and resumable; --shard i/N for one of N processes')
    .argument('<experiment.yaml>', 'experiment file, e.g. experiments/quickstart.yaml')
    .option('--dry-run', 'validate the whole grid (method ids, parameters, procedures; with line numbers), show the plan and what is missing on this machine; run nothing')
    .option('--explain', 'say for each unit why it is reused or computed (what changed: images, parameters, weights, code, a modified result file)')
    .option('--shard <i/N>', 'run shard i (0-based) of N: a deterministic share of the work units')
    .option('--no-evaluate', 'do not run the evaluation phase at the end (use `aikd merge` later)')
    .option('--no-report', 'do not print the table at the end')
    .option('--results <dir>', 'results folder (default AIKD_RESULTS or ./results)')
    .option('--bootstrap <N>', "bootstrap replicates for the pAUC intervals (default: the experiment's edc.bootstrap, 1000; 0 = none)", intArg('--bootstrap', 0))
    .action(async (file: string, o: { dryRun?: boolean; explain?: boolean; shard?: string; evaluate: boolean; report: boolean; results?: string; bootstrap?: number }) => {
      const { parseShard, assignShards } = await import('./plan.ts');
      // loading validates the whole grid (method ids, parameters, procedures, FR models, datasets), with line numbers
      const plan = (await import('./load.ts')).loadPlan(resolve(file));
      const shard = parseShard(o.shard ?? shardFromScheduler());
      if (o.dryRun) {
        const { checkAvailability } = await import('./availability.ts');
        const missing = await checkAvailability(plan);
        const explain = o.explain ? await (await import('./run.ts')).explainPlan(plan, o.results) : undefined;
        const shards = assignShards(plan.workUnits, shard.count);
        const mine = shards[shard.index]!;
        const out = {
          experiment: plan.id,
          datasets: plan.datasets.map((d) => d.key),
          fr_models: plan.experiment.fr_models,
          methods: plan.methods.map((m) => m.label),
          conditions: plan.conditions.map((c) => ({ name: c.name, procedure: c.procedure, params: c.params, seed: c.seed, sweep_only: !!c.sweepOnly })),
          work_units: plan.workUnits.length,
          units: plan.workUnits.reduce((a, w) => a + w.units.length, 0),
          edc_cells: plan.cells.length,
          shard: { ...shard, work_units: mine.map((w) => w.key) },
          all_work_units: plan.workUnits.map((w) => ({ key: w.key, units: w.units.map((u) => u.key), cost: Math.round(w.cost) })),
          missing,
          explain,
        };
        emit(out, () =>
          [
            `experiment ${out.experiment}: ${out.datasets.length} dataset(s) × ${out.conditions.length} condition(s) × ${out.fr_models.length} FR model(s) × ${out.methods.length} method(s)`,
            `  datasets:   ${out.datasets.join(', ')}`,
            `  FR models:  ${out.fr_models.join(', ')}`,
            `  methods:    ${out.methods.join(', ')}`,
            `  conditions: ${out.conditions.map((c) => `${c.name}${c.sweep_only ? ' (sweep)' : ''}`).join(', ')}`,
            `  ${out.units} units in ${out.work_units} work units, then ${out.edc_cells} EDC cells`,
            `  ${['embed', 'score', 'train'].map((k) => `${plan.workUnits.flatMap((w) => w.units).filter((u) => u.kind === k).length} ${k}`).join(', ')} units` +
              (shard.count > 1 ? `; shard ${shard.index}/${shard.count} takes ${mine.length} work units: ${mine.map((w) => w.key).join(', ')}` : ' (--json lists them)'),
            'the grid is valid (method ids, parameters, procedures)',
            missing.length ? `missing on this machine (${missing.length}):\n${missing.map((m) => `  ${m.kind} ${m.name}: ${m.missing.join('; ')}`).join('\n')}` : 'nothing missing: everything can run here',
            ...(explain ? [explainText(explain)] : []),
          ].join('\n'),
        );
        return;
      }
      const { runExperiment } = await import('./run.ts');
      const r = await runExperiment(plan, { shard, root: o.results, evaluate: o.evaluate, bootstrap: o.bootstrap, killAfterUnits: process.env.AIKD_TEST_KILL_AFTER_UNITS ? Number(process.env.AIKD_TEST_KILL_AFTER_UNITS) : undefined });
      let report: unknown;
      if (r.evaluated && o.report) {
        const { Catalogue } = await import('@aikd/results');
        const { buildReport, reportText } = await import('./report.ts');
        const cat = await Catalogue.open(o.results);
        try {
          const built = await buildReport(cat, plan.id, { comparePaper: true });
          // the published table's checks matter where its values apply, not on every run of the demo set
          if (!built.tables.some((t) => t.rows.some((row) => row.mean.paper !== undefined))) delete built.paper_checks;
          report = built;
        } finally {
          cat.close();
        }
        if (!process.argv.includes('--json')) process.stdout.write(reportText(report as never));
      }
      emit({ ...r, report }, () =>
        [
          `experiment ${r.experiment}${r.shard.count > 1 ? ` shard ${r.shard.index}/${r.shard.count}` : ''}: ${r.computed.length} units computed, ${r.reused.length} reused, ${r.skipped.length} skipped, ${r.failed.length} failed, ${r.seconds} s${r.evaluated ? ` (${r.status})` : ''}`,
          ...(o.explain ? [explainText(r.explain)] : r.failed.map((f) => `  failed ${f.unit}: ${f.error}`)),
          r.evaluated
            ? `results: pnpm aikd report ${r.experiment} [--format markdown|csv] — dashboard: pnpm aikd serve, then open http://127.0.0.1:8787`
            : `${r.pending.length} units still pending elsewhere; when all shards are done: pnpm aikd merge ${file}`,
        ].join('\n'),
      );
      if (r.failed.length) process.exitCode = 1;
    });

  program
    .command('merge')
    .description('evaluate an experiment whose work units were computed by several shards (reads the shared results folder)')
    .argument('<experiment.yaml>', 'the experiment file all shards ran')
    .option('--results <dir>', 'results folder')
    .option('--bootstrap <N>', "bootstrap replicates for the pAUC intervals (default: the experiment's edc.bootstrap; 0 = none)", intArg('--bootstrap', 0))
    .action(async (file: string, o: { results?: string; bootstrap?: number }) => {
      const { loadPlan } = await import('./load.ts');
      const { mergeExperiment } = await import('./run.ts');
      const plan = loadPlan(resolve(file));
      const r = await mergeExperiment(plan, o.results, o.bootstrap);
      emit({ experiment: plan.id, ...r }, () =>
        r.evaluated ? `experiment ${plan.id}: evaluated (${r.shards.length} shard records); see: pnpm aikd report ${plan.id}` : `experiment ${plan.id}: ${r.pending.length} units are not done yet, e.g. ${r.pending.slice(0, 5).join(', ')}`,
      );
      if (!r.evaluated) process.exitCode = 1;
    });

  program
    .command('report')
    .description("the paper-style pAUC table of an experiment: rows FR model × method, columns datasets + mean, with bootstrap intervals and honest ranks; agreement of the FR models; --compare-paper checks the published table and compares")
    .argument('<experiment>', 'experiment id, name, or its YAML file')
    .option('--format <format>', 'text, markdown or csv', 'text')
    .option('--compare-paper', "check the paper's published table (experiments/reference/paper-pauc.csv) and show ours − paper with our interval (the checks run even without results here)")
    .option('--mode <mode>', 'EDC mode: iso or recomputed (default: iso if present)')
    .option('--fmr <fmr>', 'operating point (default 1e-3 if present)', Number)
    .option('--discard-limit <L>', 'pAUC discard limit (default 0.3 if present)', Number)
    .option('--condition <name...>', 'only these test conditions')
    .option('--results <dir>', 'results folder')
    .action(async (ref: string, o: { format: string; comparePaper?: boolean; mode?: string; fmr?: number; discardLimit?: number; condition?: string[]; results?: string }) => {
      if (!['text', 'markdown', 'csv'].includes(o.format)) throw new AikdError(`--format: expected text, markdown or csv (got "${o.format}")`);
      const { Catalogue } = await import('@aikd/results');
      const { buildReport, reportText } = await import('./report.ts');
      const cat = await Catalogue.open(o.results);
      try {
        const r = await buildReport(cat, await experimentRef(ref), { mode: o.mode, fmr: o.fmr, discardLimit: o.discardLimit, comparePaper: o.comparePaper, conditions: o.condition });
        emit(r, () => reportText(r, o.format as 'text'));
      } finally {
        cat.close();
      }
    });

  program
    .command('sensitivity')
    .description("alignment sensitivity of an experiment with a `sensitivity:` section: Spearman ρ (aligned vs misaligned scores) and pAUC_norm against misalignment strength")
    .argument('<experiment>', 'experiment id, name, or its YAML file')
    .option('--results <dir>', 'results folder')
    .action(async (ref: string, o: { results?: string }) => {
      const { Catalogue } = await import('@aikd/results');
      const { requireExperiment } = await import('./report.ts');
      const cat = await Catalogue.open(o.results);
      try {
        const exp = await requireExperiment(cat, await experimentRef(ref));
        if (!cat.has('sensitivity')) throw new AikdError(`no sensitivity results (add a \`sensitivity:\` section to the experiment and run it)`);
        const rows = await cat.query(
          `select s.dataset, s.fr_model, s.method, s.condition, s.strength, round(s.spearman_rho, 4) as spearman_rho, round(s.pauc_norm, 4) as pauc_norm
           from sensitivity s join runs r on r.id = s.run_id where r.parent = $1 order by s.dataset, s.fr_model, s.method, s.procedure, s.strength`,
          [exp.id],
        );
        if (!rows.length) log.warn(`experiment ${exp.id} has no sensitivity rows`);
        emit(rows, () => textTable(rows));
      } finally {
        cat.close();
      }
    });
}

/** One line per unit: what happens to it and why. */
function explainText(ds: { unit: string; action: string; why: string }[]): string {
  const w = Math.max(0, ...ds.map((d) => d.unit.length));
  return ds.map((d) => `  ${d.action.padEnd(7)} ${d.unit.padEnd(w)}  ${d.why}`).join('\n');
}

/** Shard from a scheduler's environment when --shard is not given: Kubernetes Indexed Jobs, Slurm arrays. */
export function shardFromScheduler(env = process.env): string | undefined {
  const count = env.AIKD_SHARDS;
  if (!count) return undefined;
  const index = env.JOB_COMPLETION_INDEX ?? (env.SLURM_ARRAY_TASK_ID !== undefined ? String(Number(env.SLURM_ARRAY_TASK_ID) - Number(env.SLURM_ARRAY_TASK_MIN ?? 0)) : undefined);
  if (index === undefined) throw new AikdError('AIKD_SHARDS is set but neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is: pass --shard i/N');
  return `${index}/${count}`;
}
