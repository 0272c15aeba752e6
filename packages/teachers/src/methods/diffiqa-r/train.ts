/**
 * DifFIQA(R) trained here: DifFIQA scores of the training split with a denoiser (an ONNX UNet, a diffiqa run, or a
 * local UNet trained first as a child run), min-max normalised to [0, 1], then an L1 head.
 */
import type { HeadTraining, LabelSet, MethodTrainContext } from '../../train/learned.ts';
import type { DiffiqaRTrainParams } from './params.ts';

async function diffiqaLabels(P: DiffiqaRTrainParams, ctx: MethodTrainContext): Promise<LabelSet> {
  const { scoreDataset } = await import('../../score-dataset.ts');
  const scoring = { R: P.R, t: P.t, steps: P.steps, eta: P.eta, timesteps: P.timesteps, clip: P.clip };
  let method;
  let denoiser: string;
  let denoiserRun: string | null = null;
  if (P.unet) {
    const { createDiffiqa } = await import('../diffiqa/diffiqa.ts');
    method = await createDiffiqa({ onnx: P.unet, frModel: ctx.rec, params: scoring });
    denoiser = `ONNX UNet ${P.unet}`;
  } else {
    const { trainMethod } = await import('../../train/trainer.ts');
    const { openMethodRun } = await import('../../train/load.ts');
    let runId = P.diffiqa?.replace(/^diffiqa:/, '');
    if (!runId) {
      const child = await trainMethod('diffiqa', {
        dataset: ctx.ds,
        frModel: ctx.rec,
        seed: ctx.seed,
        parent: ctx.run.id,
        root: ctx.root,
        params: { size: P.unetSize, channels: P.unetChannels, trainSteps: P.unetSteps, batchSize: P.unetBatchSize, lr: P.unetLr, alignment: P.alignment, valFraction: P.valFraction },
      });
      runId = child.runId;
    }
    method = await openMethodRun('diffiqa', runId, { frModel: ctx.rec, params: scoring, root: ctx.root });
    denoiser = `local UNet diffiqa:${runId}`;
    denoiserRun = runId;
  }
  try {
    const set = await scoreDataset(ctx.ds, method, { alignment: ctx.procedure, seed: ctx.seed, label: `DifFIQA labels ${ctx.ds.name}` });
    let lo = Infinity, hi = -Infinity;
    for (const q of set.quality) if (Number.isFinite(q)) (lo = Math.min(lo, q)), (hi = Math.max(hi, q));
    return {
      y: set.quality.map((q) => (hi > lo ? (q - lo) / (hi - lo) : 0)),
      columns: { diffiqa: set.quality },
      summary: { label: `DifFIQA scores min-max normalised ([${lo.toFixed(5)}, ${hi.toFixed(5)}] → [0, 1])`, denoiser, denoiser_run: denoiserRun, diffiqa: { ...scoring, from_cache: set.fromCache, seconds: set.seconds } },
    };
  } finally {
    await method.dispose();
  }
}

export const diffiqaRTraining: HeadTraining = {
  kind: 'head',
  labels: (P, ctx) => diffiqaLabels(P as DiffiqaRTrainParams, ctx),
  loss: () => ({ kind: 'l1' }),
};
