/** Method parameters: `key=value` strings from the command line, validated per method with defaults filled in. */
import { z, AikdError } from '@aikd/core';

/** `["T=50", "rescale=true"]` → `{ T: 50, rescale: true }` (numbers and booleans recognised, else strings). */
export function parseParamArgs(args: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new AikdError(`--param ${a}: expected key=value (e.g. T=50)`);
    const key = a.slice(0, eq).trim();
    const raw = a.slice(eq + 1).trim();
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

/** Validate `given` against a method's schema (unknown keys rejected, defaults filled); errors name the method and key. */
export function resolveParams<S extends z.ZodObject>(method: string, schema: S, given: Record<string, unknown> | undefined): z.output<S> {
  const res = schema.strict().safeParse(given ?? {});
  if (res.success) return res.data as z.output<S>;
  const known = Object.keys(schema.shape).join(', ');
  const iss = res.error.issues[0]!;
  const key = iss.path.length ? String(iss.path[0]) : undefined;
  if (iss.code === 'unrecognized_keys') throw new AikdError(`${method}: unknown parameter ${iss.keys.join(', ')} (parameters: ${known})`);
  throw new AikdError(`${method}: parameter ${key ?? '?'}: ${iss.message} (got ${JSON.stringify(key ? (given ?? {})[key] : given)})`);
}
