/**
 * The method catalogue's acceptance test: a toy method, defined in a folder of its own (toy-method/) and registered
 * through the catalogue's API, appears in `aikd methods` and the CLI's help, is accepted by the experiment schema,
 * runs in an experiment (through the real `aikd run`, in this process), and the dashboard labels it with its title
 * — without any other file naming it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { parseYamlConfig } from '@aikd/core';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import { experimentSchema, makePlan, parsePlan, unitTable } from '@aikd/experiments';
import { createApp } from '@aikd/dashboard';
import { makeFixture, type Fixture } from '../../../packages/experiments/test/fixture.ts';
import { buildProgram } from '../src/main.ts';
import { composeWorkbench, dashboardLabels } from '../src/workbench.ts';
import { toyMethod } from './toy-method/descriptor.ts';

const EXPERIMENT = `name: toy
seed: 1
datasets: [synth]
fr_models: [mobileface]
methods:
  - toy-contrast
  - { id: toy-contrast, name: toy-sq, params: { gamma: 2 } }
conditions: [proper]
edc:
  modes: [iso]
  fmr: [0.01]
  discard_limits: [0.3]
`;

/** Run `aikd <args>` in this process; stdout as text. */
async function aikd(args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await buildProgram().parseAsync(['node', 'aikd', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

let fx: Fixture;
const saved = { ...process.env };
beforeAll(async () => {
  fx = await makeFixture(4, 4);
  Object.assign(process.env, fx.env, { AIKD_BACKEND: 'wasm', CI: '1' });
  expect(methodCatalogue.has('toy-contrast')).toBe(false);
  methodCatalogue.register(toyMethod);
}, 120_000);
afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('a method added as a folder', () => {
  it('is listed by `aikd methods`, with what its descriptor says, and named in the help of `aikd score`', async () => {
    const rows = JSON.parse(await aikd(['methods', '--json'])) as { id: string; title: string; paper?: string; requires: object; available: boolean; params: object }[];
    expect(rows.find((r) => r.id === 'toy-contrast')).toEqual(
      expect.objectContaining({ title: 'Toy contrast', paper: 'a test, 2026', requires: { frModel: false, gradients: false, training: false }, available: true, params: { gamma: 1 } }),
    );
    const score = buildProgram().commands.find((c) => c.name() === 'score')!;
    expect(score.helpInformation()).toMatch(/toy-contrast/);
  });

  it('is a method of the experiment schema: accepted with its parameters, planned with its cost; unknown ids name it', () => {
    const exp = parseYamlConfig(EXPERIMENT, 'toy.yaml', experimentSchema);
    const plan = makePlan(exp, () => 16);
    expect(plan.methods.map((m) => [m.label, m.id, m.frModel, m.params])).toEqual([
      ['toy-contrast', 'toy-contrast', undefined, {}],
      ['toy-sq', 'toy-contrast', undefined, { gamma: 2 }],
    ]);
    const score = plan.workUnits.find((w) => w.key === 'score.synth.proper.toy-contrast')!;
    expect(score.cost).toBeCloseTo(16 * 0.001, 12);
    expect(() => parsePlan(EXPERIMENT.replace('  - toy-contrast\n', '  - toy-contrast2\n'), 'bad.yaml')).toThrow(/^bad\.yaml: line 6: .*unknown method "toy-contrast2": expected one of .*toy-contrast/);
    // its parameters are checked against its descriptor's schema, with the line
    expect(() => parsePlan(EXPERIMENT.replace('gamma: 2', 'gamma: 2, beta: 1'), 'bad.yaml')).toThrow(/^bad\.yaml: line 7: methods\[1\]\.params\.beta: toy-sq: unknown parameter beta/);
  });

  it('runs in an experiment (`aikd run`), and the dashboard shows its title', async () => {
    const file = fx.experiment(EXPERIMENT, 'toy.yaml');
    const results = join(fx.dir, 'results-toy');
    const run = JSON.parse(await aikd(['run', file, '--json', '--no-report', '--results', results]));
    expect(run).toMatchObject({ failed: [], skipped: [], evaluated: true });
    expect(run.computed).toHaveLength(3); // embed + two score units
    // the experiment's parameters reached the method: gamma 2 squares the contrast
    const plan = makePlan(parseYamlConfig(EXPERIMENT, 'toy.yaml', experimentSchema));
    const q1 = unitTable(plan, 'score.synth.proper.toy-contrast', 'scores', results)!.getChild('quality')!.toArray() as Float64Array;
    const q2 = unitTable(plan, 'score.synth.proper.toy-sq', 'scores', results)!.getChild('quality')!.toArray() as Float64Array;
    expect(q1.length).toBe(16);
    expect(new Set(q1).size).toBeGreaterThan(1);
    q1.forEach((q, i) => expect(q2[i]).toBeCloseTo(q * q, 9));

    const app = createApp({ resultsDir: results, refreshMs: 0, labels: dashboardLabels(composeWorkbench()) });
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise((r) => server.once('listening', r));
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api`;
      const get = async (path: string): Promise<any> => (await fetch(`${base}/${path}`)).json();
      expect((await get('methods')).methods).toContainEqual({ id: 'toy-contrast', title: 'Toy contrast', description: toyMethod.description, paper: 'a test, 2026' });
      const opts = await get(`edc/options?experiment=${plan.id}`);
      expect(opts.methods).toEqual(['toy-contrast', 'toy-sq']);
      expect(opts.method_names).toEqual({ 'toy-contrast': 'Toy contrast', 'toy-sq': 'toy-sq' });
      expect(opts.fr_model_names).toEqual({ mobileface: 'MobileFace' });
      const pauc = await get(`pauc?experiment=${plan.id}&condition=proper&op_value=0.01&discard_limit=0.3`);
      expect(pauc.rows.map((r: { method: string; method_name: string; fr_model_name: string }) => [r.method, r.method_name, r.fr_model_name])).toEqual([
        ['toy-contrast', 'Toy contrast', 'MobileFace'],
        ['toy-sq', 'toy-sq', 'MobileFace'],
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.close();
    }
  }, 300_000);
});
