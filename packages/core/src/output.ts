/**
 * Output discipline for every command: machine-readable results on stdout (JSON with --json), everything
 * for humans (logs, warnings, progress) on stderr; progress bars only on a TTY and never in --json/--quiet mode.
 */
export interface OutputMode {
  json: boolean;
  quiet: boolean;
}

const mode: OutputMode = { json: false, quiet: false };

export function setOutputMode(m: Partial<OutputMode>): void {
  Object.assign(mode, m);
}

export function outputMode(): Readonly<OutputMode> {
  return mode;
}

export const log = {
  info(msg: string): void {
    if (!mode.quiet) process.stderr.write(msg + '\n');
  },
  warn(msg: string): void {
    process.stderr.write(`warning: ${msg}\n`);
  },
  debug(msg: string): void {
    if (process.env.AIKD_DEBUG) process.stderr.write(`debug: ${msg}\n`);
  },
};

/** Print a result: JSON on stdout in --json mode, else the human rendering (also on stdout). */
export function emit(data: unknown, human?: (data: unknown) => string): void {
  if (mode.json || !human) process.stdout.write(JSON.stringify(data) + '\n');
  else {
    const text = human(data);
    if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
}

export interface Progress {
  /** Advance by n items (default 1). */
  tick(n?: number): void;
  /** Change the total when it becomes known. */
  setTotal(total: number): void;
  /** Finish; prints a one-line summary unless quiet. */
  done(note?: string): void;
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return (h ? `${h}:${String(m).padStart(2, '0')}` : `${m}`) + `:${String(sec).padStart(2, '0')}`;
}

function fmtRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

/**
 * A progress indicator for long work: items done, rate, ETA. Draws a bar on stderr when stderr is a TTY and the
 * mode is neither --json nor --quiet; otherwise stays silent until `done()` (which is silent when quiet/json).
 */
export function progress(label: string, total?: number, opts: { stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const live = !!stream.isTTY && !mode.json && !mode.quiet && !process.env.CI;
  const start = performance.now();
  let done = 0;
  let lastDraw = 0;
  let tot = total;
  const draw = (force = false) => {
    if (!live) return;
    const now = performance.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const el = (now - start) / 1000;
    const rate = el > 0 ? done / el : 0;
    const width = 24;
    let line: string;
    if (tot && tot > 0) {
      const f = Math.min(1, done / tot);
      const fill = Math.round(f * width);
      const eta = rate > 0 ? (tot - done) / rate : Infinity;
      line = `${label} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${tot} ${fmtRate(rate)}/s ETA ${fmtDuration(eta)}`;
    } else line = `${label} ${done} ${fmtRate(rate)}/s ${fmtDuration(el)}`;
    const cols = stream.columns || 100;
    stream.write('\r' + line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 2)));
  };
  return {
    tick(n = 1) {
      done += n;
      draw();
    },
    setTotal(t) {
      tot = t;
      draw(true);
    },
    done(note) {
      const el = (performance.now() - start) / 1000;
      if (live) stream.write('\r\x1b[K');
      if (!mode.quiet && !mode.json)
        stream.write(`${label}: ${done} in ${el.toFixed(1)} s (${fmtRate(el > 0 ? done / el : 0)}/s)${note ? ' ' + note : ''}\n`);
    },
  };
}

/** A markdown table: a head row, the alignment row (the first `left` columns left-aligned, the rest right), the body. */
export function markdownTable(head: string[], body: string[][], left = 1): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < left ? '---' : '---:')).join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`)];
}

/** Render rows as an aligned text table (numbers right-aligned). */
export function textTable(rows: Record<string, unknown>[], columns?: string[]): string {
  if (!rows.length) return '(no rows)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown): string =>
    v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))) : typeof v === 'bigint' ? v.toString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((r) => r[i]!.length)));
  const numeric = cols.map((c) => rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  const fmt = (r: string[]) => r.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
}
