/**
 * What a PyTorch checkpoint is imported as (`aikd models import FILE --as <kind>`): which catalogue architecture its
 * state_dict is read as, and the input convention its network was trained with. The backbone's depth, widths and
 * embedding come from the file, so one kind covers iResNet-18/50/100 (CR-FIQA(S) is an iResNet-50, CR-FIQA(L) an
 * iResNet-100) and the reduced test models.
 *
 * The input conventions are the FR-model catalogue's (catalogue.ts), named, not repeated: CosFace/ArcFace/CR-FIQA/
 * DifFIQA(R)/AI-KD networks take RGB (x/255 − 0.5)/0.5 (insightface arcface_torch's `inference.py`, CR-FIQA's
 * `QualityModel.py`, DifFIQA(R)'s and AI-KD's torchvision Normalize(0.5, 0.5)); MagFace takes BGR x/255
 * (`cv2.imread` + ToTensor).
 *
 * Light (no tfjs): method descriptors read it through `@aikd/fr-models/weights`.
 */
import { AikdError } from '@aikd/core';
import { frModelCatalogue } from '../catalogue.ts';
import type { OnnxPreprocess } from '../types.ts';
import type { TorchArchitectureName } from './architectures.ts';

export interface TorchModelKind {
  id: string;
  title: string;
  /** The catalogue architecture whose keys, prefixes, head and BatchNorm eps the file must have. */
  architecture: TorchArchitectureName;
  /** The FR-model preset whose input convention the network was trained with. */
  inputOf: string;
  /** What its quality is, for the kinds that give one. */
  quality?: string;
  /** The workbench method whose official network this is (it takes `--weights`, experiments' `weights:`). */
  method?: string;
}

export const TORCH_MODEL_KINDS = {
  cosface: { id: 'cosface', title: 'insightface iResNet backbone (CosFace / ArcFace, e.g. Glint360K CosFace R100)', architecture: 'iresnet100', inputOf: 'cosface' },
  crfiqa: { id: 'crfiqa', title: 'CR-FIQA iResNet with its qs head', architecture: 'crfiqa-iresnet100', inputOf: 'arcface', quality: 'the qs head (unbounded)', method: 'crfiqa' },
  magface: { id: 'magface', title: 'MagFace iResNet', architecture: 'magface-iresnet100', inputOf: 'magface', quality: 'the norm of the embedding', method: 'magface' },
  'diffiqa-r': { id: 'diffiqa-r', title: 'DifFIQA(R): CosFace iResNet base + linear head', architecture: 'diffiqa-r-iresnet100', inputOf: 'cosface', quality: 'the linear head (min-max scale of DifFIQA, may exceed 1)', method: 'diffiqa-r' },
  aikd: { id: 'aikd', title: 'AI-KD student: iResNet feature_extractor + MLP quality_head', architecture: 'aikd-iresnet100', inputOf: 'cosface', quality: 'the MLP quality head', method: 'aikd' },
} as const satisfies Record<string, TorchModelKind>;

export type TorchModelKindId = keyof typeof TORCH_MODEL_KINDS;
export const TORCH_MODEL_KIND_IDS = Object.keys(TORCH_MODEL_KINDS) as TorchModelKindId[];

export function torchModelKind(id: string): TorchModelKind & { id: TorchModelKindId } {
  if (!Object.hasOwn(TORCH_MODEL_KINDS, id)) throw new AikdError(`--as ${id}: expected one of ${TORCH_MODEL_KIND_IDS.join(', ')}`);
  return TORCH_MODEL_KINDS[id as TorchModelKindId];
}

/** The network's input: size, channel order, (pixel − mean)/std on 0..255, NCHW — its FR preset's. */
export function kindInput(kind: TorchModelKind): OnnxPreprocess {
  const preset = frModelCatalogue.get(kind.inputOf);
  if (preset?.weights !== 'user') throw new AikdError(`model kind ${kind.id}: FR preset "${kind.inputOf}" is not an ONNX preset of the catalogue`);
  return { ...preset.preprocess };
}

/** The kind whose official network a method runs (`method` of the kinds), if any. */
export function kindOfMethod(method: string): (TorchModelKind & { id: TorchModelKindId }) | undefined {
  return (Object.values(TORCH_MODEL_KINDS) as (TorchModelKind & { id: TorchModelKindId })[]).find((k) => k.method === method);
}

/** Methods that take `--weights` (their official network is a PyTorch checkpoint kind). */
export const methodsWithWeights = (): string[] => Object.values(TORCH_MODEL_KINDS).flatMap((k: TorchModelKind) => (k.method ? [k.method] : []));
