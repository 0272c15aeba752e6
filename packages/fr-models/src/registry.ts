import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z, AikdError, InputError, MissingResourceError, loadYamlConfig, resolveFromRoot, setYamlValue, workspaceRoot } from '@aikd/core';
import { frModelCatalogue } from './catalogue.ts';
import { describeOfficial, importCommand, officialByModel } from './torch/official.ts';
import type { OnnxPreprocess, Recognizer, RecognizerOptions } from './types.ts';

const preprocessSchema = z
  .object({
    size: z.number().int().positive(),
    colour: z.enum(['RGB', 'BGR']),
    mean: z.union([z.number(), z.tuple([z.number(), z.number(), z.number()])]),
    std: z.union([z.number(), z.tuple([z.number(), z.number(), z.number()])]),
    layout: z.enum(['NCHW', 'NHWC']),
    input: z.string(),
    output: z.string(),
  })
  .partial()
  .strict();
/** What `aikd models import` records about a converted PyTorch checkpoint (the entry's `path` is the converted file). */
const importedSchema = z
  .object({
    /** The checkpoint as it was imported (absolute path), and its SHA-256. */
    from: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 (64 hex digits)'),
    /** `--as` kind and the architecture it was read as. */
    kind: z.string(),
    architecture: z.string(),
    /** The weights registry's id, when it is one of the official files. */
    official: z.string().optional(),
    /** SHA-256 of the converted file, to check the cache copy has not changed. */
    converted_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();
const modelEntrySchema = preprocessSchema.extend({ path: z.string(), description: z.string().optional(), imported: importedSchema.optional() }).strict();
const modelsFileSchema = z.object({ models: z.record(z.string(), modelEntrySchema) }).strict();
export type ModelsFile = z.output<typeof modelsFileSchema>;
export type ModelEntry = z.output<typeof modelEntrySchema>;
export type ImportedRecord = z.output<typeof importedSchema>;

/** Where models.yaml is (or would be): AIKD_MODELS when it names a .yaml file, else the workspace root's. */
export function modelsConfigFile(): string {
  const env = process.env.AIKD_MODELS;
  return env && /\.ya?ml$/.test(env) ? resolveFromRoot(env) : join(workspaceRoot, 'models.yaml');
}

/** `models.yaml` (workspace root, or AIKD_MODELS when it names a .yaml file): users' own weights and their preprocessing. */
export function loadModelsConfig(): { file: string; config: ModelsFile } | undefined {
  const file = modelsConfigFile();
  if (!existsSync(file)) return undefined;
  return { file, config: loadYamlConfig(file, modelsFileSchema) };
}

const MODELS_FILE_HEADER = `Your face-recognition and FIQA weights (see models.example.yaml). Entries with "imported:" were written by
\`aikd models import\`: their path is the converted model in the workbench's cache.`;

/**
 * Add or replace the models.yaml entry `name`, keeping the rest of the file as it is (created when absent). An entry
 * that exists and is not the same import is replaced only with `force` (nothing of the user's is lost silently).
 */
export function recordModelEntry(name: string, entry: ModelEntry, opts: { force?: boolean } = {}): { file: string; replaced?: ModelEntry } {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new AikdError(`model name "${name}": expected lower-case letters, digits and "-"`);
  const parsed = modelEntrySchema.parse(entry);
  const cfg = loadModelsConfig();
  const file = cfg?.file ?? modelsConfigFile();
  const had = cfg?.config.models[name];
  const same = had?.imported && had.imported.sha256 === parsed.imported?.sha256 && had.imported.kind === parsed.imported?.kind;
  if (had && !same && !opts.force)
    throw new InputError({
      file,
      where: `models.${name}`,
      expected: `no entry "${name}" (give the import another --name, or --force to replace it)`,
      got: `an entry with path ${had.path}${had.imported ? ` (imported from ${had.imported.from}, sha256 ${had.imported.sha256.slice(0, 16)}…)` : ''}`,
    });
  // in the caller's key order (path first), as validated
  const value = Object.fromEntries(Object.keys(entry).filter((k) => parsed[k as keyof ModelEntry] !== undefined).map((k) => [k, parsed[k as keyof ModelEntry]]));
  setYamlValue(file, ['models', name], value, MODELS_FILE_HEADER);
  return { file, replaced: had && !same ? had : undefined };
}

/** A model whose weights ship with the workbench (runs everywhere). */
export function isBuiltin(name: string): boolean {
  return frModelCatalogue.get(name)?.weights === 'bundled';
}

/** Where a preset's (or a models.yaml entry's) ONNX file is, and the preprocessing to use with it. */
export function resolveOnnxModel(name: string, opts: RecognizerOptions = {}): { path: string; preprocess: OnnxPreprocess; description?: string; looked: string[] } {
  const d = frModelCatalogue.get(name);
  const preset = d?.weights === 'user' ? d : undefined;
  const cfg = loadModelsConfig();
  const entry = cfg?.config.models[name];
  const looked: string[] = [];
  let path = opts.path;
  if (path) looked.push(path);
  if (!path && entry) {
    path = resolveFromRoot(entry.path);
    looked.push(`${path} (from ${cfg!.file})`);
  }
  if (!path && process.env.AIKD_MODELS && !/\.ya?ml$/.test(process.env.AIKD_MODELS)) {
    path = join(resolveFromRoot(process.env.AIKD_MODELS), `${name}.onnx`);
    looked.push(`${path} (AIKD_MODELS)`);
  }
  if (!preset && !entry) throw new AikdError(unknownRecognizer(name));
  if (path && statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    const onnx = readdirSync(path).filter((f) => f.endsWith('.onnx'));
    throw new InputError({
      file: entry && !opts.path ? cfg!.file : path,
      where: entry && !opts.path ? `models.${name}.path` : undefined,
      expected: `the path of an ONNX file for FR model "${name}"`,
      got: `a folder, ${path}${onnx.length ? ` (it holds ${onnx.slice(0, 3).join(', ')}${onnx.length > 3 ? ', …' : ''}: give the file)` : ' (with no .onnx file in it)'}`,
    });
  }
  if (!path || !existsSync(path)) {
    // the paper's weights published as PyTorch checkpoints are named by their published file and imported by command
    const official = officialByModel(name);
    throw new MissingResourceError(
      `FR model "${name}" needs ${official ? `the official weights ${describeOfficial(official)} — import them: \`${importCommand(official)}\`; or` : 'your ONNX weights — bring your weights:'} put the file at $AIKD_MODELS/${name}.onnx or add "${name}: {path: …}" under "models:" in models.yaml` +
        (looked.length ? ` (looked at ${looked.join('; ')})` : ' (AIKD_MODELS is not set and models.yaml has no entry)'),
    );
  }
  const base: OnnxPreprocess = preset
    ? { ...preset.preprocess }
    : { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' };
  const { path: _p, description, ...fromEntry } = entry ?? { path: '' };
  return { path, preprocess: { ...base, ...fromEntry, ...opts.preprocess }, description: description ?? preset?.description, looked };
}

/** The message for an FR model name the workbench does not know: what a name may be. */
export function unknownRecognizer(name: string): string {
  return `unknown FR model "${name}": expected one of ${frModelCatalogue.list().map((m) => m.id).join(', ')}, a models.yaml entry, or onnx:<path> (tfjs:<model> for a trainable copy)`;
}

/** A name the workbench knows (the catalogue's, a models.yaml entry, `onnx:<path>`, `tfjs:<known>`), whether or not its files are here. */
export function isKnownRecognizer(name: string): boolean {
  if (frModelCatalogue.get(name) || name.startsWith('onnx:')) return true;
  if (name.startsWith('tfjs:')) return isKnownRecognizer(name.slice(5));
  return !!loadModelsConfig()?.config.models[name];
}

/** What is missing on this machine to open the recogniser (empty when it can run). */
export function recognizerMissing(name: string): string[] {
  if (isBuiltin(name)) return [];
  if (name.startsWith('tfjs:')) return recognizerMissing(name.slice(5));
  if (name.startsWith('onnx:')) {
    const p = resolveFromRoot(name.slice(5));
    const st = statSync(p, { throwIfNoEntry: false });
    return st?.isFile() ? [] : [st ? `${p} (a folder: expected an ONNX file)` : p];
  }
  try {
    resolveOnnxModel(name);
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

/**
 * The weight files a recogniser is built from, found without loading it (results computed with it depend on their
 * content): a bundled model's files (its catalogue descriptor names them), the user's ONNX file. Empty when the name
 * cannot be resolved here (then the model is missing, and nothing runs with it).
 */
export function recognizerWeightFiles(name: string): string[] {
  const d = frModelCatalogue.get(name);
  if (d?.weights === 'bundled') return d.weightFiles();
  if (name.startsWith('tfjs:')) return recognizerWeightFiles(name.slice(5));
  try {
    const path = name.startsWith('onnx:') ? resolveFromRoot(name.slice(5)) : resolveOnnxModel(name).path;
    return statSync(path, { throwIfNoEntry: false })?.isFile() ? [path] : [];
  } catch {
    return [];
  }
}

/**
 * Open a face recogniser by name: a model of the catalogue (catalogue.ts: bundled tfjs models, or ONNX presets with
 * the user's file), a models.yaml entry, or `onnx:<path>` with an explicit preprocessing spec. `tfjs:<name>` opens
 * any of them rebuilt as a trainable tfjs model (the built-ins, or an ONNX iResNet such as the user's CosFace), so
 * gradient methods (FaceQAN) and features before the last layer (SER-FIQ) run on the paper's backbones.
 */
export async function createRecognizer(name: string, opts: RecognizerOptions = {}): Promise<Recognizer> {
  const d = frModelCatalogue.get(name);
  if (d?.weights === 'bundled') return opts.engine === 'tfjs' ? d.tfjs() : d.open();
  if (name.startsWith('tfjs:')) return (await import('./tfjs/tfjs-recognizer.ts')).createTfjsRecognizer(name.slice(5), opts);
  const { createOnnxRecognizer } = await import('./onnx/onnx-recognizer.ts');
  if (name.startsWith('onnx:')) {
    const path = resolveFromRoot(name.slice(5));
    const p: OnnxPreprocess = { size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW', ...opts.preprocess };
    return createOnnxRecognizer(path, p, { id: `onnx:${name.slice(5)}` });
  }
  const r = resolveOnnxModel(name, opts);
  return createOnnxRecognizer(r.path, r.preprocess, { id: name, description: r.description });
}

export interface RecognizerInfo {
  id: string;
  engine: 'tfjs' | 'onnx';
  available: boolean;
  description: string;
  note?: string;
}

/** Every recogniser the workbench knows, and whether it can run here (ONNX presets need the user's file). */
export function listRecognizers(): RecognizerInfo[] {
  return frModelCatalogue.list().map((m): RecognizerInfo => {
    if (m.weights === 'bundled') return { id: m.id, engine: m.engine, available: true, description: m.description };
    try {
      const r = resolveOnnxModel(m.id);
      return { id: m.id, engine: m.engine, available: true, description: m.description, note: r.path };
    } catch {
      return { id: m.id, engine: m.engine, available: false, description: m.description, note: 'bring your weights (models.yaml or AIKD_MODELS)' };
    }
  });
}
