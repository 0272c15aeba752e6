/** PyTorch checkpoints read in TypeScript: the containers, tensors, and state_dicts of the paper family's models. */
export {
  openTorchCheckpoint, tensorRef, numelOf, type TorchCheckpoint, type TorchDtype, type TorchStorage, type TorchTensorRef, type TorchTensorData,
} from './checkpoint.ts';
export {
  TORCH_ARCHITECTURES, torchArchitecture, isTorchArchitectureName, headKeys, expectedKeys, inferIResNetLayout,
  type TorchArchitecture, type TorchArchitectureName, type QualityHeadSpec, type ExpectedTensor,
} from './architectures.ts';
export {
  stateDictOf, matchStateDict, matchingArchitectures, stateDictLayout, describeReport, assertStateDictMatches, STATE_DICT_KEYS, BACKBONE_PREFIXES,
  type TorchStateDict, type StateDictReport, type KeyRename,
} from './state-dict.ts';
export { zipMembers, type ZipMember } from './zip.ts';
// what a checkpoint is imported as, and the registry of the official files
export { TORCH_MODEL_KINDS, TORCH_MODEL_KIND_IDS, torchModelKind, kindInput, kindOfMethod, methodsWithWeights, type TorchModelKind, type TorchModelKindId } from './kinds.ts';
export { OFFICIAL_WEIGHTS, officialFor, officialByModel, officialInput, importCommand, describeOfficial, type OfficialWeights } from './official.ts';
// one reading of a checkpoint, two routes: ONNX (onnxruntime-node, inference) and tf.layers (training, gradients)
export { readTorchModel, kindArchitecture, type TorchModel, type TorchModelTensor } from './model.ts';
export { torchOnnxModel, torchOnnxBytes, TORCH_ONNX_OUTPUTS, ONNX_OPSET } from './onnx.ts';
export { torchIResNetWeights, torchBackboneSource, buildTorchHead, torchTfjsModel, type TorchTfjsModel, type TorchHeadBuild } from './tfjs.ts';
// `aikd models import`: the cached conversion, models.yaml, and weights by name for methods and experiments
export {
  convertTorchCheckpoint, importTorchModel, weightsMissing, resolveWeights, resolveMethodWeights, weightsFile, officialWeightsStatus, TORCH_CONVERTER_VERSION,
  type ConvertedModel, type ConversionRecord, type ImportResult, type OfficialWeightsStatus,
} from './import.ts';
