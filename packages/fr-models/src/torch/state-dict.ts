/**
 * From a checkpoint to the state_dict of a known architecture: find the state_dict in the checkpoint object, undo
 * the wrappers' key prefixes by rule, and report, by name, every missing, unexpected, training-only and mis-shaped
 * tensor against the architecture's expected keys.
 *
 * Prefix rules, in order:
 *  1. `module.` (nn.DataParallel / DistributedDataParallel) is stripped while every key carries it; a `module.`
 *     right after a backbone prefix on every key under it (DistributedDataParallel around the backbone only, as
 *     MagFace's DDP trainer saves: `features.module.*`) is stripped too.
 *  2. The backbone's prefix is whatever precedes its stem convolution `conv1.weight` — one of '', `backbone.`,
 *     `feature_extractor.` (AI-KD), `base.` (DifFIQA(R)), `features.` (MagFace) — and is replaced by the
 *     architecture's own (its published checkpoint's). At the root, the backbone's keys are those of the iResNet's
 *     top-level modules (conv1 … features). Head keys keep their names.
 */
import { InputError } from '@aikd/core';
import { PickleDict, describePickleValue, pickleKey, type PickleValue } from '@aikd/datasets';
import { tensorRef, type TorchCheckpoint, type TorchTensorRef } from './checkpoint.ts';
import { TORCH_ARCHITECTURES, expectedKeys, inferIResNetLayout, torchArchitecture, type TorchArchitecture, type TorchArchitectureName } from './architectures.ts';
import type { IResNetLayout } from '../backbones/iresnet/layout.ts';

export interface TorchStateDict {
  /** Where in the checkpoint object it was: '' (the object itself) or the key holding it, e.g. 'state_dict'. */
  at: string;
  tensors: Map<string, TorchTensorRef>;
}

/** Keys under which training checkpoints keep the model's state_dict, tried in this order. */
export const STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model', 'backbone', 'net'] as const;
export const BACKBONE_PREFIXES = ['', 'backbone.', 'feature_extractor.', 'base.', 'features.'] as const;
/** The iResNet's top-level modules: what a backbone key at the root starts with. */
const IRESNET_MODULES = new Set(['conv1', 'bn1', 'prelu', 'layer1', 'layer2', 'layer3', 'layer4', 'bn2', 'fc', 'features']);

function tensorDict(v: PickleValue | undefined, file: string, at: string): Map<string, TorchTensorRef> | undefined {
  if (!(v instanceof PickleDict) || v.entries.length === 0) return undefined;
  const out = new Map<string, TorchTensorRef>();
  const other: string[] = [];
  for (const [k, val] of v.entries) {
    const key = pickleKey(k);
    const t = tensorRef(val);
    if (typeof key === 'string' && t) out.set(key, t);
    else other.push(`${describePickleValue(k)} → ${describePickleValue(val)}`);
  }
  if (out.size === 0) return undefined;
  if (other.length)
    throw new InputError({ file, where: at ? `entry '${at}'` : 'the checkpoint object', expected: 'a state_dict: names mapped to tensors', got: `also ${other.slice(0, 3).join('; ')}${other.length > 3 ? ` and ${other.length - 3} more` : ''}` });
  return out;
}

/** The state_dict in a checkpoint: the object itself, or the first of STATE_DICT_KEYS that holds one. */
export function stateDictOf(ckpt: Pick<TorchCheckpoint, 'root' | 'file'>): TorchStateDict {
  const direct = tensorDict(ckpt.root, ckpt.file, '');
  if (direct) return { at: '', tensors: direct };
  if (ckpt.root instanceof PickleDict) {
    for (const k of STATE_DICT_KEYS) {
      const t = tensorDict(ckpt.root.get(k), ckpt.file, k);
      if (t) return { at: k, tensors: t };
    }
  }
  const keys = ckpt.root instanceof PickleDict ? `a dict with keys ${ckpt.root.keys().slice(0, 8).join(', ')}` : describePickleValue(ckpt.root);
  throw new InputError({ file: ckpt.file, expected: `a state_dict (names → tensors), at the top or under ${STATE_DICT_KEYS.join(' / ')}`, got: keys });
}

export interface KeyRename {
  from: string;
  to: string;
  /** How many keys it renamed. */
  count: number;
}

export interface StateDictReport {
  architecture: TorchArchitecture;
  /** The prefix rules that applied, in order. */
  renames: KeyRename[];
  /** The expected tensors found, by the architecture's names. */
  tensors: Map<string, TorchTensorRef>;
  /** Expected keys absent from the checkpoint (architecture names). */
  missing: string[];
  /** Checkpoint keys the architecture does not have (as named in the file). */
  unexpected: string[];
  /** Training-only keys present and left out (as named in the file). */
  ignored: string[];
  shapeMismatches: { name: string; expected: number[]; got: number[] }[];
  /** No missing, unexpected or mis-shaped tensor. */
  complete: boolean;
}

function stripModule(names: string[], renames: KeyRename[]): string[] {
  let out = names;
  while (out.length && out.every((k) => k.startsWith('module.'))) {
    out = out.map((k) => k.slice('module.'.length));
    renames.push({ from: 'module.', to: '', count: out.length });
  }
  for (const p of BACKBONE_PREFIXES) {
    const inner = `${p}module.`;
    const count = p ? out.filter((k) => k.startsWith(inner)).length : 0;
    if (count && out.every((k) => !k.startsWith(p) || k.startsWith(inner))) {
      out = out.map((k) => (k.startsWith(inner) ? p + k.slice(inner.length) : k));
      renames.push({ from: inner, to: p, count });
    }
  }
  return out;
}

/**
 * The iResNet a state_dict holds, read from its keys and shapes: the backbone's prefix (after the `module.` rules)
 * and its layout (block counts, widths, embedding, input size). Undefined when no prefix holds an iResNet stem.
 */
export function stateDictLayout(tensors: ReadonlyMap<string, TorchTensorRef>): { prefix: string; layout: IResNetLayout } | undefined {
  const names = stripModule([...tensors.keys()], []);
  const prefix = BACKBONE_PREFIXES.find((p) => names.includes(`${p}conv1.weight`));
  if (prefix === undefined) return undefined;
  const shapes = new Map<string, number[]>();
  [...tensors.values()].forEach((t, i) => {
    if (names[i]!.startsWith(prefix)) shapes.set(names[i]!.slice(prefix.length), t.shape);
  });
  const layout = inferIResNetLayout(shapes);
  return layout && { prefix, layout };
}

/** Compare a state_dict with an architecture, after the prefix rules (see the module comment). */
export function matchStateDict(tensors: ReadonlyMap<string, TorchTensorRef>, arch: TorchArchitecture): StateDictReport {
  const original = [...tensors.keys()];
  const renames: KeyRename[] = [];
  let names = stripModule(original, renames);
  const present = new Set(names);
  const found = BACKBONE_PREFIXES.filter((p) => present.has(`${p}conv1.weight`));
  const from = found.includes(arch.backbonePrefix as never) ? arch.backbonePrefix : found[0];
  const to = arch.backbonePrefix;
  const renamed = new Array<boolean>(names.length).fill(false);
  if (from !== undefined && from !== to) {
    names = names.map((k, i) => {
      const isBackbone = from === '' ? IRESNET_MODULES.has(k.slice(0, k.indexOf('.'))) : k.startsWith(from);
      if (!isBackbone) return k;
      renamed[i] = true;
      return to + k.slice(from.length);
    });
    renames.push({ from, to, count: renamed.filter(Boolean).length });
  }

  const expected = expectedKeys(arch);
  const trainingOnly = new Set(arch.trainingOnly ?? []);
  const report: StateDictReport = { architecture: arch, renames, tensors: new Map(), missing: [], unexpected: [], ignored: [], shapeMismatches: [], complete: false };
  // a renamed backbone key wins over a key that already had that name (MagFace's classifier `fc.weight` against
  // the backbone's `features.fc.weight` renamed to `fc.weight`); the other is reported as unexpected
  const byName = new Map<string, string>();
  const clashes = new Set<number>();
  for (const pass of [true, false])
    names.forEach((n, i) => {
      if (renamed[i] !== pass) return;
      if (byName.has(n)) clashes.add(i);
      else byName.set(n, original[i]!);
    });
  const wanted = new Set<string>();
  for (const e of expected) {
    wanted.add(e.name);
    const key = byName.get(e.name);
    if (key === undefined) {
      if (!e.optional) report.missing.push(e.name);
      continue;
    }
    const t = tensors.get(key)!;
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) report.shapeMismatches.push({ name: e.name, expected: e.shape, got: t.shape });
    else report.tensors.set(e.name, t);
  }
  names.forEach((n, i) => {
    if (clashes.has(i)) report.unexpected.push(original[i]!);
    else if (!wanted.has(n)) (trainingOnly.has(n) ? report.ignored : report.unexpected).push(original[i]!);
  });
  report.complete = !report.missing.length && !report.unexpected.length && !report.shapeMismatches.length;
  return report;
}

const list = (xs: string[], max = 8) => `${xs.slice(0, max).join(', ')}${xs.length > max ? ` and ${xs.length - max} more` : ''}`;

/** One line per problem, naming the tensors (empty when the report is complete). */
export function describeReport(r: StateDictReport): string[] {
  const lines: string[] = [];
  if (r.missing.length) lines.push(`${r.missing.length} missing: ${list(r.missing)}`);
  if (r.unexpected.length) lines.push(`${r.unexpected.length} unexpected: ${list(r.unexpected)}`);
  for (const m of r.shapeMismatches.slice(0, 8)) lines.push(`${m.name}: shape [${m.got}] where ${r.architecture.name} has [${m.expected}]`);
  if (r.shapeMismatches.length > 8) lines.push(`and ${r.shapeMismatches.length - 8} more shape mismatches`);
  return lines;
}

/** Throw an InputError naming what is missing, unexpected or mis-shaped, unless the report is complete. */
export function assertStateDictMatches(r: StateDictReport, file: string): void {
  if (r.complete) return;
  const renamed = r.renames.length ? ` (after renaming ${r.renames.map((x) => `'${x.from}' → '${x.to}'`).join(', ')})` : '';
  throw new InputError({ file, expected: `the state_dict of ${r.architecture.name} (${r.architecture.description})${renamed}`, got: describeReport(r).join('; ') });
}

/**
 * The catalogue architectures a state_dict matches completely, with the backbone's widths and embedding taken from
 * the file; fewest renames first (a plain iResNet-100 also matches MagFace's layout after one rename, and no key
 * tells their BatchNorm eps apart, so both are returned and the caller names which one it is).
 */
export function matchingArchitectures(tensors: ReadonlyMap<string, TorchTensorRef>): StateDictReport[] {
  const layout = stateDictLayout(tensors)?.layout;
  if (!layout) return [];
  return (Object.keys(TORCH_ARCHITECTURES) as TorchArchitectureName[])
    .filter((n) => TORCH_ARCHITECTURES[n].backbone.layers.join() === layout.layers.join())
    .map((n) => matchStateDict(tensors, torchArchitecture(n, { widths: layout.widths, embedding: layout.embedding, inputSize: layout.inputSize })))
    .filter((r) => r.complete)
    .sort((a, b) => a.renames.length - b.renames.length);
}
