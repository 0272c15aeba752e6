import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { InputError } from '@aikd/core';
import { INPUT_FORMATS } from '../constants.ts';
import type { InputFormat, LoadedComparisons } from '../types.ts';

const BY_EXTENSION: Record<string, InputFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.arrow': 'arrow',
  '.arrows': 'arrow',
  '.ipc': 'arrow',
  '.feather': 'arrow',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.json': 'dasec-json',
};

/** The input format named by a file's extension. */
export function formatOf(file: string): InputFormat {
  const f = BY_EXTENSION[extname(file).toLowerCase()];
  if (!f) throw new InputError({ file, expected: `an extension .csv, .tsv, .arrow, .parquet or .json, or --format ${INPUT_FORMATS.join('|')}` });
  return f;
}

/**
 * Read the comparisons of a file, one comparison set per method (`method` column, or each algorithm of a
 * dasec JSON file). `format` overrides the extension.
 */
export async function readComparisons(file: string, format?: InputFormat): Promise<LoadedComparisons> {
  if (format !== undefined && !INPUT_FORMATS.includes(format)) throw new InputError({ file, expected: `--format ${INPUT_FORMATS.join('|')}`, got: format });
  if (!existsSync(file)) throw new InputError({ file, expected: 'an existing file' });
  if (!statSync(file).isFile()) throw new InputError({ file, expected: 'a file, not a directory' });
  const f = format ?? formatOf(file);
  switch (f) {
    case 'csv':
      return (await import('./csv.ts')).readCsvComparisons(file);
    case 'arrow':
      return (await import('./arrow.ts')).readArrowComparisons(file);
    case 'parquet':
      return (await import('./arrow.ts')).readParquetComparisons(file);
    case 'dasec-json':
      return (await import('./dasec.ts')).readDasecJson(file);
  }
}

export { comparisonsFromTable } from './arrow.ts';
export { INPUT_COLUMNS } from './columns.ts';
