export * from './types.ts';
export * from './image-codec.ts';
export { DATASETS_FILE, DEFAULT_MAX_PAIRS, DEFAULT_FOLDS } from './constants.ts';
export { loadDatasetsConfig, defaultDatasetsFile, resolveDataPath, findEntry, parseDatasetEntry, type LoadedDatasetsConfig } from './config.ts';
export { openDataset, openDatasetEntry, listDatasets, datasetStatus, registerDatasetBuilder, ensureDatasetBuilt, datasetBuilders, type OpenOptions, type OpenedDataset, type DatasetStatus } from './open.ts';
export { problemLine, type DatasetProblem } from './problems.ts';
export { countDataset, type DatasetCounts } from './summary.ts';
export { checkDataset, type CheckReport, type CheckOptions, type FoldCount } from './check.ts';
export { exportDataset, checkExportTarget, sniffExtension, type ExportOptions, type ExportResult, type ExportImageFormat } from './export.ts';
export { generatePairs, contiguousFold, type PairGenerationOptions } from './pairs.ts';
export {
  unpickle, unpickleAt, unpicklePath, memorySource, fileSource, windowSource, readBlob, blobBytes, pickleKey, describe as describePickleValue, BIN_GLOBALS,
  PickleBlob, PickleText, PickleTuple, PickleGlobal, PickleDict, PickleObject,
  type PickleValue, type PickleBuilder, type PickleGlobals, type UnpickleOptions, type ByteSource,
} from './pickle.ts';
export { binContents } from './formats/insightface-bin.ts';
export { parseLfwPairs, parseLfwPeople, lfwImageId } from './formats/lfw.ts';
export { datasetsCommand } from './cli.ts';
export { datasetFingerprint, type DatasetFingerprint } from './fingerprint.ts';
export { subsetDataset, attributeFilter, splitByIdentity, splitItemsByIdentity, identityOf } from './subset.ts';
