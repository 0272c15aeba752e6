/**
 * datasets.yaml: loading, finding entries, resolving their paths against AIKD_DATA / AIKD_HOME, and reading
 * format options with errors that name the entry and key.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { AikdError, resolveFromRoot, ConfigError, InputError, aikdHome, dataRoot, datasetEntrySchema, datasetsFileSchema, describeValue, loadYamlConfig, workspaceRoot } from '@aikd/core';
import type { DatasetEntry, DatasetsFile } from '@aikd/core';
import { AIKD_DATA_PREFIX, AIKD_HOME_PREFIX, DATASETS_FILE } from './constants.ts';

export interface LoadedDatasetsConfig extends DatasetsFile {
  /** The file it came from (for messages). */
  file: string;
}

/** The default registry: `<workspace>/datasets.yaml`. */
/** `AIKD_DATASETS` (another datasets.yaml, e.g. on a cluster), else `<workspace>/datasets.yaml`. */
export function defaultDatasetsFile(): string {
  return process.env.AIKD_DATASETS ? resolveFromRoot(process.env.AIKD_DATASETS) : join(workspaceRoot, DATASETS_FILE);
}

/** Read and validate datasets.yaml (errors name the line and key path). */
export function loadDatasetsConfig(file: string = defaultDatasetsFile()): LoadedDatasetsConfig {
  const parsed = loadYamlConfig(file, datasetsFileSchema);
  return { ...parsed, file };
}

/** Accept a loaded config, a path to one, or nothing (the default file). */
export function resolveConfig(config?: DatasetsFile | string): LoadedDatasetsConfig {
  if (config === undefined || typeof config === 'string') return loadDatasetsConfig(config);
  return { file: (config as Partial<LoadedDatasetsConfig>).file ?? '(datasets config)', ...config };
}

export function findEntry(config: LoadedDatasetsConfig, name: string): DatasetEntry {
  const entry = config.datasets.find((d) => d.name === name);
  if (!entry) {
    const names = config.datasets.map((d) => d.name).join(', ');
    throw new AikdError(`${config.file}: no dataset named "${name}" (known: ${names || 'none'})`, 'UNKNOWN_DATASET');
  }
  return entry;
}

/** Validate and default a raw entry (as written in YAML), e.g. one built by a test or another package. */
export function parseDatasetEntry(raw: unknown, file = '(dataset entry)'): DatasetEntry {
  const res = datasetEntrySchema.safeParse(raw);
  if (res.success) return res.data;
  throw new ConfigError(file, res.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`));
}

/**
 * Where a datasets.yaml path points: `$AIKD_HOME/…` inside the workbench state folder, absolute paths as they
 * are, anything else relative to the data root (AIKD_DATA, default ./data).
 */
export function resolveDataPath(p: string, root: string = dataRoot()): string {
  if (p.startsWith(AIKD_HOME_PREFIX)) return join(aikdHome(), p.slice(AIKD_HOME_PREFIX.length));
  if (p.startsWith(AIKD_DATA_PREFIX)) return join(root, p.slice(AIKD_DATA_PREFIX.length));
  if (isAbsolute(p)) return p;
  return resolve(root, p);
}

/** Typed reads of `options:` with errors naming datasets.yaml, the entry and the key. */
export interface OptionReader {
  int(key: string, fallback: number, min?: number): number;
  optionalInt(key: string, min?: number): number | undefined;
  string(key: string, fallback: string): string;
  choice<T extends string>(key: string, choices: readonly T[], fallback: T): T;
  intOrChoice<T extends string>(key: string, choices: readonly T[], fallback: T | number, min?: number): T | number;
  intList(key: string): number[] | undefined;
  /** Keys present but never read: typos in datasets.yaml. */
  unknownKeys(): string[];
}

export function optionReader(entry: DatasetEntry, file: string): OptionReader {
  const opts = entry.options ?? {};
  const used = new Set<string>();
  const fail = (key: string, expected: string): never => {
    throw new InputError({ file, where: `dataset "${entry.name}", options.${key}`, expected, got: describeValue(opts[key]) });
  };
  const has = (key: string) => {
    used.add(key);
    return opts[key] !== undefined && opts[key] !== null;
  };
  const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
  return {
    int(key, fallback, min = 0) {
      if (!has(key)) return fallback;
      return isInt(opts[key], min) ? (opts[key] as number) : fail(key, `an integer >= ${min}`);
    },
    optionalInt(key, min = 0) {
      if (!has(key)) return undefined;
      return isInt(opts[key], min) ? (opts[key] as number) : fail(key, `an integer >= ${min}`);
    },
    string(key, fallback) {
      if (!has(key)) return fallback;
      return typeof opts[key] === 'string' ? (opts[key] as string) : fail(key, 'a string');
    },
    choice(key, choices, fallback) {
      if (!has(key)) return fallback;
      return choices.includes(opts[key] as never) ? (opts[key] as (typeof choices)[number]) : fail(key, `one of ${choices.join(', ')}`);
    },
    intOrChoice(key, choices, fallback, min = 0) {
      if (!has(key)) return fallback;
      const v = opts[key];
      if (isInt(v, min)) return v as number;
      return choices.includes(v as never) ? (v as (typeof choices)[number]) : fail(key, `an integer >= ${min} or one of ${choices.join(', ')}`);
    },
    intList(key) {
      if (!has(key)) return undefined;
      const v = opts[key];
      return Array.isArray(v) && v.every((x) => isInt(x, 0)) ? (v as number[]) : fail(key, 'a list of integers');
    },
    unknownKeys() {
      return Object.keys(opts).filter((k) => !used.has(k));
    },
  };
}
