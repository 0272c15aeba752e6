import { intArg, type Command } from '@aikd/core/cli';
import { DEFAULT_HOST, DEFAULT_PORT } from './constants.ts';
import type { DashboardLabels } from './types.ts';

/** `aikd serve`: the dashboard; `labels` come from the workbench's catalogues (the CLI's composition root). */
export function register(program: Command, opts: { labels?: DashboardLabels } = {}): void {
  program
    .command('serve')
    .description('open the dashboard: runs, EDC curves, pAUC tables, training, sensitivity (read-only, in the browser)')
    .option('--port <n>', `port (default ${DEFAULT_PORT}; 0 picks a free one)`, intArg('--port', 0))
    .option('--host <address>', `address to bind (default ${DEFAULT_HOST}, this machine only)`)
    .option('--results <dir>', 'results folder (default: AIKD_RESULTS or ./results)')
    .action(async (o: { port?: number; host?: string; results?: string }) => {
      const { log, resolveFromRoot, resultsDir } = await import('@aikd/core');
      const { serve } = await import('./server.ts');
      const results = o.results ? resolveFromRoot(o.results) : resultsDir();
      const running = await serve({ port: o.port, host: o.host, resultsDir: results, labels: opts.labels });
      log.info(`dashboard at ${running.url} (results: ${results}; Ctrl-C stops it)`);
      if (o.host && o.host !== DEFAULT_HOST) log.warn(`--host ${o.host}: the dashboard has no authentication; anyone who can reach this address can read the results`);
      await new Promise<void>((resolve) => {
        const stop = () => void running.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
