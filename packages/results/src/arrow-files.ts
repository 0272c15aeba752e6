import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as arrow from 'apache-arrow';
import { InputError, fileHash, flushFileHashes, rememberFileHash, sha256Hex, writeFileAtomic } from '@aikd/core';
import { completeProvenance, provenanceMetadata, PROVENANCE_KEY, type Provenance, type ProvenanceInput } from './provenance.ts';

type ParquetWasm = typeof import('parquet-wasm/node');
let pqModule: ParquetWasm | undefined;
function pq(): ParquetWasm {
  // parquet-wasm's node build is CommonJS; load it once, lazily (the wasm module is ~5 MB).
  return (pqModule ??= createRequire(import.meta.url)('parquet-wasm/node') as ParquetWasm);
}

/** The same table with provenance (and any extra metadata) in its schema metadata. */
export function withMetadata(table: arrow.Table, metadata: Map<string, string>): arrow.Table {
  const merged = new Map([...table.schema.metadata, ...metadata]);
  const schema = new arrow.Schema(table.schema.fields, merged);
  return new arrow.Table(schema, table.batches.map((b) => new arrow.RecordBatch(schema, b.data)));
}

export interface WrittenResult {
  arrow: string;
  parquet: string;
  rows: number;
  provenance: Provenance;
  /** SHA-256 of the bytes written, recorded so a file changed outside the workbench is never trusted. */
  sha256: { arrow: string; parquet: string };
}

/**
 * Write a result table as an Arrow IPC file (the result format) and a Parquet twin beside it (what DuckDB reads:
 * its Arrow extension cannot be installed offline). Both carry the provenance; both are written atomically,
 * Parquet first, so a reader never sees an Arrow file without its twin.
 */
export function writeResultTable(arrowPath: string, table: arrow.Table, provenance: ProvenanceInput): WrittenResult {
  if (!arrowPath.endsWith('.arrow')) throw new Error(`writeResultTable: path must end in .arrow (got ${arrowPath})`);
  const prov = completeProvenance(provenance);
  const meta = provenanceMetadata(prov);
  const t = withMetadata(table, meta);
  const parquetPath = arrowPath.replace(/\.arrow$/, '.parquet');
  const p = pq();
  const wasmTable = p.Table.fromIPCStream(arrow.tableToIPC(t, 'stream'));
  const props = new p.WriterPropertiesBuilder()
    .setCompression(p.Compression.ZSTD)
    .setMaxRowGroupSize(1 << 20)
    .setKeyValueMetadata(meta)
    .build();
  const parquetBytes = p.writeParquet(wasmTable, props);
  const arrowBytes = arrow.tableToIPC(t, 'file');
  const sha256 = { arrow: sha256Hex(arrowBytes), parquet: sha256Hex(parquetBytes) };
  writeFileAtomic(parquetPath, parquetBytes);
  writeFileAtomic(arrowPath, arrowBytes);
  rememberFileHash(parquetPath, sha256.parquet);
  rememberFileHash(arrowPath, sha256.arrow);
  flushFileHashes();
  return { arrow: arrowPath, parquet: parquetPath, rows: t.numRows, provenance: prov, sha256 };
}

/**
 * Caches (embeddings, scores) are result tables too, reused across experiments: each is written with its hash in a
 * `<file>.sha256` beside it, and read back only when the file still has that hash. A missing, truncated or modified
 * cache file is a miss (recomputed), never a wrong number.
 */
export function writeCachedTable(arrowPath: string, table: arrow.Table, provenance: ProvenanceInput): WrittenResult {
  const w = writeResultTable(arrowPath, table, provenance);
  writeFileAtomic(`${arrowPath}.sha256`, `${w.sha256.arrow}\n`);
  return w;
}

export function readCachedTable(arrowPath: string): { table: arrow.Table; provenance: Provenance | undefined } | undefined {
  try {
    if (!existsSync(arrowPath)) return undefined;
    const want = readFileSync(`${arrowPath}.sha256`, 'utf8').trim();
    if (fileHash(arrowPath) !== want) return undefined;
    return readResultTable(arrowPath);
  } catch {
    return undefined;
  }
}

/** Read an Arrow IPC file (file or stream format) and its provenance. */
export function readResultTable(path: string): { table: arrow.Table; provenance: Provenance | undefined } {
  if (!existsSync(path)) throw new InputError({ file: path, expected: 'an existing Arrow file' });
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(readFileSync(path));
  } catch (e) {
    throw new InputError({ file: path, expected: 'an Arrow IPC file', got: (e as Error).message });
  }
  return { table, provenance: provenanceOf(table) };
}

export function provenanceOf(table: arrow.Table): Provenance | undefined {
  const raw = table.schema.metadata.get(PROVENANCE_KEY);
  return raw ? (JSON.parse(raw) as Provenance) : undefined;
}

/** Read a Parquet file into an Arrow table (through parquet-wasm). */
export function readParquetTable(path: string): arrow.Table {
  if (!existsSync(path)) throw new InputError({ file: path, expected: 'an existing Parquet file' });
  try {
    return arrow.tableFromIPC(pq().readParquet(readFileSync(path)).intoIPCStream());
  } catch (e) {
    throw new InputError({ file: path, expected: 'a Parquet file', got: (e as Error).message });
  }
}
