/**
 * The architectures of the paper family's published PyTorch weights, as the state_dict keys (and shapes) their
 * checkpoints hold. One catalogue entry per checkpoint layout; the key lists are computed from it:
 *
 *  - insightface arcface_torch iResNet-18/50/100 (`backbones/iresnet.py`): stem conv1/bn1/prelu; stages
 *    layer1..4 of IBasicBlocks (bn1, conv1, bn2, prelu, conv2, bn3; `downsample.0` conv1×1 + `downsample.1` BN in
 *    each stage's first block); head bn2, fc (widths[3]·7·7 → embedding), features (BatchNorm1d). Its `fp16` flag
 *    only switches autocast in `forward`: the keys are the same with and without it (an fp16-*stored* checkpoint
 *    differs in dtype only, which the reader widens).
 *  - CR-FIQA (`backbones/iresnet.py`): the same keys at the root plus `qs` = Linear(embedding → 1).
 *  - AI-KD (`model/ai_kd.py`, `model/mlp.py`): `feature_extractor.*` + `quality_head.l1` (embedding → 2·embedding),
 *    GELU, `quality_head.l2` (→ 1).
 *  - DifFIQA(R) (`diffiqa(r)/utils.py`): nn.Sequential `base.*` + `linear` = Linear(embedding → 1).
 *  - MagFace (`models/magface.py`, saved under nn.DataParallel): `features.*` (its iResNet, BN eps 2e-5) plus the
 *    training-only MagLinear classifier `fc.weight` (embedding × identities), which inference does not use.
 */
import { IRESNET_DEPTHS, iresnetStateDict, type IResNetLayout, type IResNetStateTensor } from '../backbones/iresnet/layout.ts';

export interface QualityHeadSpec {
  /** `linear`: Linear(embedding → 1); `mlp`: l1 (embedding → hidden), GELU, l2 (hidden → 1). */
  kind: 'linear' | 'mlp';
  /** The head's key prefix in the checkpoint ('qs.', 'linear.', 'quality_head.'). */
  prefix: string;
  /** Hidden width of an `mlp` head, as a multiple of the embedding (AI-KD: 1024 = 2 × 512). */
  hiddenFactor?: number;
}

export interface TorchArchitecture {
  name: string;
  description: string;
  backbone: IResNetLayout;
  /** BatchNorm eps of the backbone: insightface 1e-5, MagFace 2e-5 (no key of the file holds it). */
  bnEps: number;
  /** Prefix of the backbone's keys in the published checkpoint ('' = at the root). */
  backbonePrefix: string;
  head?: QualityHeadSpec;
  /** Training-only keys the published file may hold (relative to the root, after `module.`): kept out of the report. */
  trainingOnly?: readonly string[];
}

export type ExpectedTensor = Pick<IResNetStateTensor, 'name' | 'shape' | 'optional'>;

const insightface = (depth: 'iresnet18' | 'iresnet50' | 'iresnet100'): IResNetLayout => ({ layers: IRESNET_DEPTHS[depth]!, widths: [64, 128, 256, 512], embedding: 512, inputSize: 112 });
const R18 = insightface('iresnet18');
const R50 = insightface('iresnet50');
const R100 = insightface('iresnet100');

const CRFIQA_HEAD: QualityHeadSpec = { kind: 'linear', prefix: 'qs.' };

export const TORCH_ARCHITECTURES = {
  iresnet18: { name: 'iresnet18', description: 'insightface arcface_torch iResNet-18', backbone: R18, bnEps: 1e-5, backbonePrefix: '' },
  iresnet50: { name: 'iresnet50', description: 'insightface arcface_torch iResNet-50', backbone: R50, bnEps: 1e-5, backbonePrefix: '' },
  iresnet100: { name: 'iresnet100', description: 'insightface arcface_torch iResNet-100 (e.g. Glint360K CosFace R100)', backbone: R100, bnEps: 1e-5, backbonePrefix: '' },
  'crfiqa-iresnet50': { name: 'crfiqa-iresnet50', description: 'CR-FIQA(S): iResNet-50 + qs head', backbone: R50, bnEps: 1e-5, backbonePrefix: '', head: CRFIQA_HEAD },
  'crfiqa-iresnet100': { name: 'crfiqa-iresnet100', description: 'CR-FIQA(L): iResNet-100 + qs head', backbone: R100, bnEps: 1e-5, backbonePrefix: '', head: CRFIQA_HEAD },
  'aikd-iresnet100': {
    name: 'aikd-iresnet100',
    description: 'AI-KD student: iResNet-100 feature_extractor + MLP quality_head',
    backbone: R100,
    bnEps: 1e-5,
    backbonePrefix: 'feature_extractor.',
    head: { kind: 'mlp', prefix: 'quality_head.', hiddenFactor: 2 },
  },
  'diffiqa-r-iresnet100': {
    name: 'diffiqa-r-iresnet100',
    description: 'DifFIQA(R): iResNet-100 base + linear head',
    backbone: R100,
    bnEps: 1e-5,
    backbonePrefix: 'base.',
    head: { kind: 'linear', prefix: 'linear.' },
  },
  'magface-iresnet100': {
    name: 'magface-iresnet100',
    description: 'MagFace iResNet-100 (features; the MagLinear classifier fc.weight is training-only)',
    backbone: R100,
    bnEps: 2e-5,
    backbonePrefix: 'features.',
    trainingOnly: ['fc.weight'],
  },
} as const satisfies Record<string, TorchArchitecture>;

export type TorchArchitectureName = keyof typeof TORCH_ARCHITECTURES;

export function isTorchArchitectureName(s: string): s is TorchArchitectureName {
  return Object.hasOwn(TORCH_ARCHITECTURES, s);
}

/** A catalogue entry, optionally with another backbone size (reduced test models, other embeddings). */
export function torchArchitecture(name: TorchArchitectureName, backbone?: Partial<IResNetLayout>): TorchArchitecture {
  const a: TorchArchitecture = TORCH_ARCHITECTURES[name];
  return backbone ? { ...a, backbone: { ...a.backbone, ...backbone } } : a;
}

export function headKeys(head: QualityHeadSpec, embedding: number): ExpectedTensor[] {
  const p = head.prefix;
  if (head.kind === 'linear') return [{ name: `${p}weight`, shape: [1, embedding] }, { name: `${p}bias`, shape: [1] }];
  const hidden = embedding * (head.hiddenFactor ?? 2);
  return [
    { name: `${p}l1.weight`, shape: [hidden, embedding] },
    { name: `${p}l1.bias`, shape: [hidden] },
    { name: `${p}l2.weight`, shape: [1, hidden] },
    { name: `${p}l2.bias`, shape: [1] },
  ];
}

/** Every key the architecture's published checkpoint holds (after `module.`), except training-only ones. */
export function expectedKeys(arch: TorchArchitecture): ExpectedTensor[] {
  return [...iresnetStateDict(arch.backbone, arch.backbonePrefix), ...(arch.head ? headKeys(arch.head, arch.backbone.embedding) : [])];
}

/**
 * The iResNet layout a set of backbone keys and shapes describes (keys without prefix), or undefined when they are
 * not an iResNet: block counts from the highest `layerN.i` index, widths from each stage's first conv, the
 * embedding and input size from `fc.weight` (its input is widths[3] × side², side = input size / 16).
 */
export function inferIResNetLayout(shapes: ReadonlyMap<string, readonly number[]>): IResNetLayout | undefined {
  const layers = [0, 0, 0, 0];
  for (const k of shapes.keys()) {
    const m = /^layer([1-4])\.(\d+)\./.exec(k);
    if (m) layers[Number(m[1]) - 1] = Math.max(layers[Number(m[1]) - 1]!, Number(m[2]) + 1);
  }
  const widths = layers.map((_, s) => shapes.get(`layer${s + 1}.0.conv1.weight`)?.[0]);
  const fc = shapes.get('fc.weight');
  if (layers.some((n) => n === 0) || widths.some((w) => w === undefined) || !fc || fc.length !== 2) return undefined;
  const side = Math.round(Math.sqrt(fc[1]! / widths[3]!));
  if (side * side * widths[3]! !== fc[1]) return undefined;
  return { layers, widths: widths as number[], embedding: fc[0]!, inputSize: side * 2 ** layers.length };
}
