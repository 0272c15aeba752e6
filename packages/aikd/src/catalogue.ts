/**
 * `@aikd/aikd/catalogue`: what this package adds to the workbench's method catalogue — the `aikd` method (a trained
 * AI-KD student, scored as `aikd:<run-id>`, trained inside experiments). Nothing is registered here: the composition
 * root (the CLI's `apps/cli/src/workbench.ts`) adds it. Light: the trainer and the student are imported when used.
 */
import { z, AikdError } from '@aikd/core';
import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import type { MethodDescriptor } from '@aikd/teachers/catalogue';
import { officialWeightsRoute } from '@aikd/teachers/catalogue';
import { aikdTrainSections } from './train/sections.ts';

/** Run kind of `aikd train` (an AI-KD student). */
export const AIKD_TRAIN_RUN_KIND = 'train';

export const aikdMethod: MethodDescriptor = {
  id: 'aikd',
  title: 'AI-KD',
  paper: { cite: 'Babnik et al., IWBF 2024', title: 'AI-KD: Towards Alignment Invariant Face Image Quality Assessment Using Knowledge Distillation', code: 'LSIbabnikz/AI-KD' },
  description: 'a trained AI-KD student: the FR backbone fine-tuned to be alignment-invariant, with a quality head distilled from a teacher FIQA method (Babnik et al. 2024)',
  // the FR model is the backbone it fine-tunes (a trainable tfjs copy); its head reads that backbone's embedding
  needs: { frModel: true, frFeatures: ['embedding'], gradients: false, training: true, teacher: true, weights: `a published student: ${officialWeightsRoute('aikd')}` },
  package: 'aikd',
  params: z.object({}),
  frModels: () => [...frModelCatalogue.tfjsIds(), 'ONNX iResNets (cosface, arcface, onnx:<path>)'],
  status: () => ({ available: false, note: `a student to train: \`aikd train --config experiments/<file>.yaml\`, then use aikd:<run-id>; or a published student: ${officialWeightsRoute('aikd')}` }),
  // a published student (aikd-best.pth, converted by `aikd models import` or --weights): its quality head's output
  open: async (o) => {
    if (!o.onnx)
      throw new AikdError(`method "aikd" is a student to train: \`aikd train --config experiments/<file>.yaml\` (or an experiment), then score with aikd:<run-id>; or a published student: ${officialWeightsRoute('aikd')}`);
    const { createOnnxRegressor, checkpointConvention } = await import('@aikd/teachers');
    const conv = checkpointConvention('aikd', null, 'AI-KD student (CosFace iResNet-100 + MLP quality head), RGB, (x/255 − 0.5)/0.5; quality on the scale of its teacher’s min-max-normalised labels');
    return createOnnxRegressor('aikd', conv, o.onnx, o.params);
  },
  runs: {
    title: 'AI-KD',
    description: 'a trained AI-KD student: the FR backbone fine-tuned to be alignment-invariant, with a quality head distilled from a teacher FIQA method (Babnik et al. 2024)',
    note: 'train one with `aikd train --config experiments/<file>.yaml`, then use aikd:<run-id>',
    example: `aikd:${AIKD_TRAIN_RUN_KIND}-20261128-120000-abc123`,
    open: async (runId, opts) => (await import('./method.ts')).createAikdMethod(runId, opts, opts.root),
  },
  trainer: {
    runKind: AIKD_TRAIN_RUN_KIND,
    command: 'aikd train --config experiments/<file>.yaml',
    checkSettings: (m) => void aikdTrainSections(m),
    train: async (req) => (await import('./train/experiment.ts')).trainAikdStudent(req),
  },
};
