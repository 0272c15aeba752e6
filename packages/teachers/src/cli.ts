import { resolve } from 'node:path';
import { emit, outputMode, textTable, AikdError, log } from '@aikd/core';
import { intArg, listArg, type Command } from '@aikd/core/cli';
import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import { methodCatalogue } from './catalogue/index.ts';
import { isLearnedMethod } from './train/learned.ts';
import { methodsWithWeights } from '@aikd/fr-models/weights';

interface ScoreOpts {
  dataset?: string;
  images?: string;
  method?: string;
  frModel?: string;
  onnx?: string;
  weights?: string;
  param?: string[];
  alignment: string;
  seed: string;
  aligned?: boolean;
  batch?: string;
  cache: boolean;
  out?: string;
}

interface ImportOpts {
  dataset: string;
  method: string;
  format?: string;
  column?: string;
  idColumn?: string;
  frModel?: string;
  alignment?: string;
  minCoverage?: string;
  out?: string;
}

interface MethodTrainOpts {
  method?: string;
  dataset?: string;
  frModel?: string;
  config?: string;
  param?: string[];
  testIdentities?: string;
  seed?: string;
  unet?: string;
  onnx?: string;
}

interface ValidateOpts {
  validate?: boolean;
  dataset: string;
  methods?: string[];
  frModels?: string[];
  identities: string;
  gradientIdentities: string;
  bootstrap: number;
  seed: string;
}

const seedOf = (s: string): number | string => (/^\d+$/.test(s) ? Number(s) : s);

const paramOption = listArg<string>((s) => s);

export function register(program: Command): void {
  const methods = program
    .command('methods')
    .alias('method')
    .description('FIQA methods: the catalogue (`aikd methods`), and training the learned ones (`aikd method train`)');
  methods
    .command('list', { isDefault: true })
    .description('every FIQA method, what it needs, and whether it can run here; --validate: does each training-free method track degradation')
    .option('--validate', 'score the demo set with every training-free method on every built-in FR model: Spearman of quality with the degradation level, with a bootstrap interval over identities')
    .option('--dataset <name>', 'with --validate: a dataset whose images have a numeric "severity" attribute', 'demo')
    .option('--methods <ids>', 'with --validate: these methods (default: every method that needs no training here)', listArg<string>((s) => s))
    .option('--fr-models <names>', `with --validate: these FR models (default: ${frModelCatalogue.tfjsIds().join(', ')})`, listArg<string>((s) => s))
    .option('--identities <n|all>', 'with --validate: score n identities, evenly spaced (default all)', 'all')
    .option('--gradient-identities <n|all>', 'with --validate: the same for methods needing input gradients (FaceQAN, ~50 passes per image)', '10')
    .option('--bootstrap <B>', 'with --validate: bootstrap replicates', intArg('--bootstrap', 1), 1000)
    .option('--seed <seed>', 'with --validate: seed of the methods and of the bootstrap', '0')
    .action(async (o: ValidateOpts) => {
      if (o.validate) return validateCommand(o);
      const rows = await methodCatalogue.describe();
      const needs = (r: (typeof rows)[number]) =>
        [r.requires.frModel && 'FR model', r.requires.gradients && 'input gradients', r.requires.training && 'trained weights'].filter(Boolean).join(', ') || '-';
      emit(rows, () =>
        textTable(
          rows.map((r) => ({ id: r.id, method: r.title, needs: needs(r), runs_here: r.available ? 'yes' : 'no', fr_models: r.frModels?.join(', ') ?? '', note: r.note ?? '' })),
        ),
      );
    });
  methodTrainCommand(methods.command('train'));

  const score = program
    .command('score')
    .description('quality scores of a dataset (Arrow, into the results store) or of a folder of images (CSV); `score import` reads scores made elsewhere')
    .option('--dataset <name>', 'a dataset from datasets.yaml')
    .option('--images <dir>', 'a folder of image files (faces are detected and aligned unless --aligned)')
    .option('--method <id>', `a method of the catalogue (\`aikd methods\`): ${methodCatalogue.names().join(', ')}`)
    .option('--fr-model <name>', 'FR model the method runs on (default faceres; magface always uses the MagFace model)')
    .option('--onnx <file>', `the weights of a method that takes a file (${methodCatalogue.list().filter((d) => d.needs.weights).map((d) => d.id).join(', ')}): official regressors, DifFIQA's UNet, the MagFace model`)
    .option('--weights <name|file>', `the official PyTorch weights of ${methodsWithWeights().join(', ')}: a name from \`aikd models import\` (models.yaml), or a .pth file (converted into the cache first)`)
    .option('--param <key=value>', 'method parameter, repeatable (e.g. T=50, p=0.5, rescale=true; k=10, l=5, epsilon=0.001)', paramOption)
    .option('--alignment <procedure>', 'alignment procedure for --dataset', 'proper')
    .option('--seed <seed>', 'seed of the alignment and the method (dropout masks, noise)', '0')
    .option('--aligned', 'with --images: the files are already aligned crops (resized, no detection)')
    .option('--batch <n>', 'images per batch')
    .option('--no-cache', 'ignore and do not write the score cache and the FR feature cache')
    .option('--out <file>', 'with --dataset: also write the Arrow table here; with --images: the CSV (file,quality,error) to write')
    .action(async (o: ScoreOpts) => {
      if (!o.method) throw new AikdError("aikd score: give --method (see `aikd methods list`)");
      if (!!o.dataset === !!o.images) throw new AikdError('aikd score: give exactly one of --dataset NAME or --images DIR (or use `aikd score import`)');
      if (o.images && !o.out && !outputMode().json) throw new AikdError('aikd score --images: give --out scores.csv (or --json to print the scores)');
      const { parseParamArgs } = await import('./params.ts');
      const method = await methodCatalogue.open(o.method, { frModel: o.frModel, onnx: o.onnx, weights: o.weights, params: parseParamArgs(o.param ?? []), featureCache: o.cache });
      const seed = seedOf(o.seed);
      const batchSize = o.batch ? Number(o.batch) : undefined;
      try {
        if (o.dataset) await scoreDatasetCommand(o, method, seed, batchSize);
        else {
          const { scoreImageFiles, imageScoresCsv } = await import('./score-files.ts');
          const records = await scoreImageFiles(o.images!, method, { aligned: o.aligned, seed, batchSize });
          if (o.out) {
            const { writeFileAtomic } = await import('@aikd/core');
            writeFileAtomic(resolve(o.out), imageScoresCsv(records));
          }
          const failed = records.filter((r) => r.quality === null);
          emit(records, () =>
            [
              textTable(records.map((r) => ({ file: r.file, quality: r.quality, error: r.error ?? '' }))),
              `${records.length - failed.length} of ${records.length} images scored with ${method.id}${method.frModel ? ` (${method.frModel})` : ''}${o.out ? ` → ${o.out}` : ''}`,
            ].join('\n'),
          );
        }
      } finally {
        await method.dispose();
      }
    });

  score
    .command('import <file>')
    .description('import scores computed elsewhere (FIQA-repo CSV "path score", OFIQ ;-CSV, pickled {path: score} dict, Arrow/Parquet) onto a dataset, matched by path suffix')
    .option('--dataset <name>', 'the dataset the scores belong to (required)')
    .option('--method <id>', 'which method made them (serfiq, …, diffiqa-r, or <family>:<name>; required)')
    .option('--format <format>', 'csv, ofiq, pickle, arrow or parquet (default: detected)')
    .option('--column <name>', 'quality column (OFIQ default UnifiedQualityScore.scalar; tables: quality/score)')
    .option('--id-column <name>', 'image column of a table or CSV with a header')
    .option('--fr-model <name>', 'FR model the other tool used (recorded)')
    .option('--alignment <name>', 'alignment the other tool used (recorded; default "external")')
    .option('--min-coverage <fraction>', 'fail when fewer than this fraction of the images get a score', '0')
    .option('--out <file.arrow>', 'also write the Arrow table here')
    .action(async (file: string, _o: ImportOpts, cmd: Command) => {
      const o = importOptions(cmd);
      const { importScores, SCORE_FILE_FORMATS } = await import('./import/index.ts');
      if (o.format && !(SCORE_FILE_FORMATS as readonly string[]).includes(o.format)) throw new AikdError(`--format ${o.format}: expected one of ${SCORE_FILE_FORMATS.join(', ')}`);
      const { openDataset } = await import('@aikd/datasets');
      const { withRun, writeResultTable } = await import('@aikd/results');
      const { scoresTable, scoresProvenance } = await import('./score-dataset.ts');
      const ds = await openDataset(o.dataset);
      try {
        const imp = await importScores(resolve(file), ds, {
          method: o.method,
          format: o.format as never,
          column: o.column,
          idColumn: o.idColumn,
          frModel: o.frModel,
          alignment: o.alignment,
          minCoverage: Number(o.minCoverage ?? 0),
        });
        const r = imp.report;
        const run = await withRun(
          { kind: 'score', params: { source: 'import', dataset: o.dataset, method: o.method, file: resolve(file), format: imp.file.format, column: imp.file.column ?? null, fr_model: o.frModel ?? null } },
          (run) => {
            const table = scoresTable(imp.set);
            const prov = scoresProvenance(imp.set, run.id);
            run.writeTable('scores', table, prov);
            if (o.out) writeResultTable(resolve(o.out), table, prov);
            run.finish({ images: imp.set.ids.length, matched: r.matched, unmatched_keys: r.unmatchedCount, ambiguous_keys: r.ambiguousCount, images_without_score: r.missingCount, failed_to_assess: imp.file.failed });
            return run;
          },
        );
        const summary = {
          run_id: run.id,
          dataset: ds.name,
          method: o.method,
          format: imp.file.format,
          column: imp.file.column,
          entries: imp.file.entries.length,
          ...r,
          failed_to_assess: imp.file.failed,
          file: `${run.dir}/scores.arrow`,
        };
        emit(summary, () =>
          [
            `${imp.file.entries.length} scores in ${file} (${imp.file.format}${imp.file.column ? `, column ${imp.file.column}` : ''}) → ${ds.name}: ${r.matched} of ${ds.images().length} images matched`,
            r.unmatchedCount ? `unmatched keys: ${r.unmatchedCount}, e.g. ${r.unmatched.slice(0, 3).join(', ')}` : '',
            r.ambiguousCount ? `ambiguous keys (fit several images; give longer paths): ${r.ambiguousCount}, e.g. ${r.ambiguous.slice(0, 3).join(', ')}` : '',
            r.duplicates.length ? `images named twice (first kept): ${r.duplicates.slice(0, 3).join('; ')}` : '',
            r.missingCount ? `images without a score (quality NaN = not assessed): ${r.missingCount}, e.g. ${r.missing.slice(0, 3).join(', ')}` : '',
            imp.file.failed ? `failed to assess (NaN): ${imp.file.failed}` : '',
            `run ${run.id} → ${run.dir}/scores.arrow`,
          ]
            .filter(Boolean)
            .join('\n'),
        );
      } finally {
        await ds.close();
      }
    });
  // deprecated name of `aikd method train` ("teacher" now means only AI-KD's teacher); remove in the next release
  const teacher = program.command('teacher').description('deprecated: use `aikd method train` (this alias goes in the next release)');
  methodTrainCommand(teacher.command('train'), 'aikd teacher train is deprecated: use `aikd method train` (same options); the old name goes in the next release');
}

/** `aikd method train` (and its deprecated alias `aikd teacher train`): a learned method trained here. */
function methodTrainCommand(cmd: Command, deprecation?: string): void {
  const learned = methodCatalogue.list().filter(isLearnedMethod);
  cmd
    .description(
      `train a learned method (${learned.map((d) => d.title).join(', ')}) on a frozen FR model → a run scored as <method>:<run-id> (official weights need no training: aikd score --method M --onnx FILE)`,
    )
    .option('--method <id>', learned.map((d) => d.id).join(', '))
    .option('--dataset <name>', 'labelled dataset from datasets.yaml (identities are needed)')
    .option('--fr-model <name>', 'frozen FR model (default faceres)')
    .option('--config <file.yaml>', 'YAML with method, dataset, fr_model, seed, test_identities and params (flags override it)')
    .option('--param <key=value>', 'training parameter, repeatable (e.g. epochs=100, hidden=64, R=2; see `aikd methods list`)', paramOption)
    .option('--test-identities <fraction>', 'hold out this fraction of the identities (seeded) for evaluation and train on the rest')
    .option('--seed <seed>', 'seed of the splits, initialisation and label draws (default 0)')
    .option('--unet <file.onnx>', 'diffiqa-r: make the DifFIQA labels with this ONNX UNet (else a local UNet is trained first)')
    .option('--onnx <file>', 'not for training: official weights are scored directly (aikd score --method M --onnx FILE)')
    .action(async (o: MethodTrainOpts) => {
      if (deprecation) log.warn(deprecation);
      if (o.onnx) throw new AikdError(`official weights need no training: score with \`aikd score --method ${o.method ?? 'M'} --onnx ${o.onnx} --dataset NAME\``);
      const { loadMethodTrainConfig, runMethodTrain } = await import('./train/command.ts');
      const cfg = o.config ? loadMethodTrainConfig(resolve(o.config)) : undefined;
      const { parseParamArgs } = await import('./params.ts');
      const params = { ...(cfg?.params ?? {}), ...parseParamArgs(o.param ?? []), ...(o.unet ? { unet: resolve(o.unet) } : {}) };
      const method = o.method ?? cfg?.method;
      const dataset = o.dataset ?? cfg?.dataset;
      if (!method || !dataset) throw new AikdError('aikd method train: give --method and --dataset (or put them in --config)');
      const summary = await runMethodTrain({
        method,
        dataset,
        frModel: o.frModel ?? cfg?.fr_model,
        params,
        seed: o.seed !== undefined ? seedOf(o.seed) : (cfg?.seed ?? 0),
        testIdentities: o.testIdentities !== undefined ? Number(o.testIdentities) : cfg?.test_identities,
      });
      emit(summary, () =>
        [
          textTable([{ run_id: summary.run_id, method_id: summary.method_id, fr_model: summary.fr_model, images: summary.images, val_spearman: summary.val_spearman ?? '', seconds: summary.total_seconds }]),
          `score with: aikd score --method ${summary.method_id} --dataset ${dataset}`,
        ].join('\n'),
      );
    });
}

/**
 * `score import`'s options: the root program does not use positional options, so options that `score` also has
 * (--dataset, --method, --fr-model, --alignment, --out) may land on `score` wherever they are written; take them
 * from there when the user gave them.
 */
function importOptions(cmd: Command): ImportOpts {
  const parent = cmd.parent!;
  const own = cmd.opts() as Partial<ImportOpts>;
  const fromParent = (k: 'dataset' | 'method' | 'frModel' | 'alignment' | 'out') => own[k] ?? (parent.getOptionValueSource(k) === 'cli' ? (parent.getOptionValue(k) as string) : undefined);
  const o = { ...own, dataset: fromParent('dataset'), method: fromParent('method'), frModel: fromParent('frModel'), alignment: fromParent('alignment'), out: fromParent('out') };
  if (!o.dataset || !o.method) throw new AikdError('aikd score import FILE: give --dataset NAME and --method ID (the method that made the scores)');
  return o as ImportOpts;
}

async function scoreDatasetCommand(o: ScoreOpts, method: import('./types.ts').QualityMethod, seed: number | string, batchSize: number | undefined): Promise<void> {
  const { openDataset } = await import('@aikd/datasets');
  const { withRun, writeResultTable } = await import('@aikd/results');
  const { scoreDataset, scoresTable, scoresProvenance } = await import('./score-dataset.ts');
  const backend = method.frModel && !method.frModel.startsWith('onnx') ? (await import('@aikd/runtime')).backendReport()?.backend : undefined;
  const ds = await openDataset(o.dataset!);
  try {
    await withRun({ kind: 'score', params: { dataset: o.dataset, method: method.id, fr_model: method.frModel ?? null, params: method.params, alignment: o.alignment, seed }, backend }, async (run) => {
      const set = await scoreDataset(ds, method, { alignment: o.alignment, seed, batchSize, cache: o.cache });
      const table = scoresTable(set);
      const prov = scoresProvenance(set, run.id);
      run.writeTable('scores', table, prov);
      if (o.out) writeResultTable(resolve(o.out), table, prov);
      const q = Array.from(set.quality).filter(Number.isFinite);
      const summary = {
        run_id: run.id,
        dataset: ds.name,
        method: method.id,
        fr_model: method.frModel ?? null,
        alignment: set.settings.alignment,
        seed,
        images: set.ids.length,
        min: q.length ? Math.min(...q) : null,
        max: q.length ? Math.max(...q) : null,
        from_cache: set.fromCache,
        images_per_s: set.seconds > 0 ? set.ids.length / set.seconds : null,
        file: `${run.dir}/scores.arrow`,
      };
      run.finish({ images: set.ids.length, from_cache: set.fromCache, seconds: set.seconds });
      emit(summary, () => textTable([summary]));
    });
  } finally {
    await ds.close();
  }
}

const countArg = (name: string, v: string): number | undefined => {
  if (v === 'all') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new AikdError(`${name}: expected a positive integer or "all", got "${v}"`);
  return n;
};

async function validateCommand(o: ValidateOpts): Promise<void> {
  const { validateMethods } = await import('./validate.ts');
  const { openDataset, loadDatasetsConfig, findEntry, datasetStatus } = await import('@aikd/datasets');
  const catalogue = await methodCatalogue.describe();
  // training-free: the built-in methods that need no training here (learned methods and run families are left out)
  const trainingFree = catalogue.filter((r) => !r.id.includes(':') && !r.requires.training && !isLearnedMethod(methodCatalogue.get(r.id)));
  const methods = o.methods ?? trainingFree.map((r) => r.id);
  const ownModel = new Set(catalogue.filter((r) => !r.requires.frModel).map((r) => r.id));
  const entry = findEntry(loadDatasetsConfig(), o.dataset);
  if (entry.builtin && o.dataset === 'demo' && !datasetStatus(entry).present) {
    log.info('building the built-in demo dataset (first use) …');
    const { buildDemoDataset } = await import('@aikd/alignment');
    await buildDemoDataset({});
  }
  const ds = await openDataset(o.dataset);
  const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');
  const below = (r: import('./validate.ts').ValidationRow) =>
    Object.entries(r.by_degradation)
      .map(([d, v]) => `${d} ${v.below_clean}/${v.faces}`)
      .join(', ');
  try {
    const report = await validateMethods(ds, {
      methods,
      frModels: o.frModels ?? frModelCatalogue.tfjsIds(),
      open: (m, fr) => methodCatalogue.open(m, fr ? { frModel: fr } : {}),
      ownModel,
      identities: countArg('--identities', o.identities),
      gradientIdentities: countArg('--gradient-identities', o.gradientIdentities),
      bootstrap: o.bootstrap,
      seed: seedOf(o.seed),
      onRow: (r) => log.info('reason' in r ? `skip ${r.method} (${r.fr_model}): ${r.reason}` : `${r.method} on ${r.fr_model}: ρ ${fmt(r.rho)} [${fmt(r.low)}, ${fmt(r.high)}] over ${r.images} images`),
    });
    emit(report, () =>
      [
        `quality vs degradation on ${report.dataset} (content ${report.content_key?.slice(0, 12) ?? '?'}, proper alignment, seed ${report.seed}): Spearman ρ(quality, severity), ` +
          `${Math.round(report.bootstrap.level * 100)} % interval from ${report.bootstrap.B} bootstrap replicates over identities; a working method has ρ < 0`,
        textTable(
          report.rows.map((r) => ({ method: r.method, fr_model: r.fr_model, images: r.images, identities: r.identities, rho: fmt(r.rho), interval: `[${fmt(r.low)}, ${fmt(r.high)}]`, verdict: r.verdict, 'degraded below clean (per face)': below(r) })),
        ),
        ...report.skipped.map((s) => `not run: ${s.method} (${s.fr_model}): ${s.reason}`),
      ].join('\n'),
    );
  } finally {
    await ds.close();
  }
}
