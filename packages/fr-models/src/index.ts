export * from './types.ts';
export { humanModelsDir, faceapiModelDir } from './constants.ts';
export { FR_MODELS, FrModelCatalogue, frModelCatalogue, type FrModelDescriptor, type BundledFrModel, type OnnxFrModel } from './catalogue.ts';
export { createRecognizer, listRecognizers, resolveOnnxModel, loadModelsConfig, modelsConfigFile, recordModelEntry, isBuiltin, recognizerMissing, recognizerWeightFiles, isKnownRecognizer, unknownRecognizer, type RecognizerInfo, type ModelEntry, type ImportedRecord } from './registry.ts';
export { cropsToPixels, cropsToOnnxInput, pixelsToOnnxInput, flipHorizontal } from './preprocess.ts';
export * from './embed.ts';
export { withFeatureCache, frModelContentKey, featureCacheDir, cropKey, type FrFeature, type CachedRecognizer, type FeatureCacheStats } from './feature-cache.ts';
export * from './verify.ts';
export * from './verification.ts';
export { FileCropper, listImageFiles, resizeCrop, type FileCrop } from './files.ts';
export * as onnxProto from './onnx/proto.ts';
export { splitBeforeLastLinear, type SplitModel } from './onnx/split.ts';
// FR models that can be trained: tf.layers copies of the built-in graph models and of users' ONNX iResNets, the
// backbones of AI-KD students and of the learned FIQA methods' heads (`tfjs:<name>` opens one as a recogniser)
export * from './backbones/index.ts';
export { createTfjsRecognizer } from './tfjs/tfjs-recognizer.ts';
export { recognizerFromTensor } from './tfjs/tensor-recognizer.ts';
// PyTorch checkpoints (.pth) read without Python: containers, tensors, state_dicts of the paper family's models
export * from './torch/index.ts';
