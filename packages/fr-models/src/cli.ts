import { resolve } from 'node:path';
import { emit, textTable, AikdError } from '@aikd/core';
import type { Command } from '@aikd/core/cli';
import { frModelCatalogue } from './catalogue.ts';

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
    .description('built-in models and ONNX presets, and whether each can run here')
    .action(async () => {
      const { listRecognizers } = await import('./registry.ts');
      const rows = listRecognizers();
      emit(rows, () => textTable(rows.map((r) => ({ id: r.id, engine: r.engine, available: r.available ? 'yes' : 'no', description: r.description, note: r.note ?? '' }))));
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
