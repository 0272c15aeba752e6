/** Empty and changing results folders, server-side failures, and `serve()` (loopback binding, Host check, busy port). */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Run } from '@aikd/results';
import { computeEdc, edcTables } from '@aikd/edc';
import { serve, EMPTY_HINT } from '../src/index.ts';
import { hidePaths } from '../src/app.ts';
import { startApp, type TestServer } from './http.ts';

const servers: { close(): Promise<void> }[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(root: string, refreshMs = 0): Promise<TestServer> {
  const s = await startApp({ resultsDir: root, refreshMs });
  servers.push(s);
  return s;
}

const tmp = (label: string) => {
  const d = mkdtempSync(join(tmpdir(), `aikd-dashboard-${label}-`));
  dirs.push(d);
  return d;
};

describe('an empty results folder', () => {
  it('answers every view with an empty state and the command to run', async () => {
    const srv = await start(join(tmp('empty'), 'does-not-exist-yet'));
    const overview = (await srv.get('/api/overview')).body;
    expect(overview).toMatchObject({ runs: 0, experiments: 0, result_kinds: [], has: { edc: false, sensitivity: false, metrics: false }, empty_hint: EMPTY_HINT });
    expect(EMPTY_HINT).toContain('pnpm aikd run experiments/quickstart.yaml');
    expect((await srv.get('/api/runs')).body).toMatchObject({ runs: [], total: 0, kinds: [], statuses: [] });
    expect((await srv.get('/api/runs?has_metrics=1')).body.total).toBe(0);
    for (const path of ['/api/edc/options', '/api/edc?dataset=lfw&fr_model=adaface&condition=proper', '/api/pauc', '/api/sensitivity/options', '/api/sensitivity?dataset=lfw&fr_model=adaface']) {
      const r = await srv.get(path);
      expect(r.status, path).toBe(200);
      expect(r.body, path).toMatchObject({ empty: true, empty_hint: EMPTY_HINT });
    }
  });

  it('shows runs written after the server started (views refreshed)', async () => {
    const root = tmp('grow');
    const srv = await start(root);
    expect((await srv.get('/api/edc/options')).body.empty).toBe(true);
    const set = { similarity: Float64Array.from([0.9, 0.2, 0.8, 0.1, 0.7, 0.3]), mated: Uint8Array.from([1, 1, 1, 0, 0, 0]), pairQuality: Float64Array.from([3, 1, 2, 1, 2, 3]) };
    const r = computeEdc(set, { operatingPoint: { kind: 'threshold', value: 0.5 }, discardLimits: [0.5] }, 'toy');
    const run = Run.create({ kind: 'edc', params: {}, root });
    const { points, summary } = edcTables([r], { dataset: 'demo', fr_model: 'mobileface', condition: 'proper' });
    run.writeTable('edc_points', points, {});
    run.writeTable('edc_summary', summary, {});
    run.finish();
    expect((await srv.get('/api/overview')).body.runs).toBe(1);
    const o = (await srv.get('/api/edc/options')).body;
    expect(o).toMatchObject({ empty: false, datasets: ['demo'], methods: ['toy'], settings: [{ op: 'threshold', op_value: 0.5 }] });
    const c = (await srv.get('/api/edc?dataset=demo&fr_model=mobileface&condition=proper&op=threshold&op_value=0.5')).body.curves;
    // hand-computed: mated similarities 0.9 (q 3), 0.2 (q 1), 0.8 (q 2) at threshold 0.5 → FNMR 1/3, 0 after dropping q 1
    expect(c.map((x: { method: string; error_at_0: number }) => [x.method, x.error_at_0])).toEqual([['toy', 1 / 3]]);
  });
});

describe('server-side failures', () => {
  it('leaves out an unreadable result file and lists it, without failing the other views', async () => {
    const root = tmp('broken');
    const dir = join(root, 'runs', 'edc-broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ id: 'edc-broken', kind: 'edc', status: 'completed', params: {}, started_at: new Date().toISOString(), artifacts: [] }));
    writeFileSync(join(dir, 'edc_summary.parquet'), 'this is not parquet');
    const srv = await start(root);
    const edc = await srv.get('/api/edc/options');
    expect(edc.status).toBe(200);
    expect(edc.body.empty).toBe(true);
    const overview = (await srv.get('/api/overview')).body;
    expect(overview.skipped_files).toHaveLength(1);
    expect(overview.skipped_files[0]).toMatch(/edc-broken\/edc_summary\.parquet: .*magic bytes/);
    expect((await srv.get('/api/runs')).body.runs.map((x: { id: string }) => x.id)).toEqual(['edc-broken']);
  });

  it('skips a malformed run.json with a note naming it, and keeps every other run', async () => {
    const root = tmp('malformed');
    const dir = join(root, 'runs', 'r-malformed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.json'), '{"id": "r-malformed", "kind": ');
    const good = Run.create({ kind: 'edc', params: {}, root });
    good.finish();
    const srv = await start(root);
    const r = await srv.get('/api/runs');
    expect(r.status).toBe(200);
    expect(r.body.runs.map((x: { id: string }) => x.id)).toEqual([good.id]);
    const skipped = (await srv.get('/api/overview')).body.skipped_files as string[];
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/^runs\/r-malformed\/run\.json: expected a run record \(JSON\)/);
    // fixed on disk → back on the next request
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ id: 'r-malformed', kind: 'edc', status: 'completed', params: {}, started_at: new Date().toISOString(), artifacts: [] }));
    expect((await srv.get('/api/runs')).body.runs.map((x: { id: string }) => x.id).sort()).toEqual([good.id, 'r-malformed'].sort());
  });

  it('answers a server-side failure with one JSON line and a 500: no stack trace, no absolute path', async () => {
    const root = tmp('gone');
    const run = Run.create({ kind: 'edc', params: {}, root });
    const set = { similarity: Float64Array.from([0.9, 0.2, 0.1]), mated: Uint8Array.from([1, 1, 0]), qualityA: Float64Array.from([3, 1, 2]), qualityB: Float64Array.from([3, 1, 2]) };
    const { points, summary } = edcTables([computeEdc(set, { operatingPoint: { kind: 'threshold', value: 0.5 } }, 'toy')], { dataset: 'demo', fr_model: 'mobileface', condition: 'proper' });
    run.writeTable('edc_points', points, {});
    run.writeTable('edc_summary', summary, {});
    run.finish();
    const srv = await start(root, 3_600_000); // the views are not rebuilt: the file breaks under them
    expect((await srv.get('/api/edc/options')).status).toBe(200);
    writeFileSync(join(run.dir, 'edc_summary.parquet'), 'damaged after the catalogue was built');
    const r = await srv.get('/api/edc/options');
    expect(r.status).toBe(500);
    expect(r.body.error).toMatch(/edc_summary\.parquet/);
    expect(r.text).not.toContain(root);
    expect(r.text).not.toMatch(/\/tmp\/|\\n|\bat .*\(|\.ts:\d+/);
  });
});

/** GET with a chosen Host header (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hidePaths', () => {
  it('turns the results folder into results/… and any other absolute path into its last part', () => {
    expect(hidePaths(`could not read /srv/r/runs/x/edc_summary.parquet: bad (file '/srv/r/runs/x/edc_summary.parquet')`, '/srv/r')).toBe(
      `could not read results/runs/x/edc_summary.parquet: bad (file 'results/runs/x/edc_summary.parquet')`,
    );
    expect(hidePaths('model /home/alice/weights/adaface.onnx, data C:\\data\\lfw\\pairs.txt', '/srv/r')).toBe('model …/adaface.onnx, data …/pairs.txt');
    expect(hidePaths('no run "abc" (see `aikd runs`), 3 of 4 ok', '/srv/r')).toBe('no run "abc" (see `aikd runs`), 3 of 4 ok');
  });
});

describe('serve()', () => {
  it('binds to 127.0.0.1 by default and answers only to loopback host names', async () => {
    const running = await serve({ port: 0, resultsDir: tmp('serve') });
    servers.push(running);
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = new URL(running.url).port;
    expect((await getWithHost(`${running.url}api/overview`, `localhost:${port}`)).status).toBe(200);
    expect((await getWithHost(`${running.url}api/overview`, `127.0.0.1:${port}`)).status).toBe(200);
    const evil = await getWithHost(`${running.url}api/overview`, 'attacker.example');
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error).toContain('attacker.example');
  });

  it('says which port is taken', async () => {
    const first = await serve({ port: 0, resultsDir: tmp('busy') });
    servers.push(first);
    const port = Number(new URL(first.url).port);
    await expect(serve({ port, resultsDir: tmp('busy2') })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use: give another with --port`);
  });
});
