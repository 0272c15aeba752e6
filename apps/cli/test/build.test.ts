import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@aikd/core';
// @ts-expect-error: a plain .mjs build script without types
import { buildIsCurrent } from '../../../scripts/build/source-state.mjs';

const builder = join(workspaceRoot, 'scripts', 'build', 'build-package.mjs');
// inside the workspace, so the build finds the workspace's TypeScript and @types/node
const pkg = join(workspaceRoot, 'test-artifacts', `build-test-${process.pid}`);
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

const build = () => spawnSync(process.execPath, [builder], { cwd: pkg, encoding: 'utf8' });

describe('the build', () => {
  it('compiles a package to JavaScript that Node runs, copies its data files and knows when its sources changed', async () => {
    mkdirSync(join(pkg, 'src', 'sub'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'build-test', type: 'module' }));
    writeFileSync(join(pkg, 'src', 'index.ts'), "import { x } from './sub/x.ts';\nexport const y: number = x + 1;\nexport const lazy = () => import('./sub/x.ts');\n");
    writeFileSync(join(pkg, 'src', 'sub', 'x.ts'), "import { readFileSync } from 'node:fs';\nexport const x: number = JSON.parse(readFileSync(new URL('./data.json', import.meta.url), 'utf8')).x;\n");
    writeFileSync(join(pkg, 'src', 'sub', 'data.json'), '{"x": 41}');
    expect(buildIsCurrent(pkg)).toBe(false);

    const r = build();
    expect(r.status, r.stderr).toBe(0);
    const mod = await import(join(pkg, 'dist', 'index.js'));
    expect(mod.y).toBe(42);
    expect((await mod.lazy()).x).toBe(41);
    expect(readFileSync(join(pkg, 'dist', 'index.js'), 'utf8')).toContain("'./sub/x.js'");
    expect(buildIsCurrent(pkg)).toBe(true);

    // new file times, same bytes (a fresh clone, a turbo cache hit): still current
    const later = new Date(Date.now() + 5000);
    utimesSync(join(pkg, 'src', 'sub', 'x.ts'), later, later);
    expect(buildIsCurrent(pkg)).toBe(true);
    // changed bytes (data files count too), an added file, a deleted file: stale
    writeFileSync(join(pkg, 'src', 'sub', 'data.json'), '{"x": 1}');
    expect(buildIsCurrent(pkg)).toBe(false);
    writeFileSync(join(pkg, 'src', 'sub', 'data.json'), '{"x": 41}');
    expect(buildIsCurrent(pkg)).toBe(true);
    writeFileSync(join(pkg, 'src', 'extra.ts'), 'export {};\n');
    expect(buildIsCurrent(pkg)).toBe(false);
    rmSync(join(pkg, 'src', 'extra.ts'));
    expect(buildIsCurrent(pkg)).toBe(true);
    rmSync(join(pkg, 'src', 'sub', 'data.json'));
    expect(buildIsCurrent(pkg)).toBe(false);
  });

  it('a package whose sources do not compile fails the build and keeps the previous one', () => {
    writeFileSync(join(pkg, 'src', 'sub', 'data.json'), '{"x": 41}');
    writeFileSync(join(pkg, 'src', 'broken.ts'), 'export const = ;\n');
    const r = build();
    expect(r.status).not.toBe(0);
    expect(existsSync(join(pkg, 'dist', 'index.js'))).toBe(true);
    expect(buildIsCurrent(pkg)).toBe(false);
  });

  it('the aikd bin runs the built JavaScript under the aikd-dist condition', () => {
    const r = spawnSync(process.execPath, [join(workspaceRoot, 'apps', 'cli', 'bin', 'aikd.mjs'), '--version'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
    // every package exports its build under the condition and its sources otherwise
    const resolveCore = (conditions: string[]) =>
      spawnSync(process.execPath, [...conditions, '--input-type=module', '-e', "console.log(import.meta.resolve('@aikd/core'))"], {
        cwd: join(workspaceRoot, 'apps', 'cli'),
        encoding: 'utf8',
      }).stdout.trim();
    expect(resolveCore(['--conditions=aikd-dist'])).toMatch(/packages\/core\/dist\/index\.js$/);
    expect(resolveCore([])).toMatch(/packages\/core\/src\/index\.ts$/);
  });
});
