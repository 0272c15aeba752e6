/**
 * A PyTorch checkpoint read as one of the paper family's models: its state_dict found, its backbone layout read from
 * the keys and shapes, matched completely against the kind's architecture (missing / unexpected / mis-shaped tensors
 * named, else an error), and every tensor read as float32 under the architecture's names. Both conversions — the
 * ONNX file (onnx.ts) and the tf.layers model (tfjs.ts) — start from this one reading, so they hold the same weights.
 */
import { InputError, fileSha256 } from '@aikd/core';
import { openTorchCheckpoint } from './checkpoint.ts';
import { BACKBONE_PREFIXES, assertStateDictMatches, matchStateDict, stateDictLayout, stateDictOf, type StateDictReport } from './state-dict.ts';
import type { TorchModelKind } from './kinds.ts';
import { TORCH_ARCHITECTURES, type TorchArchitecture } from './architectures.ts';
import { layoutName, type IResNetLayout } from '../backbones/iresnet/layout.ts';

export interface TorchModelTensor {
  /** PyTorch's shape. */
  shape: number[];
  /** Row-major float32 values (float16 / bfloat16 widened exactly, float64 rounded). */
  values: Float32Array;
}

export interface TorchModel {
  file: string;
  /** SHA-256 of the checkpoint file. */
  sha256: string;
  kind: TorchModelKind;
  /** The architecture with the file's backbone layout. */
  architecture: TorchArchitecture;
  format: 'zip' | 'legacy';
  /** Where the state_dict was in the checkpoint object ('' = the object itself). */
  stateDictAt: string;
  report: StateDictReport;
  /** Every tensor the model uses, by the architecture's names (BatchNorm's num_batches_tracked left out). */
  tensors: Map<string, TorchModelTensor>;
}

const sameFamily = (a: TorchArchitecture, b: TorchArchitecture) =>
  a.backbonePrefix === b.backbonePrefix && a.bnEps === b.bnEps && a.head?.kind === b.head?.kind && a.head?.prefix === b.head?.prefix && a.head?.hiddenFactor === b.head?.hiddenFactor;
const sameLayout = (a: IResNetLayout, b: IResNetLayout) =>
  a.layers.join() === b.layers.join() && a.widths.join() === b.widths.join() && a.embedding === b.embedding && a.inputSize === b.inputSize;

/**
 * The architecture a file of this kind with this backbone layout is: the catalogue entry of the kind's family with
 * that layout (`crfiqa-iresnet50` for CR-FIQA(S)), else the kind's architecture with the file's layout, named so.
 */
export function kindArchitecture(kind: TorchModelKind, layout: IResNetLayout): TorchArchitecture {
  const base: TorchArchitecture = TORCH_ARCHITECTURES[kind.architecture];
  const known = (Object.values(TORCH_ARCHITECTURES) as TorchArchitecture[]).find((a) => sameFamily(a, base) && sameLayout(a.backbone, layout));
  if (known) return known;
  return { ...base, name: `${kind.id}:${layoutName(layout)}`, description: `${base.description}, with the file's backbone ${layoutName(layout)}`, backbone: layout };
}

/**
 * Read `file` as a model of `kind`. Throws an InputError naming the file and every tensor that does not fit.
 * `onTensor(total)` is called after each tensor is read (progress).
 */
export async function readTorchModel(file: string, kind: TorchModelKind, onTensor?: (total: number) => void): Promise<TorchModel> {
  const ckpt = openTorchCheckpoint(file);
  try {
    const sha256 = await fileSha256(file);
    const sd = stateDictOf(ckpt);
    const found = stateDictLayout(sd.tensors);
    if (!found)
      throw new InputError({
        file,
        where: sd.at ? `state_dict under '${sd.at}'` : 'the state_dict',
        expected: `an insightface iResNet (${kind.title}): conv1.weight, layer1..4.*, fc.weight under one of the prefixes ${BACKBONE_PREFIXES.map((p) => `'${p}'`).join(', ')}`,
        got: `${sd.tensors.size} tensors, e.g. ${[...sd.tensors.keys()].slice(0, 4).join(', ')}`,
      });
    const architecture = kindArchitecture(kind, found.layout);
    const report = matchStateDict(sd.tensors, architecture);
    assertStateDictMatches(report, file);
    const tensors = new Map<string, TorchModelTensor>();
    for (const [name, ref] of report.tensors) {
      if (name.endsWith('.num_batches_tracked')) continue;
      const values = ckpt.readFloat32(ref, name);
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new InputError({ file, where: `tensor ${name}, element ${bad}`, expected: 'finite weights', got: String(values[bad]) });
      tensors.set(name, { shape: ref.shape, values });
      onTensor?.(report.tensors.size);
    }
    return { file, sha256, kind, architecture, format: ckpt.format, stateDictAt: sd.at, report, tensors };
  } finally {
    ckpt.close();
  }
}
