/**
 * @aikd/aikd — the AI-KD trainer: the distillation training loop on fr-models' trainable backbones, and the `aikd`
 * method of the catalogue (`aikd:<run-id>`, trained inside experiments). Importing it registers nothing: the CLI's
 * composition root adds `aikdMethod` to the workbench's method catalogue.
 */
export { trainConfigSchema, resolveTrainConfig, type TrainConfig, type TrainConfigInput, type TrainOverrides } from './train/config.ts';
export { consistencyLoss, smoothL1Loss, aikdLoss, type LossWeights, type LossTerms } from './train/losses.ts';
export { warmupFactor, warmupSteps } from './train/schedule.ts';
export { createSgd, clipByGlobalNorm, createClip, referenceLossScale, type Sgd, type SgdGroup, type GradientClip } from './train/optimizer.ts';
export { createAikdModels, studentForward, teacherForward, type AikdModels } from './train/model.ts';
export { stratifiedHoldout, normaliseLabels, epochOrder, type TrainItem } from './train/data.ts';
export { saveModel, loadModel, saveCheckpoint, loadCheckpoint, type TrainerState } from './train/checkpoint.ts';
export { trainAikd, validate, DEFAULT_MICRO_BATCH, IMPLEMENTATION_CHOICES, type TrainInputs, type TrainOptions, type TrainResult, type StepMetrics, type StudentInfo } from './train/train.ts';
export { createAikdMethod } from './method.ts';
export { teacherLabels } from './train/command.ts';
export { aikdMethod, AIKD_TRAIN_RUN_KIND } from './catalogue.ts';
export { trainAikdStudent } from './train/experiment.ts';
export { aikdTrainSections } from './train/sections.ts';
export { lrFind, rampLr, smoothLosses, steepestDescentLr, type LrFindOptions, type LrFindResult } from './train/lr-find.ts';
