/**
 * Method registry: `createQualityMethod(name, options)` for the built-in methods and for families other packages
 * register (`registerQualityMethodFactory('aikd', …)` → `aikd:<run-id>`), and `listMethods()` for
 * `aikd methods list`.
 */
import { AikdError } from '@aikd/core';
import { DEFAULT_FR_MODEL, FACEQAN_DEFAULTS, LEARNED_METHODS, LEARNED_METHOD_IDS, OFFICIAL_ONNX, SERFIQ_DEFAULTS, TFJS_FR_MODELS, type LearnedMethodId } from './constants.ts';
import { METHOD_IDS, type MethodInfo, type QualityMethod, type QualityMethodFactory, type QualityMethodOptions, type RegisteredMethodInfo } from './types.ts';

/** A learned method without weights: the two ways to get them. */
function needsWeights(id: LearnedMethodId): never {
  const onnx = id === 'diffiqa' ? '' : ` or the official weights as ONNX (--onnx FILE: ${OFFICIAL_ONNX[id].note})`;
  throw new AikdError(
    `method "${id}" (${LEARNED_METHODS[id].title}) needs trained weights: train it here with \`aikd teacher train --method ${id} --dataset NAME\` and score with ${id}:<run-id>${onnx}`,
  );
}

const onnxRoute = (id: Exclude<LearnedMethodId, 'diffiqa'>) => async (o: QualityMethodOptions) =>
  o.onnx ? (await import('./methods/onnx-regressor.ts')).createOnnxRegressor(id, o.onnx, o.params) : needsWeights(id);

const BUILTIN: Record<string, (opts: QualityMethodOptions) => Promise<QualityMethod>> = {
  serfiq: async (o) => (await import('./methods/serfiq/serfiq.ts')).createSerfiq(o),
  faceqan: async (o) => (await import('./methods/faceqan/faceqan.ts')).createFaceqan(o),
  magface: async (o) => (await import('./methods/norm/norm.ts')).createMagface(o),
  'embedding-norm': async (o) => (await import('./methods/norm/norm.ts')).createEmbeddingNorm(o),
  crfiqa: onnxRoute('crfiqa'),
  sddfiqa: onnxRoute('sddfiqa'),
  faceqnet: onnxRoute('faceqnet'),
  'diffiqa-r': onnxRoute('diffiqa-r'),
  diffiqa: async (o) => (await import('./methods/diffiqa/diffiqa.ts')).createDiffiqa(o),
};

const families = new Map<string, { factory: QualityMethodFactory; info?: RegisteredMethodInfo }>();

/**
 * Add a family of methods named `<prefix>:<spec>` (e.g. the AI-KD trainer's `aikd:<run-id>`). Registering a prefix
 * again replaces the factory; a prefix may not shadow a method id.
 */
export function registerQualityMethodFactory(prefix: string, factory: QualityMethodFactory, info?: RegisteredMethodInfo): void {
  if (!/^[a-z][a-z0-9-]*$/.test(prefix)) throw new AikdError(`method prefix "${prefix}": expected lower-case letters, digits and "-"`);
  if ((METHOD_IDS as readonly string[]).includes(prefix) && BUILTIN[prefix] && !(LEARNED_METHOD_IDS as readonly string[]).includes(prefix))
    throw new AikdError(`method prefix "${prefix}" is a built-in method`);
  families.set(prefix, { factory, info });
}

// the learned methods' own runs: `crfiqa:<run-id>`, …, `diffiqa:<run-id>`
for (const id of LEARNED_METHOD_IDS)
  registerQualityMethodFactory(id, async (spec, o) => (await import('./train/load.ts')).openTrainedTeacher(id, spec, o), {
    title: `${LEARNED_METHODS[id].title} (trained here)`,
    description:
      id === 'diffiqa'
        ? 'DifFIQA with the small local UNet of a `teacher train --method diffiqa` run (any FR model; the run\'s by default)'
        : `a ${LEARNED_METHODS[id].title} head trained here on a frozen FR model${id === 'crfiqa' ? ' (frozen-backbone variant: the original trains the head jointly with ArcFace)' : ''}`,
    requires: { frModel: true, training: true },
    available: true,
    frModels: [...TFJS_FR_MODELS, 'ONNX models'],
    note: `aikd teacher train --method ${id} --dataset NAME [--fr-model FR] → ${id}:<run-id>`,
    example: `${id}:teacher-train-20261128-120000-abc123`,
  });

export function registeredPrefixes(): string[] {
  return [...families.keys()];
}

/** Open a FIQA method by name: `serfiq`, `faceqan`, `magface`, `embedding-norm`, or `<prefix>:<spec>` of a registered family. */
export async function createQualityMethod(name: string, opts: QualityMethodOptions = {}): Promise<QualityMethod> {
  const colon = name.indexOf(':');
  if (colon > 0) {
    const prefix = name.slice(0, colon);
    const fam = families.get(prefix);
    if (!fam)
      throw new AikdError(
        `method "${name}": no method family "${prefix}:" is registered${families.size ? ` (registered: ${[...families.keys()].map((p) => p + ':').join(', ')})` : ''}`,
      );
    return fam.factory(name.slice(colon + 1), opts);
  }
  const make = BUILTIN[name];
  if (make) return make(opts);
  throw new AikdError(`unknown method "${name}": expected one of ${[...Object.keys(BUILTIN), ...[...families.keys()].map((p) => p + ':<…>')].join(', ')}`);
}

/** Can the MagFace preset be resolved here (user weights in models.yaml / AIKD_MODELS)? */
async function magfaceStatus(): Promise<{ available: boolean; note: string }> {
  const { resolveOnnxModel } = await import('@aikd/fr-models');
  try {
    const r = resolveOnnxModel('magface');
    return { available: true, note: `weights: ${r.path}` };
  } catch {
    return { available: false, note: 'needs your MagFace iResNet ONNX file: put it at $AIKD_MODELS/magface.onnx or add "magface: {path: …}" under models: in models.yaml' };
  }
}

function learnedRow(id: LearnedMethodId): MethodInfo {
  const m = LEARNED_METHODS[id];
  return {
    id,
    title: m.title,
    description: m.description,
    requires: { frModel: id === 'diffiqa', training: true },
    available: false,
    frModels: id === 'diffiqa' ? [...TFJS_FR_MODELS, 'any ONNX model'] : undefined,
    note:
      id === 'diffiqa'
        ? 'needs a denoiser: your UNet as ONNX (--onnx UNET.onnx) or a local one (aikd teacher train --method diffiqa → diffiqa:<run-id>)'
        : `needs weights: official ONNX (--onnx FILE; ${OFFICIAL_ONNX[id].note}) or aikd teacher train --method ${id} → ${id}:<run-id>`,
  };
}

/** Every method the workbench knows, what it needs, and whether it can run here. */
export async function listMethods(): Promise<MethodInfo[]> {
  const frNote = `default FR model ${DEFAULT_FR_MODEL}`;
  const { trainDefaults } = await import('./train/params.ts');
  const magface = await magfaceStatus();
  const rows: MethodInfo[] = [
    {
      id: 'serfiq',
      title: 'SER-FIQ',
      description: 'stability of T dropout passes through the FR model head (Terhörst et al. 2020); backbone once, head T times',
      requires: { frModel: true },
      available: true,
      frModels: [...TFJS_FR_MODELS, 'ONNX models split before their last linear layer'],
      params: { ...SERFIQ_DEFAULTS },
      note: frNote,
    },
    {
      id: 'faceqan',
      title: 'FaceQAN',
      description: 'robustness of the embedding to adversarial noise, BIM attack + flip symmetry (Babnik et al. 2022)',
      requires: { frModel: true, gradients: true },
      available: true,
      frModels: [...TFJS_FR_MODELS],
      params: { ...FACEQAN_DEFAULTS },
      note: `${frNote}; needs input gradients: tfjs models only (ONNX models cannot — import scores instead); ~50 gradient images per image`,
    },
    {
      id: 'magface',
      title: 'MagFace',
      description: 'norm of the unnormalised embedding of a MagFace-trained iResNet (Meng et al. 2021)',
      requires: { training: true },
      available: magface.available,
      frModels: ['magface'],
      params: {},
      note: magface.note,
    },
    {
      id: 'embedding-norm',
      title: 'embedding norm',
      description: "norm of any FR model's unnormalised embedding (MagFace's computation on a model not trained for it)",
      requires: { frModel: true },
      available: true,
      frModels: [...TFJS_FR_MODELS, 'any ONNX model'],
      params: {},
      note: frNote,
    },
    ...LEARNED_METHOD_IDS.map((id) => ({ ...learnedRow(id), params: trainDefaults(id) })),
  ];
  for (const [prefix, { info }] of families)
    rows.push({
      id: `${prefix}:<…>`,
      title: info?.title ?? prefix,
      description: info?.description ?? `methods registered under "${prefix}:"`,
      requires: info?.requires ?? {},
      available: info?.available ?? true,
      frModels: info?.frModels,
      params: info?.params,
      note: info?.note ?? info?.example,
    });
  return rows;
}
