/**
 * @aikd/alignment — what "aligned" and "misaligned" mean, reproducibly: 5-point detectors, the least-squares
 * similarity to the ArcFace template, an OpenCV-exact warp, the (mis)alignment procedures, the dataset alignment
 * cache, and the demo dataset builder.
 */
export * from './types.ts';
export * from './constants.ts';

// geometry
export * from './geometry/affine.ts';
export * from './geometry/similarity.ts';
export * from './geometry/warp.ts';
export * from './geometry/template.ts';
export { iou } from './geometry/box.ts';

// detectors
export { createDetector, sharedDetector, disposeSharedDetectors, largestFace, isDetectorName, PROCEDURE_MIN_SCORE } from './detectors/index.ts';
export { IBUG68_TO_5, FACEMESH_TO_5, reduceTo5 } from './detectors/reduce.ts';

// procedures and whole datasets
export { createProcedure, isProcedureName, NoFaceError, referenceLandmarks } from './procedures/index.ts';
export { alignDataset, alignDatasetInBatches, alignmentCacheDir, alignmentIndexPath, type AlignDatasetOptions, type AlignedBatch, type AlignedItem } from './align-dataset.ts';

// the demo dataset
export { buildDemoDataset, demoDir, looseCrop, type BuildDemoOptions, type DemoBuildReport } from './demo/build.ts';
export { loadDemoLabels, DEMO_LABELS_PATH, type DemoLabels } from './demo/labels.ts';
export { degrade, degradationNames, degradationFamilies, type DegradationName } from './demo/degrade.ts';
