import { basename, resolve } from 'node:path';
import { emit, textTable, AikdError } from '@aikd/core';
import type { Command } from '@aikd/core/cli';
import { frModelCatalogue } from './catalogue.ts';
import { TORCH_MODEL_KINDS, TORCH_MODEL_KIND_IDS, type TorchModelKind } from './torch/kinds.ts';

interface EmbedOpts {
  dataset?: string;
  image?: string;
  images?: string;
  model: string;
  alignment: string;
  seed: string;
  flipSum?: boolean;
  aligned?: boolean;
  out?: string;
  batch?: string;
  cache: boolean;
}

export function register(program: Command): void {
  const models = program.command('models').description('face-recognition models');
  models
    .command('list')
    .description('FR models (built-in, ONNX presets) and whether each can run here; the paper family’s official weights, which are here, and the command that imports each')
    .action(async () => {
      const { listRecognizers } = await import('./registry.ts');
      const { officialWeightsStatus } = await import('./torch/import.ts');
      const fr = listRecognizers();
      const official = officialWeightsStatus();
      emit({ fr_models: fr, official_weights: official }, () =>
        [
          'FR models',
          textTable(fr.map((r) => ({ id: r.id, engine: r.engine, available: r.available ? 'yes' : 'no', description: r.description, note: r.note ?? '' }))),
          '',
          `Official weights (PyTorch files the paper family publishes; ${official.filter((w) => w.present).length} of ${official.length} here)`,
          textTable(
            official.map((w) => ({
              name: w.model,
              file: w.file,
              present: w.present ? `yes (${w.how})` : 'no',
              sha256: w.sha256 ? `${w.sha256.slice(0, 16)}… (${w.sha256_source}${w.mismatch ? ', NOT the published file' : ''})` : '-',
              import: w.command,
              'paper rows': [...w.rows, ...w.fr_models.map((c) => `${c} column`)].join(', ') || '-',
            })),
          ),
          ...official.filter((w) => !w.present).map((w) => `  ${w.file}: ${w.published}`),
        ].join('\n'),
      );
    });

  models
    .command('import <file>')
    .description('convert a PyTorch checkpoint (.pth: the paper family’s official weights, see `aikd models list`) into a cached ONNX model and record it in models.yaml')
    .requiredOption('--as <kind>', `what the file is: ${TORCH_MODEL_KIND_IDS.join(', ')}`)
    .option('--name <name>', 'its name in models.yaml (default: the registry’s name for the official file of that kind and size, else the kind)')
    .option('--force', 'replace a models.yaml entry of that name that is something else')
    .action(async (file: string, o: { as: string; name?: string; force?: boolean }) => {
      const { importTorchModel } = await import('./torch/import.ts');
      const { progress } = await import('@aikd/core');
      const bar = progress(`import ${basename(file)}`);
      let total = 0;
      const r = await importTorchModel(file, o.as, {
        name: o.name,
        force: o.force,
        onTensor: (n) => {
          if (!total) bar.setTotal((total = n));
          bar.tick();
        },
      });
      if (total) bar.done('tensors read');
      const c = r.converted.record;
      const kind: TorchModelKind = TORCH_MODEL_KINDS[c.kind];
      const p = c.input;
      const summary = {
        name: r.name,
        kind: c.kind,
        architecture: c.architecture.name,
        official: r.official ? { id: r.official.id, file: r.official.file, title: r.official.title } : null,
        sha256: c.source.sha256,
        sha256_note: r.official?.sha256 ? (r.official.sha256 === c.source.sha256 ? 'the published SHA-256' : 'NOT the published SHA-256') : 'recorded at import; the publisher states no checksum',
        onnx: r.converted.onnx,
        reused: r.converted.reused,
        models_file: r.modelsFile,
        replaced: r.replaced?.path ?? null,
        input: p,
        outputs: c.outputs,
        renames: c.renames,
        ignored: c.ignored,
      };
      const uses = [
        `aikd embed --model ${r.name} …  /  --fr-model ${r.name}  /  tfjs:${r.name} (trainable, input gradients)`,
        ...(kind.method ? [`aikd score --method ${kind.method} --weights ${r.name} --dataset NAME   (quality: ${kind.quality})`] : []),
      ];
      emit(summary, () =>
        [
          `imported ${file} as "${r.name}"${r.official ? ` — the official ${r.official.title} (${r.official.file})` : ''}`,
          `  read as      ${c.architecture.name} (blocks ${c.architecture.layout.layers.join('-')}, widths ${c.architecture.layout.widths.join('-')}, ${c.architecture.layout.embedding}-d, BN eps ${c.architecture.bn_eps.toExponential()}${c.architecture.head ? `, ${c.architecture.head.kind} head ${c.architecture.head.prefix}*` : ''})`,
          `  keys         ${c.renames.length ? c.renames.map((x) => `'${x.from}' → '${x.to}' (${x.count})`).join(', ') : 'as the architecture names them'}${c.ignored.length ? `; left out (training only): ${c.ignored.join(', ')}` : ''}`,
          `  sha256       ${c.source.sha256} (${summary.sha256_note})`,
          `  converted    ${r.converted.onnx} (${r.converted.reused ? 'found in the cache' : 'converted now'})`,
          `  models.yaml  ${r.modelsFile}: "${r.name}"${r.replaced ? ` (replaced the entry with path ${r.replaced.path})` : ''}`,
          `  input        ${p.size}×${p.size} ${p.colour}, (x − ${p.mean}) / ${p.std}, ${p.layout}`,
          `  use it       ${uses.join('\n               ')}`,
        ].join('\n'),
      );
    });

  program
    .command('embed')
    .description('embeddings of a dataset (to the results store as Arrow), of one image, or of a folder of images')
    .option('--dataset <name>', 'a dataset from datasets.yaml')
    .option('--image <file>', 'one image file')
    .option('--images <dir>', 'a folder of image files')
    .requiredOption('--model <name>', `FR model: ${frModelCatalogue.list().map((m) => m.id).join(', ')} (ONNX presets need your weights), a models.yaml entry, or onnx:<path>`)
    .option('--alignment <procedure>', 'alignment procedure for --dataset', 'proper')
    .option('--seed <seed>', 'seed of the alignment procedure', '0')
    .option('--flip-sum', 'sum the embeddings of the image and its mirror')
    .option('--aligned', 'image files are already aligned crops (no detection)')
    .option('--batch <n>', 'batch size')
    .option('--no-cache', 'ignore and do not write the embedding cache')
    .option('--out <file.arrow>', 'also write the Arrow table here')
    .action(async (o: EmbedOpts) => {
      const sources = [o.dataset, o.image, o.images].filter(Boolean).length;
      if (sources !== 1) throw new AikdError('aikd embed: give exactly one of --dataset, --image, --images');
      const { createRecognizer } = await import('./registry.ts');
      const rec = await createRecognizer(o.model);
      try {
        if (o.dataset) {
          const { openDataset } = await import('@aikd/datasets');
          const { embedDataset, embeddingsTable, embeddingProvenance } = await import('./embed.ts');
          const { withRun, writeResultTable, backendOf } = await loadResults();
          const ds = await openDataset(o.dataset);
          const seed = /^\d+$/.test(o.seed) ? Number(o.seed) : o.seed;
          try {
            await withRun({ kind: 'embed', params: { dataset: o.dataset, model: o.model, alignment: o.alignment, seed, flip_sum: !!o.flipSum }, backend: await backendOf(rec) }, async (run) => {
              const set = await embedDataset(ds, rec, { alignment: o.alignment, seed, flipSum: o.flipSum, batchSize: o.batch ? Number(o.batch) : undefined, cache: o.cache });
              const table = embeddingsTable(set);
              const prov = embeddingProvenance(set, run.id);
              run.writeTable('embeddings', table, prov);
              if (o.out) writeResultTable(resolve(o.out), table, prov);
              run.finish({ images: set.ids.length, dim: set.dim, from_cache: set.fromCache });
              const summary = { run_id: run.id, dataset: ds.name, model: rec.id, images: set.ids.length, dim: set.dim, from_cache: set.fromCache, file: `${run.dir}/embeddings.arrow` };
              emit(summary, () => textTable([summary]));
            });
          } finally {
            await ds.close();
          }
          return;
        }
        const { FileCropper, listImageFiles } = await import('./files.ts');
        const { embedCrops } = await import('./embed.ts');
        const { progress } = await import('@aikd/core');
        const { join } = await import('node:path');
        const files = o.image ? [{ path: o.image, label: o.image }] : listImageFiles(o.images!).map((f) => ({ path: join(o.images!, f), label: f }));
        const cropper = new FileCropper(rec, !!o.aligned);
        const bar = progress('embed images', files.length);
        const records: { file: string; embedding?: number[]; norm?: number; error?: string }[] = [];
        for (const f of files) {
          const c = await cropper.crop(f.path, f.label);
          if (!c.crop) records.push({ file: c.file, error: c.error });
          else {
            const [e] = await embedCrops(rec, [c.crop], !!o.flipSum);
            records.push({ file: c.file, embedding: Array.from(e!), norm: Math.hypot(...e!) });
          }
          bar.tick();
        }
        bar.done();
        await cropper.dispose();
        const out = o.image ? records[0] : records;
        emit(out, () => textTable(records.map((r) => ({ file: r.file, dim: r.embedding?.length ?? null, norm: r.norm ?? null, error: r.error ?? '' }))));
        if (records.some((r) => r.error) && o.image) process.exitCode = 1;
      } finally {
        await rec.dispose();
      }
    });

  program
    .command('verify')
    .description('verification on a dataset: 10-fold accuracy, TAR at FAR 1e-3/1e-4, EER, AUC (cosine similarity)')
    .requiredOption('--dataset <name>', 'a dataset from datasets.yaml')
    .requiredOption('--model <name>', 'FR model')
    .option('--alignment <procedure>', 'alignment procedure', 'proper')
    .option('--seed <seed>', 'seed of the alignment procedure', '0')
    .option('--flip-sum', 'flip-sum embeddings (insightface convention)')
    .option('--filter <key=value>', 'only images with this attribute (repeatable), e.g. degradation=clean', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (o: { dataset: string; model: string; alignment: string; seed: string; flipSum?: boolean; filter?: string[] }) => {
      const { createRecognizer } = await import('./registry.ts');
      const { openDataset } = await import('@aikd/datasets');
      const { embedDataset } = await import('./embed.ts');
      const { verificationReport } = await import('./verification.ts');
      const { withRun, backendOf } = await loadResults();
      const { tableFromArrays } = await import('apache-arrow');
      const { subsetDataset, attributeFilter } = await import('@aikd/datasets');
      const rec = await createRecognizer(o.model);
      const opened = await openDataset(o.dataset);
      const filter = o.filter?.length ? attributeFilter(o.filter) : undefined;
      const ds = filter ? subsetDataset(opened, filter.keep, filter.label) : opened;
      const seed = /^\d+$/.test(o.seed) ? Number(o.seed) : o.seed;
      try {
        await withRun({ kind: 'verify', params: { dataset: o.dataset, filter: o.filter ?? null, model: o.model, alignment: o.alignment, seed, flip_sum: !!o.flipSum }, backend: await backendOf(rec) }, async (run) => {
          const set = await embedDataset(ds, rec, { alignment: o.alignment, seed, flipSum: o.flipSum });
          const r = verificationReport(ds, set);
          run.writeTable(
            'verification',
            tableFromArrays({
              dataset: [r.dataset],
              fr_model: [r.model],
              alignment: [r.alignment],
              flip_sum: [r.flip_sum],
              n_pairs: Int32Array.from([r.n_pairs]),
              // null when the pair list has a single fold
              accuracy: [r.accuracy?.mean ?? null],
              accuracy_std: [r.accuracy?.std ?? null],
              tar_far_1e3: Float64Array.from([r.tar_at_far['0.001']!.tar]),
              tar_far_1e4: Float64Array.from([r.tar_at_far['0.0001']!.tar]),
              eer: Float64Array.from([r.eer]),
              auc: Float64Array.from([r.auc]),
            }),
            { fr_model: r.model, dataset: r.dataset, alignment: r.alignment, seed: typeof seed === 'number' ? seed : undefined },
          );
          run.finish({ accuracy: r.accuracy?.mean ?? null, eer: r.eer, auc: r.auc });
          emit({ run_id: run.id, ...r }, () =>
            [
              `${r.dataset} / ${r.model} (${r.alignment}${r.flip_sum ? ', flip-sum' : ''}): ${r.n_pairs} pairs (${r.n_mated} mated)`,
              r.accuracy ? `accuracy   ${(100 * r.accuracy.mean).toFixed(2)} ± ${(100 * r.accuracy.std).toFixed(2)} % (10-fold, ${r.accuracy.fold_source} folds)` : `accuracy   ${r.accuracy_note}`,
              ...Object.entries(r.tar_at_far).map(([far, t]) => `TAR@FAR=${far}  ${(100 * t.tar).toFixed(2)} % (achieved FAR ${t.achieved_far.toExponential(2)})`),
              `EER        ${(100 * r.eer).toFixed(2)} %`,
              `AUC        ${r.auc.toFixed(4)}`,
              `run        ${run.id}`,
            ].join('\n'),
          );
        });
      } finally {
        await ds.close();
        await rec.dispose();
      }
    });

  program
    .command('cache')
    .description('the caches under $AIKD_HOME/cache')
    .command('prune')
    .description('remove ONNX conversions of the built-in models that no current model maps to, and cut the FR feature cache to a size limit, least recently used first')
    .option('--max-features <size>', 'size limit of the feature cache, e.g. 2GB, 500MB (default: AIKD_FEATURE_CACHE_MAX, else 2GB)')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .action(async (o: { maxFeatures?: string; dryRun?: boolean }) => {
      const { parseBytes, formatBytes, InputError } = await import('@aikd/core');
      const { pruneCaches, DEFAULT_FEATURE_CACHE_LIMIT } = await import('./cache-prune.ts');
      const given = o.maxFeatures ?? process.env.AIKD_FEATURE_CACHE_MAX;
      const limit = given === undefined || given === '' ? DEFAULT_FEATURE_CACHE_LIMIT : parseBytes(given);
      if (limit === undefined)
        throw new InputError({ where: o.maxFeatures !== undefined ? '--max-features' : 'AIKD_FEATURE_CACHE_MAX', expected: 'a size such as 2GB, 500MB or 1.5GiB', got: `"${given}"` });
      const r = await pruneCaches({ maxFeatureBytes: limit, dryRun: o.dryRun });
      emit(r, () => {
        const verb = r.dryRun ? 'would remove' : 'removed';
        const stale = r.removed.filter((e) => e.reason === 'stale conversion');
        const lru = r.removed.filter((e) => e.reason !== 'stale conversion');
        return [
          ...stale.map((e) => `${verb} ${e.path} (stale ONNX conversion, ${formatBytes(e.bytes)})`),
          ...(lru.length ? [`${verb} ${lru.length} feature files, the least recently used (${formatBytes(lru.reduce((a, e) => a + e.bytes, 0))})`] : []),
          ...r.skipped.map((e) => `left ${e.path} (${e.why})`),
          `${r.dryRun ? 'would free' : 'freed'} ${formatBytes(r.freedBytes)}; kept ${r.kept.conversions.length} current conversions and ${r.kept.featureFiles} feature files (${formatBytes(r.kept.featureBytes)} of ${formatBytes(r.limitBytes)} allowed)`,
        ].join('\n');
      });
    });
}

async function loadResults() {
  const results = await import('@aikd/results');
  const backendOf = async (rec: { spec: { engine: string } }) => {
    if (rec.spec.engine === 'onnx') return 'onnxruntime';
    const { backendReport } = await import('@aikd/runtime');
    return backendReport()?.backend;
  };
  return { ...results, backendOf };
}
