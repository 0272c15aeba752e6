/** Test helper: the app listening on an ephemeral loopback port, and a small `fetch` wrapper. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../src/index.ts';
import type { DashboardOptions } from '../src/index.ts';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (undefined when the body is not JSON). */
  body: any;
}

export interface TestServer {
  url: string;
  get(path: string, init?: RequestInit): Promise<Reply>;
  close(): Promise<void>;
}

export async function startApp(options: DashboardOptions): Promise<TestServer> {
  const app = createApp(options);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async get(path, init) {
      const res = await fetch(url + path, init);
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, headers: res.headers, text, body };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await app.close();
    },
  };
}
