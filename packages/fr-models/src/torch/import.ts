/**
 * `aikd models import FILE.pth --as <kind>`: a PyTorch checkpoint converted once into a cached, content-addressed
 * ONNX model and recorded in models.yaml, so FR models (`--model cosface`, `tfjs:cosface`), methods (`--weights
 * crfiqa-l`) and experiments (`weights: crfiqa-l`) open it by name.
 *
 * The cache: `$AIKD_HOME/cache/torch-models/<sha256 of the checkpoint, 16 hex>-<kind>/` holding `model.onnx` and
 * `model.json` (where it came from, what it was read as, the key renames, the converted file's SHA-256, the converter
 * version). A second import of the same bytes as the same kind reuses it after checking the converted file's hash;
 * a new converter version or a changed copy converts again. Written into a temporary folder and renamed, so a
 * killed import leaves nothing half-written.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AikdError, InputError, MissingResourceError, cacheDir, fileSha256, resolveFromRoot, sha256Hex, writeJsonAtomic } from '@aikd/core';
import { loadModelsConfig, modelsConfigFile, recordModelEntry, type ModelEntry } from '../registry.ts';
import type { IResNetLayout } from '../backbones/iresnet/layout.ts';
import type { OnnxPreprocess } from '../types.ts';
import type { QualityHeadSpec } from './architectures.ts';
import type { KeyRename } from './state-dict.ts';
import { TORCH_MODEL_KINDS, kindInput, kindOfMethod, methodsWithWeights, torchModelKind, type TorchModelKind, type TorchModelKindId } from './kinds.ts';
import { OFFICIAL_WEIGHTS, describeOfficial, importCommand, officialByModel, officialFor, type OfficialWeights } from './official.ts';
import { ONNX_OPSET, TORCH_ONNX_OUTPUTS, torchOnnxBytes } from './onnx.ts';

/** Bumped when the conversion changes what it writes: cached conversions of an older version are made again. */
export const TORCH_CONVERTER_VERSION = 1;

/** `model.json` beside a converted model. */
export interface ConversionRecord {
  converter: number;
  source: { file: string; sha256: string; bytes: number; format: 'zip' | 'legacy'; state_dict_at: string };
  kind: TorchModelKindId;
  architecture: { name: string; layout: IResNetLayout; bn_eps: number; head: QualityHeadSpec | null };
  /** The weights registry's id when the kind and architecture are one of the official files. */
  official: string | null;
  input: OnnxPreprocess;
  outputs: { embedding: string; quality?: string };
  renames: KeyRename[];
  /** Training-only tensors left out (MagFace's classifier). */
  ignored: string[];
  onnx: { file: string; sha256: string; bytes: number; opset: number };
  converted_at: string;
}

export interface ConvertedModel {
  dir: string;
  /** The converted model. */
  onnx: string;
  record: ConversionRecord;
  /** Found in the cache (the checkpoint was hashed, not read). */
  reused: boolean;
}

const ONNX_FILE = 'model.onnx';
const RECORD_FILE = 'model.json';

function checkFile(file: string): void {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) throw new InputError({ file, expected: 'a PyTorch checkpoint file (.pth)', got: 'no such file' });
  if (!st.isFile()) throw new InputError({ file, expected: 'a PyTorch checkpoint file (.pth)', got: 'a folder' });
}

/** The cached conversion, when it is whole and of this converter version; a changed converted file is not reused. */
async function cached(dir: string, sha256: string, kind: string): Promise<ConversionRecord | undefined> {
  const rec = join(dir, RECORD_FILE);
  if (!existsSync(rec) || !existsSync(join(dir, ONNX_FILE))) return undefined;
  try {
    const r = JSON.parse(readFileSync(rec, 'utf8')) as ConversionRecord;
    if (r.converter !== TORCH_CONVERTER_VERSION || r.source.sha256 !== sha256 || r.kind !== kind) return undefined;
    if (statSync(join(dir, ONNX_FILE)).size !== r.onnx.bytes || (await fileSha256(join(dir, ONNX_FILE))) !== r.onnx.sha256) return undefined;
    return r;
  } catch {
    return undefined;
  }
}

/** Load the written graph in onnxruntime and run one blank image: the file must give the outputs it declares. */
async function checkRuns(bytes: Uint8Array, r: ConversionRecord, file: string): Promise<void> {
  const { createOnnxSession, ort } = await import('@aikd/runtime');
  const session = await createOnnxSession(bytes, { label: `${file} (converted)` });
  try {
    const S = r.architecture.layout.inputSize;
    const names = Object.values(r.outputs);
    const out = await session.run({ [TORCH_ONNX_OUTPUTS.input]: new ort.Tensor('float32', new Float32Array(3 * S * S), [1, 3, S, S]) }, names);
    const e = out[r.outputs.embedding]!;
    const q = r.outputs.quality ? out[r.outputs.quality] : undefined;
    const bad = e.dims.join() !== `1,${r.architecture.layout.embedding}` || (q && q.dims.join() !== '1,1') || [...(e.data as Float32Array), ...((q?.data as Float32Array | undefined) ?? [])].some((v) => !Number.isFinite(v));
    if (bad) throw new AikdError(`${file}: the converted model gives embedding [${e.dims}]${q ? `, quality [${q.dims}]` : ''} with non-finite values or wrong shapes (a converter bug: please report it)`);
  } finally {
    await session.release();
  }
}

/**
 * Convert a checkpoint (read as `kind`) into the cache, or find it there. `onTensor` is called per tensor read
 * (progress); nothing is read when the cache has it.
 */
export async function convertTorchCheckpoint(file: string, kindId: string, opts: { onTensor?: (total: number) => void } = {}): Promise<ConvertedModel> {
  const kind = torchModelKind(kindId);
  const path = resolveFromRoot(file);
  checkFile(path);
  const sha256 = await fileSha256(path);
  const dir = cacheDir('torch-models', `${sha256.slice(0, 16)}-${kind.id}`);
  const hit = await cached(dir, sha256, kind.id);
  if (hit) return { dir, onnx: join(dir, ONNX_FILE), record: hit, reused: true };

  const { readTorchModel } = await import('./model.ts'); // tfjs-free until a file is read: `models list` stays light
  const m = await readTorchModel(path, kind, opts.onTensor);
  if (m.sha256 !== sha256) throw new InputError({ file: path, expected: 'a file that stays the same while it is imported', got: `SHA-256 ${sha256.slice(0, 16)}… then ${m.sha256.slice(0, 16)}…` });
  const bytes = torchOnnxBytes(m);
  const arch = m.architecture;
  const official = officialFor(kind.id, arch.name);
  const record: ConversionRecord = {
    converter: TORCH_CONVERTER_VERSION,
    source: { file: path, sha256, bytes: statSync(path).size, format: m.format, state_dict_at: m.stateDictAt },
    kind: kind.id,
    architecture: { name: arch.name, layout: arch.backbone, bn_eps: arch.bnEps, head: arch.head ?? null },
    official: official?.id ?? null,
    input: kindInput(kind),
    outputs: { embedding: TORCH_ONNX_OUTPUTS.embedding, ...(arch.head ? { quality: TORCH_ONNX_OUTPUTS.quality } : {}) },
    renames: m.report.renames,
    ignored: m.report.ignored,
    onnx: { file: ONNX_FILE, sha256: sha256Hex(bytes), bytes: bytes.byteLength, opset: ONNX_OPSET },
    converted_at: new Date().toISOString(),
  };
  await checkRuns(bytes, record, path);
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, ONNX_FILE), bytes);
    writeJsonAtomic(join(tmp, RECORD_FILE), record);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // another process may have put the same conversion there first
    const other = await cached(dir, sha256, kind.id);
    if (other) return { dir, onnx: join(dir, ONNX_FILE), record: other, reused: true };
    throw e;
  }
  return { dir, onnx: join(dir, ONNX_FILE), record, reused: false };
}

export interface ImportResult {
  /** The models.yaml entry's name. */
  name: string;
  /** models.yaml. */
  modelsFile: string;
  converted: ConvertedModel;
  official?: OfficialWeights;
  /** The entry this import replaced (with --force). */
  replaced?: ModelEntry;
}

/**
 * `aikd models import`: convert (or find in the cache) and record the models.yaml entry `name` (default: the
 * registry's name for this file's kind and architecture, else the kind).
 */
export async function importTorchModel(file: string, kindId: string, opts: { name?: string; force?: boolean; onTensor?: (total: number) => void } = {}): Promise<ImportResult> {
  const converted = await convertTorchCheckpoint(file, kindId, { onTensor: opts.onTensor });
  const r = converted.record;
  const official = r.official ? OFFICIAL_WEIGHTS.find((w) => w.id === r.official) : undefined;
  const name = opts.name ?? official?.model ?? r.kind;
  const input = r.input;
  const entry: ModelEntry = {
    path: converted.onnx,
    size: input.size,
    colour: input.colour,
    mean: input.mean,
    std: input.std,
    layout: input.layout,
    output: r.outputs.embedding,
    description: `${official?.title ?? TORCH_MODEL_KINDS[r.kind].title} (${r.architecture.name}), imported from ${basename(r.source.file)}`,
    imported: { from: r.source.file, sha256: r.source.sha256, kind: r.kind, architecture: r.architecture.name, ...(official ? { official: official.id } : {}), converted_sha256: r.onnx.sha256 },
  };
  const rec = recordModelEntry(name, entry, { force: opts.force });
  return { name, modelsFile: rec.file, converted, official, replaced: rec.replaced };
}

const CHECKPOINT_EXT = /\.(pth|pt|pth\.tar|ckpt|bin)$/i;

/** How to get the weights `ref` names when they are not here: the official file and the command, where known. */
function missingWeights(ref: string, kind: TorchModelKind, looked: string): string {
  const official = officialByModel(ref);
  if (official && official.kind === kind.id) return `weights "${ref}" are not imported (${looked}): ${describeOfficial(official)} — import it with \`${importCommand(official)}\``;
  const files = OFFICIAL_WEIGHTS.filter((w) => w.kind === kind.id);
  const hint = files.length ? ` (official: ${files.map((w) => `${w.file} → ${w.model}`).join(', ')})` : '';
  return `no weights "${ref}" (${looked}): import a checkpoint with \`aikd models import FILE --as ${kind.id} --name ${ref}\`${hint}, or give a .pth/.onnx file`;
}

/**
 * What `ref` (a models.yaml name, a checkpoint file, or an ONNX file) lacks to give weights of `kind` here, without
 * converting anything: empty when it can be opened; otherwise one message naming the official file and the command.
 */
export function weightsMissing(ref: string, kindId: string): string[] {
  const kind = torchModelKind(kindId);
  if (CHECKPOINT_EXT.test(ref) || /\.onnx$/i.test(ref)) {
    const p = resolveFromRoot(ref);
    return statSync(p, { throwIfNoEntry: false })?.isFile() ? [] : [`${p}: no such file`];
  }
  const cfg = loadModelsConfig();
  const entry = cfg?.config.models[ref];
  if (!entry) return [missingWeights(ref, kind, `no entry "${ref}" in ${cfg?.file ?? modelsConfigFile()}`)];
  if (entry.imported && entry.imported.kind !== kind.id) return [`models.yaml entry "${ref}" is a ${entry.imported.kind} model (${entry.imported.architecture}); this needs ${kind.id} weights`];
  const p = resolveFromRoot(entry.path);
  if (!existsSync(p)) return [entry.imported ? `${p} (models.yaml entry "${ref}", converted from ${entry.imported.from}) is gone: import it again (\`aikd models import ${entry.imported.from} --as ${entry.imported.kind} --name ${ref}\`)` : `${p} (models.yaml entry "${ref}"): no such file`];
  return [];
}

/**
 * The ONNX file `ref` stands for, as weights of `kind`: a models.yaml entry's file, an ONNX file, or a checkpoint
 * converted now (into the cache; models.yaml is not changed).
 */
export async function resolveWeights(ref: string, kindId: string): Promise<{ onnx: string; converted?: ConvertedModel }> {
  const kind = torchModelKind(kindId);
  if (CHECKPOINT_EXT.test(ref)) {
    const converted = await convertTorchCheckpoint(ref, kind.id);
    return { onnx: converted.onnx, converted };
  }
  const missing = weightsMissing(ref, kind.id);
  if (missing.length) throw new MissingResourceError(missing[0]!);
  return { onnx: weightsFile(ref)! };
}

/**
 * The file that weights given as `ref` are read from — a checkpoint or ONNX file, or a models.yaml entry's file —
 * without converting anything (undefined when `ref` names nothing): results computed with them depend on its content.
 */
export function weightsFile(ref: string): string | undefined {
  if (CHECKPOINT_EXT.test(ref) || /\.onnx$/i.test(ref)) return resolveFromRoot(ref);
  const entry = loadModelsConfig()?.config.models[ref];
  return entry ? resolveFromRoot(entry.path) : undefined;
}

/** `--weights REF` of a method: its kind's weights, or an error saying which methods take weights. */
export async function resolveMethodWeights(method: string, ref: string): Promise<string> {
  const kind = kindOfMethod(method);
  if (!kind) throw new AikdError(`method "${method}" takes no --weights (methods whose official network is a PyTorch checkpoint: ${methodsWithWeights().join(', ')})`);
  return (await resolveWeights(ref, kind.id)).onnx;
}

export interface OfficialWeightsStatus {
  id: string;
  title: string;
  file: string;
  kind: string;
  /** The models.yaml name it is imported as. */
  model: string;
  present: boolean;
  /** How it is present: imported (with its recorded SHA-256), or the user's own ONNX file. */
  how?: 'imported' | 'own ONNX file';
  /** SHA-256: the published one, else the one recorded at import (never made up). */
  sha256?: string;
  sha256_source?: 'published' | 'recorded at import';
  /** The recorded file differs from the published hash. */
  mismatch?: boolean;
  command: string;
  published: string;
  rows: string[];
  fr_models: string[];
  note?: string;
}

/** `aikd models list`: each official file, whether it is here (models.yaml), its hash, and the command that imports it. */
export function officialWeightsStatus(): OfficialWeightsStatus[] {
  const cfg = loadModelsConfig();
  return OFFICIAL_WEIGHTS.map((w): OfficialWeightsStatus => {
    const entry = cfg?.config.models[w.model];
    const present = !!entry && existsSync(resolveFromRoot(entry.path)) && (!entry.imported || entry.imported.kind === w.kind);
    const recorded = entry?.imported?.sha256;
    return {
      id: w.id,
      title: w.title,
      file: w.file,
      kind: w.kind,
      model: w.model,
      present,
      ...(present ? { how: entry!.imported ? ('imported' as const) : ('own ONNX file' as const) } : {}),
      ...(w.sha256 ? { sha256: w.sha256, sha256_source: 'published' as const } : recorded ? { sha256: recorded, sha256_source: 'recorded at import' as const } : {}),
      ...(w.sha256 && recorded && recorded !== w.sha256 ? { mismatch: true } : {}),
      command: importCommand(w),
      published: `${w.published.by}: ${w.published.link}`,
      rows: w.tables.rows,
      fr_models: w.tables.frModels,
      ...(w.tables.note ? { note: w.tables.note } : {}),
    };
  });
}
