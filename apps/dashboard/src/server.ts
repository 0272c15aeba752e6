/** Start the dashboard on a port: `serve()` is what `aikd serve` runs; tests use `createApp` or `serve({port: 0})`. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { AikdError } from '@aikd/core';
import { createApp } from './app.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from './constants.ts';
import type { DashboardOptions } from './types.ts';

export interface ServeOptions extends DashboardOptions {
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
}

export interface RunningDashboard {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1', '[::1]'];

export async function serve(opts: ServeOptions = {}): Promise<RunningDashboard> {
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  // bound to loopback, answer only to loopback names (a page elsewhere cannot read results via DNS rebinding)
  const allowedHosts = opts.allowedHosts ?? (LOOPBACK.includes(host) || host.startsWith('127.') ? [...LOOPBACK, host] : undefined);
  const app = createApp({ ...opts, allowedHosts });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  }).catch(async (e: NodeJS.ErrnoException) => {
    await app.close();
    if (e.code === 'EADDRINUSE') throw new AikdError(`port ${port} on ${host} is in use: give another with --port`);
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new AikdError(`--host ${host}: not an address of this machine`);
    throw e;
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}/`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
