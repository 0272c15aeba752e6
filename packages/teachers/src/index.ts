/**
 * @aikd/teachers — the FIQA methods AI-KD distils and is compared against, behind one interface
 * (`createQualityMethod`), dataset scoring into provenance-stamped Arrow tables (`scoreDataset`), and importing
 * scores computed elsewhere (`importScores`).
 */
export * from './types.ts';
export { SERFIQ_DEFAULTS, FACEQAN_DEFAULTS, DEFAULT_FR_MODEL, TFJS_FR_MODELS, PIXEL_MAX, LATER_METHODS } from './constants.ts';
export { createQualityMethod, registerQualityMethodFactory, registeredPrefixes, listMethods } from './registry.ts';
export { parseParamArgs, resolveParams } from './params.ts';
export { scoreDataset, scoresTable, tableToScores, scoresProvenance, type ScoreSet, type ScoreSettings, type ScoreDatasetOptions } from './score-dataset.ts';
export { scoreImageFiles, type ImageFileScore } from './score-files.ts';
export * from './import/index.ts';
export { dropoutMasks, serfiqFromEmbeddings, serfiqDisplayRescale } from './methods/serfiq/math.ts';
export { serfiqParams } from './methods/serfiq/serfiq.ts';
export { faceqanParams, faceqanQuality, faceqanNoise, faceqanOne, attackStep, bimUpdate, cosineToRef, type FaceqanTrace } from './methods/faceqan/faceqan.ts';
export { spearman, rankAverage } from './stats.ts';
