/**
 * The `aikd train` command as users run it (child processes of the real CLI): config errors, a run scored with
 * `aikd score --method aikd:<run-id>`, and a training process killed with SIGKILL that resumes to the same result
 * as an uninterrupted run. The "demo" dataset here is a tiny one written into a temporary AIKD_HOME: loose crops of
 * the faces in face-api's sample photos, two per person (the crop and its mirror image).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { rngFor, workspaceRoot } from '@aikd/core';
import { encodePng, type Landmarks5 } from '@aikd/datasets';
import { alignToTemplate, disposeSharedDetectors, templateForSize } from '@aikd/alignment';
import { flipHorizontal } from '@aikd/fr-models';
import { readResultTable } from '@aikd/results';
import { sourceFaces } from './faces.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

let home: string, results: string, scoresFile: string;
const env = () => ({ ...process.env, AIKD_HOME: home, AIKD_RESULTS: results, CI: '1', NO_COLOR: '1' });
const cli = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, aikdArgv(args), { cwd: workspaceRoot, env: { ...env(), ...extra }, encoding: 'utf8', timeout: 300_000 });
const TRAIN = ['train', '--dataset', 'demo', '--method', 'hand-labels', '--epochs', '3', '--batch', '2', '--micro-batch', '1', '--lr', '0.001', '--val-every', '1', '--seed', '3'];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'aikd-home-'));
  results = mkdtempSync(join(tmpdir(), 'aikd-results-'));
  const dir = join(home, 'datasets', 'demo');
  const faces = await sourceFaces();
  // loose 160-px crops: the face at half the ArcFace template's scale around the centre
  const template = templateForSize(160).map(([x, y]) => [80 + (x - 80) * 0.6, 80 + (y - 80) * 0.6]) as Landmarks5;
  const lines: string[] = [], attrs = ['image,identity'], ids: string[] = [];
  for (const [i, f] of faces.entries()) {
    const { image, matrix: m } = alignToTemplate(f.photo, f.landmarks, 160, template);
    const lm = f.landmarks.map(([x, y]) => [m[0][0] * x + m[0][1] * y + m[0][2], m[1][0] * x + m[1][1] * y + m[1][2]]);
    const person = `person${i}`;
    mkdirSync(join(dir, 'images', person), { recursive: true });
    for (const [v, img, pts] of [
      ['a', image, lm],
      // the mirror image: x → 159 − x, and left/right landmarks swap
      ['b', flipHorizontal(image), [lm[1]!, lm[0]!, lm[2]!, lm[4]!, lm[3]!].map(([x, y]) => [159 - x!, y!])],
    ] as const) {
      const id = `${person}/${v}.png`;
      writeFileSync(join(dir, 'images', id), await encodePng(img));
      lines.push(`${id} ${pts.flat().map((x) => x!.toFixed(3)).join(' ')}`);
      attrs.push(`${id},${person}`);
      ids.push(id);
    }
  }
  writeFileSync(join(dir, 'landmarks.txt'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'attributes.csv'), attrs.join('\n') + '\n');
  scoresFile = join(home, 'hand-labels.arrow');
  const t = new arrow.Table({ image_id: arrow.vectorFromArray(ids, new arrow.Utf8()), quality: arrow.makeVector(Float64Array.from(ids, (_, i) => (i * 7) % 5)) });
  writeFileSync(scoresFile, arrow.tableToIPC(t, 'file'));
}, 120_000);
const temps: string[] = [];
afterAll(async () => {
  await disposeSharedDetectors();
  for (const d of [home, results, ...temps]) if (d) rmSync(d, { recursive: true, force: true });
});

function lastCheckpoint(runDir: string) {
  const c = JSON.parse(readFileSync(join(runDir, 'checkpoint', 'checkpoint.json'), 'utf8')) as { step: number; sha256: string };
  return c;
}

describe('aikd train (CLI)', () => {
  it('a bad config names the file, the line and the key', () => {
    const file = join(home, 'bad.yaml');
    writeFileSync(file, 'data:\n  dataset: demo\nlabels:\n  method: serfiq\ntrain:\n  batch_size: 0\n');
    const r = cli(['train', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml: line 6: train\.batch_size/);
  });

  let runId = '';
  it('trains a run from flags and `aikd score --method aikd:<run-id>` scores with it', () => {
    const r = cli([...TRAIN, '--scores', scoresFile, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { run_id: string; finished: boolean; steps: number };
    expect(out).toMatchObject({ finished: true, steps: 15 }); // 12 images of 6 people; 1 person (2 images) validates → 5 steps × 3 epochs
    runId = out.run_id;
    const s = cli(['score', '--dataset', 'demo', '--method', `aikd:${runId}`, '--json', '--no-cache']);
    expect(s.status, s.stderr).toBe(0);
    const res = JSON.parse(s.stdout.trim().split('\n').at(-1)!) as { file: string };
    const { table, provenance } = readResultTable(res.file);
    expect(table.numRows).toBe(12);
    expect(Array.from(table.getChild('quality')!.toArray() as Float64Array).every(Number.isFinite)).toBe(true);
    expect(provenance).toMatchObject({ method: `aikd:${runId}`, dataset: 'demo' });
  });

  it('a training process killed with SIGKILL resumes to the same checkpoint as the uninterrupted run', async () => {
    expect(runId).not.toBe('');
    const killedResults = mkdtempSync(join(tmpdir(), 'aikd-killed-'));
    temps.push(killedResults);
    const child = spawn(process.execPath, aikdArgv([...TRAIN, '--scores', scoresFile]), {
      cwd: workspaceRoot,
      env: { ...env(), AIKD_RESULTS: killedResults },
      stdio: 'ignore',
    });
    const runsDir = join(killedResults, 'runs');
    let killedAt = -1;
    for (let i = 0; i < 1200 && killedAt < 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const id = existsSync(runsDir) ? readdirSync(runsDir)[0] : undefined;
      if (id && existsSync(join(runsDir, id, 'checkpoint', 'checkpoint.json')) && lastCheckpoint(join(runsDir, id)).step >= 3) {
        child.kill('SIGKILL');
        killedAt = lastCheckpoint(join(runsDir, id)).step;
      }
    }
    await new Promise((r) => child.once('exit', r));
    expect(killedAt).toBeGreaterThanOrEqual(3);
    const id = readdirSync(runsDir)[0]!;
    expect(JSON.parse(readFileSync(join(runsDir, id, 'run.json'), 'utf8')).status).toBe('running');
    const r = cli(['train', '--resume', id, '--json'], { AIKD_RESULTS: killedResults });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ finished: true, steps: 15 });
    const resumed = lastCheckpoint(join(runsDir, id)), straight = lastCheckpoint(join(results, 'runs', runId));
    expect(resumed.step).toBe(15);
    // every weight and momentum buffer bit-identical
    expect(resumed.sha256).toBe(straight.sha256);
  });

  it('random SIGKILLs during training and during its resumes end bit-identical to the uninterrupted run (fault injection)', async () => {
    expect(runId).not.toBe('');
    const rng = rngFor(18, 'train-kills');
    const res = mkdtempSync(join(tmpdir(), 'aikd-kills-'));
    temps.push(res);
    const runsDir = join(res, 'runs');
    const start = (args: string[]) => {
      const child = spawn(process.execPath, aikdArgv(args), { cwd: workspaceRoot, env: { ...env(), AIKD_RESULTS: res }, stdio: 'ignore' });
      return { child, exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
    };
    const step = (id: string) => (existsSync(join(runsDir, id, 'checkpoint', 'checkpoint.json')) ? lastCheckpoint(join(runsDir, id)).step : -1);
    // the first process: killed a random 0–0.6 s after its first checkpoint (possibly in the middle of a write)
    const first = start([...TRAIN, '--scores', scoresFile]);
    let id: string | undefined;
    for (let i = 0; i < 2400 && !(id && step(id) >= 1); i++) {
      await new Promise((r) => setTimeout(r, 50));
      id = existsSync(runsDir) ? readdirSync(runsDir)[0] : undefined;
    }
    expect(id).toBeDefined();
    await new Promise((r) => setTimeout(r, rng.int(600)));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(JSON.parse(readFileSync(join(runsDir, id!, 'run.json'), 'utf8')).status).toBe('running'); // killed before it finished
    // two resumes, each killed a random 0.5–4 s after it starts (if it has not finished by then)
    const kills: number[] = [];
    for (let k = 0; k < 2; k++) {
      const p = start(['train', '--resume', id!]);
      const finished = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500 + rng.int(3500)))]);
      if (finished) break;
      p.child.kill('SIGKILL');
      await p.exited;
      kills.push(step(id!));
    }
    const r = cli(['train', '--resume', id!, '--json'], { AIKD_RESULTS: res });
    expect(r.status, r.stderr).toBe(0);
    // the same run as the first test's: 5 steps × 3 epochs (one person validates)
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ finished: true, steps: 15 });
    const resumed = lastCheckpoint(join(runsDir, id!)), straight = lastCheckpoint(join(results, 'runs', runId));
    expect(resumed.step).toBe(15);
    expect(resumed.sha256).toBe(straight.sha256);
  }, 600_000);
});
