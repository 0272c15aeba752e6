/**
 * `@aikd/fr-models/weights`: what PyTorch checkpoints are imported as (kinds) and the registry of the official files,
 * light enough for method descriptors and `aikd --help` (no tfjs, no onnxruntime).
 */
export * from './kinds.ts';
export * from './official.ts';
