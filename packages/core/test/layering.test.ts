/**
 * The import graph is one-way: every `@aikd/*` package a package's code imports is one it declares (so it sits
 * below it), and the declared dependencies have no cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '../src/index.ts';

interface Pkg {
  name: string;
  dir: string;
  deps: Set<string>;
}

const packages: Pkg[] = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(workspaceRoot, group)).flatMap((d) => {
    const dir = join(workspaceRoot, group, d);
    let json: { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    try {
      json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      return [];
    }
    const deps = new Set(Object.keys({ ...json.dependencies, ...json.devDependencies }).filter((n) => n.startsWith('@aikd/')));
    return [{ name: json.name, dir, deps }];
  }),
);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules' || f === 'fixtures') return [];
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mts|js|mjs)$/.test(f) ? [p] : [];
  });
}

describe('package layering', () => {
  it('finds the workspace packages', () => {
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(['@aikd/core', '@aikd/datasets', '@aikd/fr-models', '@aikd/aikd', '@aikd/cli']));
  });

  it('a package imports only the workspace packages it declares', () => {
    const undeclared: string[] = [];
    for (const p of packages)
      for (const sub of ['src', 'test', 'bench', 'scripts']) {
        let files: string[];
        try {
          files = sources(join(p.dir, sub));
        } catch {
          continue;
        }
        for (const f of files)
          for (const m of readFileSync(f, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](@aikd\/[a-z-]+)/g))
            if (m[1] !== p.name && !p.deps.has(m[1]!)) undeclared.push(`${f.slice(workspaceRoot.length + 1)} imports ${m[1]} (not a dependency of ${p.name})`);
      }
    expect(undeclared).toEqual([]);
  });

  it('the declared dependencies between workspace packages have no cycle', () => {
    const byName = new Map(packages.map((p) => [p.name, p]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (name: string, path: string[]) => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'open') return void cycles.push([...path, name].join(' → '));
      state.set(name, 'open');
      for (const d of byName.get(name)?.deps ?? []) visit(d, [...path, name]);
      state.set(name, 'done');
    };
    for (const p of packages) visit(p.name, []);
    expect(cycles).toEqual([]);
  });
});
