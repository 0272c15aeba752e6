/**
 * @aikd/teachers — the FIQA methods AI-KD distils and is compared against: the method catalogue (one descriptor per
 * method folder, `methodCatalogue`), one interface to open them (`createQualityMethod`), dataset scoring into
 * provenance-stamped Arrow tables (`scoreDataset`), and importing scores computed elsewhere (`importScores`).
 */
export * from './types.ts';
export {
  SERFIQ_DEFAULTS,
  FACEQAN_DEFAULTS,
  DEFAULT_FR_MODEL,
  PIXEL_MAX,
  DIFFIQA_DEFAULTS,
  LOCAL_UNET_DEFAULTS,
  SDDFIQA_DEFAULTS,
  METHOD_TRAIN_RUN_KIND,
} from './constants.ts';
export * from './catalogue/index.ts';
export { parseParamArgs, resolveParams } from './params.ts';
export { scoreDataset, scoresTable, tableToScores, scoresProvenance, type ScoreSet, type ScoreSettings, type ScoreDatasetOptions } from './score-dataset.ts';
export { scoreImageFiles, imageScoresCsv, type ImageFileScore } from './score-files.ts';
export * from './import/index.ts';
export { dropoutMasks, serfiqFromEmbeddings, serfiqDisplayRescale } from './methods/serfiq/math.ts';
export { serfiqParams } from './methods/serfiq/serfiq.ts';
export { faceqanParams, faceqanQuality, faceqanNoise, faceqanOne, attackStep, bimUpdate, exactSign, cosineToRef, type FaceqanTrace } from './methods/faceqan/faceqan.ts';
export { spearman, rankAverage, clusterBootstrap, quantileSorted, type BootstrapInterval } from './stats.ts';
export { validateMethods, identitySubset, degradationTracking, type ValidationRow, type ValidationSkip, type ValidationReport, type ValidateOptions } from './validate.ts';
// learned methods (issue 8): training, label generators, DifFIQA
export { trainMethod, trainLearnedMethod, learnedMethodIds, type TrainMethodOptions, type TrainedMethodRun } from './train/trainer.ts';
export { openMethodRun, openTrainedHead } from './train/load.ts';
export { headParams } from './train/params.ts';
export { learnedMethod, isLearnedMethod, needsWeights, type LearnedMethodDescriptor, type LearnedMethodDef, type LearnedTraining, type HeadTraining, type OwnTraining, type LabelSet, type MethodTrainContext } from './train/learned.ts';
export { type OnnxConvention, onnxRegressorParams, checkpointConvention, officialWeightsRoute } from './methods/official.ts';
export { CRFIQA_ONNX } from './methods/crfiqa/official.ts';
export { SDDFIQA_ONNX } from './methods/sddfiqa/official.ts';
export { FACEQNET_ONNX } from './methods/faceqnet/official.ts';
export { DIFFIQA_R_ONNX } from './methods/diffiqa-r/official.ts';
export { trainHead, predictHead, channelStats, type HeadConfig, type HeadState, type LossSpec, type HeadTrainResult, type EpochRecord } from './train/head.ts';
export { frozenFeatures, alignedCrops, type FrozenFeatures, type FeatureInput } from './train/features.ts';
export { certaintyRatios, type CertaintyRatios } from './methods/crfiqa/labels.ts';
export { wasserstein1, sddPseudoLabels, type SddLabels } from './methods/sddfiqa/labels.ts';
export { poseDeviation, laplacianVariance, noiseSigma, exposureDeviation, measureImage, chooseReferences, faceqnetLabels, type ImageMeasures, type FaceqnetLabels } from './methods/faceqnet/labels.ts';
export { cosineBetaSchedule, alphasCumprod, qSample, ddimTimePairs, ddimCoefficients, ddimUpdate } from './methods/diffiqa/schedule.ts';
export { diffiqaScores, diffiqaNoise, diffiqaSchedule, pixelEmbedder, type Denoiser, type DiffiqaSettings, type DiffiqaTrace } from './methods/diffiqa/loop.ts';
export { areaDownsample, bilinearUpsample } from './methods/diffiqa/resample.ts';
export { diffiqaScoreParams } from './methods/diffiqa/params.ts';
export { createOnnxRegressor } from './methods/onnx-regressor.ts';
