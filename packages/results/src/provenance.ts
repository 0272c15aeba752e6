import { codeVersion } from '@aikd/core';

/**
 * What every result file records about where it came from. Stored in the Arrow schema metadata (and the Parquet
 * key-value metadata) as JSON under `aikd.provenance`, and flat as `aikd.<field>` for tools that read one key.
 */
export interface Provenance {
  /** Result kind, also the catalogue view name: `edc_points`, `edc_summary`, `scores`, `embeddings`, … */
  kind: string;
  run_id: string;
  method?: string;
  fr_model?: string;
  alignment?: string;
  dataset?: string;
  seed?: number;
  config_hash: string;
  code_version: string;
  created_at: string;
  /** The resolved parameters of the step that made the file. */
  params?: Record<string, unknown>;
}

export type ProvenanceInput = Omit<Provenance, 'code_version' | 'created_at'> & Partial<Pick<Provenance, 'code_version' | 'created_at'>>;

export const PROVENANCE_KEY = 'aikd.provenance';

export function completeProvenance(p: ProvenanceInput): Provenance {
  return { ...p, code_version: p.code_version ?? codeVersion(), created_at: p.created_at ?? new Date().toISOString() };
}

export function provenanceMetadata(p: Provenance): Map<string, string> {
  const m = new Map<string, string>([[PROVENANCE_KEY, JSON.stringify(p)]]);
  for (const [k, v] of Object.entries(p)) if (v !== undefined && k !== 'params') m.set(`aikd.${k}`, String(v));
  return m;
}
