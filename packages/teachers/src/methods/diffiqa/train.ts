/** DifFIQA trained here: the small local UNet on the training crops (area-averaged to its size) → `unet/` in the run. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AikdError, progress, writeJsonAtomic } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import { alignedCrops } from '../../train/features.ts';
import { identityOf, round2, type OwnTraining } from '../../train/learned.ts';
import type { UnetFile } from '../../train/store.ts';
import { validationSplit } from '../../train/trainer.ts';
import { writeWeights } from '@aikd/runtime';
import type { DiffiqaTrainParams } from './params.ts';
import { areaDownsample } from './resample.ts';
import { trainLocalUnet } from './train-unet.ts';
import { unetParamCount, type UnetConfig } from './unet.ts';

export const diffiqaTraining: OwnTraining = {
  kind: 'own',
  async train(params, ctx) {
    const P = params as DiffiqaTrainParams;
    const { ds, rec, run } = ctx;
    const S = rec.spec.inputSize, D = P.size;
    if (D > S) throw new AikdError(`diffiqa: the UNet size ${D} is larger than ${rec.id}'s ${S}×${S} crops; give size ≤ ${S}`);
    const cfg: UnetConfig = { size: D, channels: P.channels, timeDim: P.timeDim };
    const t0 = performance.now();
    const crops: RawImage[] = await alignedCrops(ds, ctx.procedure, S, rec.spec.template, ctx.seed);
    const per = D * D * 3;
    const data = new Float32Array(crops.length * per);
    crops.forEach((c, i) => data.set(areaDownsample(Float32Array.from(c.data, (p) => p / 127.5 - 1), 1, S, D), i * per));
    const split = validationSplit(Array.from(crops.keys()), identityOf(ds), P.valFraction, ctx.seed);
    const pack = (rows: number[]) => {
      const out = new Float32Array(rows.length * per);
      rows.forEach((r, k) => out.set(data.subarray(r * per, (r + 1) * per), k * per));
      return { data: out, n: rows.length };
    };
    const tData = (performance.now() - t0) / 1000;
    const bar = progress(`train DifFIQA UNet (${D}², ${P.channels.join('/')} channels)`, P.trainSteps);
    const res = await trainLocalUnet(cfg, pack(split.train), pack(split.val), {
      steps: P.trainSteps,
      batchSize: P.batchSize,
      lr: P.lr,
      tMax: P.tMax,
      timesteps: P.timesteps,
      seed: ctx.seed,
      evalEvery: P.evalEvery,
      onStep: (step, loss) => {
        run.logMetrics({ unet_loss: loss }, step);
        bar.tick();
      },
      onEval: (step, v) => Number.isFinite(v) && run.logMetrics({ unet_val_loss: v }, step),
    });
    bar.done();
    const dir = join(run.dir, 'unet');
    mkdirSync(dir, { recursive: true });
    const manifest = await writeWeights(join(dir, 'unet.bin'), res.params);
    const { tf } = await import('@aikd/runtime');
    tf.dispose(Object.values(res.params));
    const file: UnetFile = { config: cfg, weights: manifest, parameters: unetParamCount(cfg), trainSteps: P.trainSteps, bestStep: res.bestStep, bestValLoss: res.bestValLoss, timesteps: P.timesteps, tMax: P.tMax, dataset: ds.name, trainImages: split.train.length };
    writeJsonAtomic(join(dir, 'unet.json'), file);
    run.addArtifact({ name: 'unet', kind: 'checkpoint', path: 'unet/unet.json' });
    return {
      images: crops.length,
      train_images: split.train.length,
      val_images: split.val.length,
      unet: `small local UNet: ${unetParamCount(cfg)} parameters, ${D}×${D}, channels ${P.channels.join('/')}, pred-x0, ${P.trainSteps} Adam steps — not the paper's UNet`,
      best_step: res.bestStep,
      val_loss: res.bestValLoss,
      final_train_loss: res.finalTrainLoss,
      seconds: { data: round2(tData), train: round2((performance.now() - t0) / 1000 - tData) },
    };
  },
};
