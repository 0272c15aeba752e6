/**
 * Acceptance study of the learned methods on the built-in demo dataset (`aikd datasets build demo`): an
 * identity-disjoint split (test fraction 0.25, seed 0); each method trains on the training identities with a frozen
 * FR model; on the held-out identities we report
 *   - ρ(prediction, held-out label): the same label generator run on the test identities alone,
 *   - ρ(prediction, severity) (expect clearly negative) and ρ(held-out label, severity) for comparison,
 * plus training times (features/labels/head), the validation ρ of the best epoch and scoring speed.
 *
 *   node --import tsx packages/teachers/scripts/evaluate-teachers2.ts [--fr-model faceres]
 *     [--methods crfiqa,sddfiqa,faceqnet,diffiqa-r] [--test 0.25] [--seed 0] [--R 2] [--fresh] [--out result.json]
 *     [--param method.key=value …]
 *
 * --fresh times a fresh install: AIKD_HOME and AIKD_RESULTS point at a new temporary folder (the demo images are
 * linked in), so no alignment, embedding, feature or score cache exists. DifFIQA(R) trains its local UNet first and
 * labels with R repeats (default 2 here instead of the paper's 10, to keep faceres at minutes: one image costs
 * 2 + 4R faceres passes); R is recorded in the run.
 */
import { mkdtempSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { aikdHome, textTable } from '@aikd/core';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const frModel = opt('fr-model', 'faceres');
const methods = opt('methods', 'crfiqa,sddfiqa,faceqnet,diffiqa-r').split(',');
const testFraction = Number(opt('test', '0.25'));
const seed = Number(opt('seed', '0'));
const R = Number(opt('R', '2'));
const outFile = opt('out', '');
const extra: Record<string, Record<string, unknown>> = {};
args.forEach((a, i) => {
  if (a !== '--param') return;
  const m = /^([a-z-]+)\.([A-Za-z]+)=(.*)$/.exec(args[i + 1] ?? '');
  if (!m) throw new Error(`--param ${args[i + 1]}: expected method.key=value`);
  const v = m[3]!;
  (extra[m[1]!] ??= {})[m[2]!] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v;
});

if (args.includes('--fresh')) {
  const real = aikdHome();
  const tmp = mkdtempSync(join(tmpdir(), 'aikd-fresh-'));
  mkdirSync(join(tmp, 'home'), { recursive: true });
  symlinkSync(join(real, 'datasets'), join(tmp, 'home', 'datasets'));
  process.env.AIKD_HOME = join(tmp, 'home');
  process.env.AIKD_RESULTS = join(tmp, 'results');
  process.stderr.write(`fresh caches: AIKD_HOME=${process.env.AIKD_HOME}, AIKD_RESULTS=${process.env.AIKD_RESULTS}\n`);
}

const { openDataset, splitByIdentity } = await import('@aikd/datasets');
const { createRecognizer } = await import('@aikd/fr-models');
const { createProcedure } = await import('@aikd/alignment');
const T = await import('../src/index.ts');

const ds = await openDataset('demo');
const split = splitByIdentity(ds, { testFraction, seed });
const rec = await createRecognizer(frModel);
const procedure = createProcedure('proper');
const test = split.test;
const severity = test.images().map((r) => Number(r.attributes?.severity));
const identities = test.images().map((r) => r.identity ?? `#${r.id}`);
const ids = test.images().map((r) => r.id);
process.stderr.write(`demo: ${split.train.images().length} training images, ${test.images().length} test images (${split.testIdentities.length} identities), FR ${frModel}\n`);

const emb = await T.frozenFeatures(test, rec, { input: 'embedding', procedure, seed });
const rows = { n: emb.ids.length, dim: emb.featureShape[0]!, data: emb.X };

/** The label generator run on the held-out identities alone. */
async function heldOutLabels(method: string, summary: Record<string, unknown>): Promise<Float64Array> {
  if (method === 'crfiqa') return T.certaintyRatios(rows, identities).ratio;
  if (method === 'sddfiqa') return T.sddPseudoLabels(rows, identities, ids, { m: 24, K: 12, seed }).labels;
  if (method === 'faceqnet') {
    const crops = await T.alignedCrops(test, procedure, rec.spec.inputSize, rec.spec.template, seed);
    const measures = crops.map((c, i) => T.measureImage(c, test.image(ids[i]!)?.landmarks));
    return T.faceqnetLabels(rows, identities, T.chooseReferences(measures, identities)).labels;
  }
  const m = await T.openMethodRun('diffiqa', String(summary.denoiser_run), { frModel: rec, params: { R } });
  try {
    return (await T.scoreDataset(test, m, { alignment: procedure, seed, label: 'DifFIQA held-out' })).quality;
  } finally {
    await m.dispose();
  }
}

const out: Record<string, unknown>[] = [];
for (const method of methods) {
  const params = { ...(method === 'diffiqa-r' ? { R } : {}), ...(extra[method] ?? {}) };
  const t0 = performance.now();
  const trained = await T.trainMethod(method, { dataset: split.train, frModel: rec, params, seed, testIdentities: split.testIdentities });
  const trainSeconds = (performance.now() - t0) / 1000;
  const s = trained.summary as Record<string, any>;
  const scorer = await T.createQualityMethod(trained.methodId, { frModel: rec });
  const set = await T.scoreDataset(test, scorer, { alignment: procedure, seed, cache: false });
  await scorer.dispose();
  const label = await heldOutLabels(method, s);
  const row: Record<string, unknown> = {
    method,
    run: trained.runId,
    train_s: Math.round(trainSeconds),
    features_s: s.seconds?.features,
    labels_s: s.seconds?.labels,
    head_s: s.seconds?.train,
    train_images: s.train_images,
    val_images: s.val_images,
    best_epoch: s.best_epoch,
    val_rho: round(s.val_spearman),
    test_rho_label: round(T.spearman(set.quality, label)),
    test_rho_severity: round(T.spearman(set.quality, severity)),
    label_rho_severity: round(T.spearman(label, severity)),
    score_img_s: set.seconds > 0 ? Math.round((set.ids.length / set.seconds) * 10) / 10 : null,
  };
  if (method === 'diffiqa-r') row.diffiqa = { R, unet_run: s.denoiser_run, label_seconds: s.diffiqa?.seconds };
  out.push(row);
  process.stderr.write(`${method}: ${JSON.stringify(row)}\n`);
}
await rec.dispose();
await ds.close();

function round(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null;
}
console.log(`Learned methods on demo (FR ${frModel}, test identities ${split.testIdentities.length}/${split.testIdentities.length + new Set(split.train.images().map((r) => r.identity)).size}, seed ${seed}, backend wasm)`);
console.log(textTable(out.map(({ diffiqa: _d, ...r }) => r)));
if (outFile) writeFileSync(resolve(outFile), JSON.stringify({ frModel, testFraction, seed, R, rows: out }, null, 2));
