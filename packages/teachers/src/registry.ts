/**
 * Method registry: `createQualityMethod(name, options)` for the built-in methods and for families other packages
 * register (`registerQualityMethodFactory('aikd', …)` → `aikd:<run-id>`), and `listMethods()` for
 * `aikd methods list`.
 */
import { AikdError } from '@aikd/core';
import { DEFAULT_FR_MODEL, FACEQAN_DEFAULTS, LATER_METHODS, SERFIQ_DEFAULTS, TFJS_FR_MODELS } from './constants.ts';
import { METHOD_IDS, type MethodInfo, type QualityMethod, type QualityMethodFactory, type QualityMethodOptions, type RegisteredMethodInfo } from './types.ts';

const BUILTIN: Record<string, (opts: QualityMethodOptions) => Promise<QualityMethod>> = {
  serfiq: async (o) => (await import('./methods/serfiq/serfiq.ts')).createSerfiq(o),
  faceqan: async (o) => (await import('./methods/faceqan/faceqan.ts')).createFaceqan(o),
  magface: async (o) => (await import('./methods/norm/norm.ts')).createMagface(o),
  'embedding-norm': async (o) => (await import('./methods/norm/norm.ts')).createEmbeddingNorm(o),
};

const families = new Map<string, { factory: QualityMethodFactory; info?: RegisteredMethodInfo }>();

/**
 * Add a family of methods named `<prefix>:<spec>` (e.g. the AI-KD trainer's `aikd:<run-id>`). Registering a prefix
 * again replaces the factory; a prefix may not shadow a method id.
 */
export function registerQualityMethodFactory(prefix: string, factory: QualityMethodFactory, info?: RegisteredMethodInfo): void {
  if (!/^[a-z][a-z0-9-]*$/.test(prefix)) throw new AikdError(`method prefix "${prefix}": expected lower-case letters, digits and "-"`);
  if ((METHOD_IDS as readonly string[]).includes(prefix) && BUILTIN[prefix]) throw new AikdError(`method prefix "${prefix}" is a built-in method`);
  families.set(prefix, { factory, info });
}

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
  if (LATER_METHODS[name])
    throw new AikdError(`method "${name}" (${LATER_METHODS[name].title}) cannot run here yet; import its scores computed elsewhere with \`aikd score import FILE --method ${name}\``);
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

/** Every method the workbench knows, what it needs, and whether it can run here. */
export async function listMethods(): Promise<MethodInfo[]> {
  const frNote = `default FR model ${DEFAULT_FR_MODEL}`;
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
    ...Object.entries(LATER_METHODS).map(([id, m]) => ({
      id,
      title: m.title,
      description: m.description,
      requires: { training: true },
      available: false,
      note: `not runnable here yet; import its scores: aikd score import FILE --dataset NAME --method ${id}`,
    })),
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
