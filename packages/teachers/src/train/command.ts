/** `aikd method train`: the YAML config, the optional identity-disjoint test split, and the summary it prints. */
import { z, AikdError, loadYamlConfig } from '@aikd/core';

const configSchema = z
  .object({
    method: z.string().optional(),
    dataset: z.string().optional(),
    fr_model: z.string().optional(),
    seed: z.union([z.number().int(), z.string()]).optional(),
    /** Fraction of identities held out for evaluation. */
    test_identities: z.number().gt(0).lt(1).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type MethodTrainConfig = z.output<typeof configSchema>;

export function loadMethodTrainConfig(file: string): MethodTrainConfig {
  return loadYamlConfig(file, configSchema);
}

export interface MethodTrainCommandRequest {
  method: string;
  dataset: string;
  frModel?: string;
  params: Record<string, unknown>;
  seed: number | string;
  testIdentities?: number;
}

export async function runMethodTrain(r: MethodTrainCommandRequest): Promise<Record<string, unknown> & { run_id: string; method_id: string }> {
  if (r.testIdentities !== undefined && !(r.testIdentities > 0 && r.testIdentities < 1))
    throw new AikdError(`--test-identities: expected a fraction in (0, 1) (got ${r.testIdentities})`);
  const { openDataset, splitByIdentity } = await import('@aikd/datasets');
  const { trainMethod } = await import('./trainer.ts');
  const ds = await openDataset(r.dataset);
  try {
    const split = r.testIdentities ? splitByIdentity(ds, { testFraction: r.testIdentities, seed: r.seed }) : undefined;
    const t = await trainMethod(r.method, { dataset: split?.train ?? ds, frModel: r.frModel ?? (await import('../constants.ts')).DEFAULT_FR_MODEL, params: r.params, seed: r.seed, testIdentities: split?.testIdentities });
    return { run_id: t.runId, method_id: t.methodId, test_identities: split?.testIdentities.length ?? 0, ...t.summary };
  } finally {
    await ds.close();
  }
}
