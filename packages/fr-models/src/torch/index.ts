/** PyTorch checkpoints read in TypeScript: the containers, tensors, and state_dicts of the paper family's models. */
export {
  openTorchCheckpoint, tensorRef, numelOf, type TorchCheckpoint, type TorchDtype, type TorchStorage, type TorchTensorRef, type TorchTensorData,
} from './checkpoint.ts';
export {
  TORCH_ARCHITECTURES, torchArchitecture, isTorchArchitectureName, headKeys, expectedKeys, inferIResNetLayout,
  type TorchArchitecture, type TorchArchitectureName, type QualityHeadSpec, type ExpectedTensor,
} from './architectures.ts';
export {
  stateDictOf, matchStateDict, matchingArchitectures, describeReport, assertStateDictMatches, STATE_DICT_KEYS, BACKBONE_PREFIXES,
  type TorchStateDict, type StateDictReport, type KeyRename,
} from './state-dict.ts';
export { zipMembers, type ZipMember } from './zip.ts';
