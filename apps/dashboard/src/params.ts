/**
 * Validation of query strings and path parameters. Every value that reaches a query goes through one of these
 * schemas and is then bound as a DuckDB parameter; only whitelisted identifiers (sort columns, view names) are
 * ever written into SQL text.
 */
import { z } from '@aikd/core';

/** An error the client caused (or a missing resource): sent as `{error}` with this status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Run ids as the results store makes them (letters, digits, `.`, `_`, `:`, `-`). */
const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
/** Dataset, model, method and condition names: letters and digits plus a few separators; no quotes or control characters. */
const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N} ()._:+@=/-]*$/u;
const MAX_NAME = 200;

export const runId = z.string().max(MAX_NAME).regex(RUN_ID_RE, 'a run id (letters, digits, ".", "_", ":" or "-")');
export const name = z.string().min(1).max(MAX_NAME).regex(NAME_RE, 'a name of letters, digits, spaces and ()._:+@=/-');
/** A name, or "" for results recorded without one (null in the tables). */
export const nameOrNone = z.union([z.literal(''), name]);
/** Free search text: any printable characters (it is only ever a bound parameter). */
export const searchText = z
  .string()
  .max(MAX_NAME)
  .regex(/^[^\p{Cc}]*$/u, 'printable text');

export const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,12}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const number = z
  .string()
  .regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'a number')
  .transform(Number)
  .pipe(z.number().finite());

export const flag = z.enum(['0', '1', 'true', 'false']).transform((s) => s === '1' || s === 'true');

/** Comma-separated names (`methods=serfiq,crfiqa`). */
export const nameList = (max: number) =>
  z
    .string()
    .max(max * (MAX_NAME + 1))
    .transform((s) => [...new Set(s.split(',').filter((x) => x !== ''))])
    .pipe(z.array(name).max(max));

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown parameter${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      const key = i.path.join('.');
      // zod's message for a repeated query parameter (an array) is about types; say what happened instead
      if (i.code === 'invalid_type' && i.expected === 'string') return `${key}: expected one value`;
      if (i.code === 'invalid_format') return `${key}: expected ${i.message}`;
      return `${key}: ${i.message}`;
    })
    .join('; ');
}

/** Parse a query object (or path parameters) with a strict schema; a mismatch is a 400 naming the parameter. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new ApiError(400, describe(r.error));
  return r.data;
}

/** A strict query schema: unknown parameters are an error, not silently ignored. */
export const query = <S extends z.ZodRawShape>(shape: S) => z.object(shape).strict();
