/**
 * The dashboard as an Express 5 app: a read-only JSON API over the results catalogue, the single-page front-end
 * (public/), and vega / vega-lite / vega-embed served from node_modules (the machines are offline: no CDN).
 */
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { AikdError, errorLine, log, resolveFromRoot, resultsDir as defaultResultsDir } from '@aikd/core';
import { readPaperReference, PAPER_PAUC_CSV } from '@aikd/edc';
import { DEFAULT_REFRESH_MS } from './constants.ts';
import { ApiError } from './params.ts';
import { createStore } from './store.ts';
import { getRun, listRuns, overview } from './api/runs.ts';
import { edcCurves, edcOptions } from './api/edc.ts';
import { paucCsv, paucCsvName, paucTable } from './api/pauc.ts';
import { runMetrics } from './api/training.ts';
import { compareRuns } from './api/compare.ts';
import { sensitivity, sensitivityOptions } from './api/sensitivity.ts';
import { agreement } from './api/agreement.ts';
import { ID_LABELS, type ApiContext, type DashboardOptions } from './types.ts';

export type DashboardApp = Express & {
  /** Close the catalogue (the DuckDB instance). */
  close(): Promise<void>;
};

const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

/** The browser builds of vega, vega-lite and vega-embed (UMD; globals `vega`, `vegaLite`, `vegaEmbed`). */
function vendorFiles(): Record<string, string> {
  const buildDir = (pkg: string) => dirname(fileURLToPath(import.meta.resolve(pkg)));
  return {
    'vega.min.js': join(buildDir('vega'), 'vega.min.js'),
    'vega-lite.min.js': join(buildDir('vega-lite'), 'vega-lite.min.js'),
    'vega-embed.min.js': join(buildDir('vega-embed'), 'vega-embed.min.js'),
  };
}

/** Page scripts come from this server only; vega compiles its expressions with `Function`, hence 'unsafe-eval'. */
const CSP = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'";

/**
 * A message without this machine's absolute paths: the results folder becomes `results/…`, any other absolute
 * path its last component (`…/name`).
 */
export function hidePaths(message: string, resultsDir: string): string {
  const root = resultsDir.replace(/[\\/]+$/, '');
  const m = root ? message.split(root + sep).join('results/').split(root).join('results') : message;
  return m.replace(/(?<![\w.~])(?:[A-Za-z]:)?[\\/](?:[^\s'"`,;()[\]{}<>\\/]+[\\/])+([^\s'"`,;()[\]{}<>\\/]*)/g, (_p, last: string) => `…/${last}`);
}

export function createApp(options: DashboardOptions = {}): DashboardApp {
  const store = createStore(options.resultsDir ?? defaultResultsDir(), options.refreshMs ?? DEFAULT_REFRESH_MS);
  const ctx: ApiContext = { store, reference: readPaperReference(options.referenceCsv ?? resolveFromRoot(PAPER_PAUC_CSV)), labels: options.labels ?? ID_LABELS };
  const vendor = vendorFiles();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const allowed = options.allowedHosts && new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  app.use((req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Content-Security-Policy': CSP });
    if (allowed) {
      const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
      if (!allowed.has(host)) return void res.status(403).json({ error: `host "${host}" not allowed` });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.status(405).set('Allow', 'GET, HEAD').json({ error: 'the dashboard is read-only: only GET' });
    next();
  });

  const api = express.Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  const json = (handler: (req: Request) => Promise<unknown>) => async (req: Request, res: Response) => {
    res.json(await handler(req));
  };
  api.get('/overview', json(() => overview(ctx)));
  api.get('/methods', json(async () => ({ methods: ctx.labels.methods() })));
  api.get('/runs', json((req) => listRuns(ctx, req.query)));
  api.get('/runs/:id', json((req) => getRun(ctx, req.params)));
  api.get('/runs/:id/metrics', json((req) => runMetrics(ctx, req.params, req.query)));
  api.get('/edc/options', json((req) => edcOptions(ctx, req.query)));
  api.get('/edc', json((req) => edcCurves(ctx, req.query)));
  api.get('/pauc', async (req, res) => {
    const table = await paucTable(ctx, req.query);
    if (table.format === 'csv') res.type('text/csv').attachment(paucCsvName(table)).send(paucCsv(table));
    else res.json(table);
  });
  api.get('/compare', json((req) => compareRuns(ctx, req.query)));
  api.get('/agreement', json((req) => agreement(ctx, req.query)));
  api.get('/sensitivity/options', json((req) => sensitivityOptions(ctx, req.query)));
  api.get('/sensitivity', json((req) => sensitivity(ctx, req.query)));
  api.use((req, res) => void res.status(404).json({ error: `no API endpoint ${req.path}` }));
  app.use('/api', api);

  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  app.get('/vendor/:file', (req, res) => {
    // own keys only: `constructor`, `__proto__`, `toString` are not vendor files
    const file = Object.hasOwn(vendor, req.params.file) ? vendor[req.params.file] : undefined;
    if (!file) return void res.status(404).json({ error: `no vendor file ${req.params.file}` });
    res.sendFile(file, { maxAge: '1h', dotfiles: 'allow' }); // pnpm keeps packages under node_modules/.pnpm
  });
  app.use(express.static(publicDir, { index: 'index.html', maxAge: 0 }));
  app.use((req, res) => void res.status(404).json({ error: `not found: ${req.path}` }));

  // Errors: the client's (ApiError, or Express's own 4xx such as a malformed URL) with their status; anything else
  // is logged and answered with one line, never a stack trace.
  // The answers never hold an absolute path of this machine (the log does).
  const hide = (message: string) => hidePaths(message, store.resultsDir);
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) return void res.status(err.status).json({ error: hide(err.message) });
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return void res.status(status).json({ error: hide(errorLine(err).replace(/^\w*Error: /, '')) });
    log.warn(`dashboard: ${req.method} ${req.originalUrl}: ${errorLine(err)}`);
    res.status(500).json({ error: err instanceof AikdError ? hide(errorLine(err)) : 'internal error (see the server log)' });
  });

  return Object.assign(app, { close: () => store.close() });
}
