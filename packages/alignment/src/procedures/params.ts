import { AikdError } from '@aikd/core';
import { detectorNames, type DetectorName } from '../types.ts';

/** Reads one procedure's parameters: defaults filled in, unknown keys and wrong types rejected with a clear error. */
export function readParams<T extends Record<string, number | string>>(procedure: string, given: Record<string, unknown>, defaults: T, checks: Partial<Record<keyof T, (v: never) => string | undefined>> = {}): T {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (!(k in defaults)) throw new AikdError(`procedure ${procedure}: unknown parameter "${k}" (expected ${Object.keys(defaults).join(', ') || 'none'})`, 'BAD_PARAMS');
    const want = typeof defaults[k];
    const val = want === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    if (typeof val !== want || (want === 'number' && !Number.isFinite(val))) throw new AikdError(`procedure ${procedure}: parameter "${k}" must be a ${want} (got ${JSON.stringify(v)})`, 'BAD_PARAMS');
    const problem = checks[k]?.(val as never);
    if (problem) throw new AikdError(`procedure ${procedure}: parameter "${k}" ${problem} (got ${JSON.stringify(v)})`, 'BAD_PARAMS');
    out[k] = val;
  }
  return out as T;
}

export const nonNegative = (v: number) => (v >= 0 ? undefined : 'must be ≥ 0');
export const positive = (v: number) => (v > 0 ? undefined : 'must be > 0');
export const detectorName = (v: string) => ((detectorNames as readonly string[]).includes(v) ? undefined : `must be one of ${detectorNames.join(', ')}`);
export type { DetectorName };
