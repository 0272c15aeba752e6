import { Option, numberArg, intArg, listArg, type Command } from '@aikd/core/cli';
import { AikdError, emit } from '@aikd/core';
import { EDC_MODES, ERROR_TYPES, INPUT_FORMATS, PAIR_QUALITY_RULES, DEFAULT_BOOTSTRAP_REPLICATES } from './constants.ts';
import type { EdcMode, ErrorType, InputFormat, OperatingPoint, PairQualityRule } from './types.ts';

interface EdcCliOptions {
  input: string;
  format?: InputFormat;
  mode: EdcMode;
  fmr?: number[];
  threshold?: number[];
  startingError?: number[];
  error: ErrorType;
  discardLimit?: number[];
  pairQuality: PairQualityRule;
  lowerIsBetter?: boolean;
  gridStep?: number;
  out?: string;
  plot?: string;
  dataset?: string;
  frModel?: string;
  condition?: string;
  results?: string;
  maxPoints?: number;
  bootstrap: number;
  bootstrapSeed?: string;
}

const rate = (name: string) => numberArg(name, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
const fraction = (name: string) => numberArg(name, (x) => x > 0 && x <= 1, 'a number in (0, 1]');

/** The operating points named on the command line: exactly one kind (default FMR 1e-3), one curve per value. */
function operatingPoints(o: EdcCliOptions): OperatingPoint[] | undefined {
  const given = ([['fmr', o.fmr], ['threshold', o.threshold], ['starting_error', o.startingError]] as const).filter(([, v]) => v?.length);
  if (given.length > 1) throw new AikdError(`give only one of --fmr, --threshold, --starting-error (got ${given.map(([k]) => '--' + k.replace('_', '-')).join(' and ')})`);
  if (!given.length) return undefined;
  const [kind, values] = given[0]!;
  return [...new Set(values)].map((value) => ({ kind, value }));
}

export function register(program: Command): void {
  program
    .command('edc')
    .description('error-versus-discard curves (EDC/ERC) and pAUC of quality scores over comparison scores')
    .requiredOption('--input <file>', 'comparisons: .csv/.tsv, .arrow, .parquet (columns similarity, mated, pair_quality or quality_a + quality_b, [method], [identity_a + identity_b]) or dasec .json')
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(INPUT_FORMATS as string[]))
    .addOption(new Option('--mode <mode>', 'iso: fixed threshold, tie groups discarded whole (ISO/IEC 29794-1, dasec); recomputed: CR-FIQA\'s ERC code exactly').choices(EDC_MODES as string[]).default('iso'))
    .option('--fmr <F>', 'threshold at this FMR over all non-mated comparisons (default 1e-3; repeat or comma-separate for several curves)', listArg(rate('--fmr')))
    .option('--threshold <X>', 'a fixed comparison-score threshold (iso mode)', listArg(numberArg('--threshold')))
    .option('--starting-error <E>', 'threshold at this quantile of mated similarities, numpy-linear (1 − E of non-mated for --error fmr; iso mode)', listArg(rate('--starting-error')))
    .addOption(new Option('--error <type>', 'fnmr: FNM-EDC over mated comparisons; fmr: FM-EDC over non-mated ones').choices(ERROR_TYPES as string[]).default('fnmr'))
    .option('--discard-limit <L>', 'pAUC discard limit(s) (default 0.2 and 0.3)', listArg(fraction('--discard-limit')))
    .addOption(new Option('--pair-quality <rule>', 'pair quality from the two sample qualities').choices(PAIR_QUALITY_RULES as string[]).default('min'))
    .option('--lower-is-better', 'quality scores are uncertainties: lower = better')
    .option('--grid-step <S>', 'recomputed mode: discard grid step (default 0.05, grid 0 … 0.95)', numberArg('--grid-step', (x) => x > 0 && x <= 0.95, 'a number in (0, 0.95]'))
    .option('--out <name.arrow>', 'store edc_points and edc_summary in the results store (a run of kind "edc") and write them to name.edc_points.arrow / name.edc_summary.arrow (+ Parquet twins)')
    .option('--plot <file>', 'draw the curves (.svg or .png)')
    .option('--dataset <name>', 'dataset name recorded with --out')
    .option('--fr-model <name>', 'FR model name recorded with --out')
    .option('--condition <name>', 'test condition recorded with --out (e.g. aligned, misaligned)')
    .option('--results <dir>', 'results folder for --out (default: AIKD_RESULTS or ./results)')
    .option('--bootstrap <N>', 'bootstrap replicates for 95% intervals of pAUC and pAUC_norm (0 = off): identity-cluster with columns identity_a + identity_b, else pair-level', intArg('--bootstrap', 0), DEFAULT_BOOTSTRAP_REPLICATES)
    .option('--bootstrap-seed <seed>', 'seed of the bootstrap resamples (default 0)')
    .option('--max-points <n>', 'print (--json) and store (--out) at most about n points per curve, thinned along the discard axis (default: all; areas always use all points)', intArg('--max-points', 2))
    .action(async (o: EdcCliOptions) => {
      if (o.gridStep !== undefined && o.mode !== 'recomputed') throw new AikdError('--grid-step applies to --mode recomputed only');
      const { evaluateFile } = await import('./evaluate.ts');
      const { edcResultJson, edcTableText } = await import('./format.ts');
      const out = await evaluateFile({
        input: o.input,
        format: o.format,
        mode: o.mode,
        error: o.error,
        operatingPoints: operatingPoints(o),
        discardLimits: o.discardLimit,
        pairQuality: o.pairQuality,
        lowerIsBetter: !!o.lowerIsBetter,
        gridStep: o.gridStep,
        out: o.out,
        plot: o.plot,
        dataset: o.dataset,
        fr_model: o.frModel,
        condition: o.condition,
        resultsRoot: o.results,
        maxPoints: o.maxPoints,
        bootstrap: o.bootstrap,
        bootstrapSeed: o.bootstrapSeed === undefined ? undefined : /^-?\d+$/.test(o.bootstrapSeed) ? Number(o.bootstrapSeed) : o.bootstrapSeed,
      });
      emit({ results: out.results.map((r) => edcResultJson(r)), written: out.written }, () => {
        const lines = [edcTableText(out.results)];
        if (out.written.run_id) lines.push(`run ${out.written.run_id} (${out.written.run_dir})`);
        for (const f of out.written.files) lines.push(`wrote ${f}`);
        return lines.join('\n');
      });
    });
}
