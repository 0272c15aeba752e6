/**
 * Errors the user can act on. `message` is one line that names the file, the place in it (line, record,
 * key path) and what was expected; the CLI prints it without a stack trace.
 */
export class AikdError extends Error {
  readonly code: string;
  constructor(message: string, code = 'AIKD_ERROR', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AikdError';
    this.code = code;
  }
}

/** Bad input data: `file` (and `where`, e.g. "line 12" or "record 3, key 'mated'") did not hold what was expected. */
export class InputError extends AikdError {
  readonly file: string | undefined;
  readonly where: string | undefined;
  constructor(opts: { file?: string; where?: string; expected: string; got?: string }, options?: { cause?: unknown }) {
    const place = [opts.file, opts.where].filter(Boolean).join(', ');
    const got = opts.got !== undefined ? ` (got ${opts.got})` : '';
    super(`${place ? place + ': ' : ''}expected ${opts.expected}${got}`, 'INPUT_ERROR', options);
    this.name = 'InputError';
    this.file = opts.file;
    this.where = opts.where;
  }
}

/** Something the workbench needs is not on this machine (a model file, a dataset, a native backend). */
export class MissingResourceError extends AikdError {
  constructor(message: string) {
    super(message, 'MISSING_RESOURCE');
    this.name = 'MissingResourceError';
  }
}

/** Short printable form of any value for error messages (`got …`). */
export function describeValue(v: unknown, max = 40): string {
  let s: string;
  if (typeof v === 'string') s = JSON.stringify(v);
  else if (v === undefined) s = 'nothing';
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** One line for the user: the message of an AikdError, or the class and message of anything else. */
export function errorLine(e: unknown): string {
  if (e instanceof AikdError) return e.message.split('\n')[0]!;
  if (e instanceof Error) return `${e.name}: ${e.message.split('\n')[0]}`;
  return String(e);
}
