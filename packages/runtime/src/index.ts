/**
 * @aikd/runtime — the only package that knows about tensor backends and ONNX Runtime.
 * Everyone else imports `tf` from here and calls `initRuntime()` before the first tensor op.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export * from './types.ts';
export { initRuntime, backendReport, useBackend, resolveTensorflowProvider, tensorflowProviders, nativeDir } from './backend.ts';
export { registerConvGradKernels, restoreBuiltinConvGradKernels, convGradKernelNames } from './kernels/conv-grads.ts';
export { createOnnxSession, onnxProviders, ort, type OnnxSession, type OnnxSessionOptions, type OnnxValueInfo, type OnnxProvider } from './onnx.ts';
export { readModelArtifacts, fileIOHandler, loadGraphModelFromFile } from './model-io.ts';
export { writeWeights, readWeights, type WeightsManifest, type NamedTensors } from './weights-file.ts';
