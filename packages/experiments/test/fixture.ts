/**
 * A small synthetic dataset for pipeline tests: 8 identities × 4 images of 128 px "faces" (coloured patterns with
 * a per-identity palette, graded blur/noise), with 5-point landmarks and attributes side files, in a temp folder
 * with its own datasets.yaml, results folder and cache (AIKD_DATASETS / AIKD_RESULTS / AIKD_HOME).
 * The FR models' embeddings of such images mean little; the tests check plumbing, determinism and bookkeeping.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rngFor } from '@aikd/core';
import { encodePng } from '@aikd/datasets';

export interface Fixture {
  dir: string;
  env: Record<string, string>;
  experiment: (yaml: string, name?: string) => string;
}

export async function makeFixture(identities = 8, perIdentity = 4): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'aikd-exp-'));
  const images = join(dir, 'data', 'synth', 'images');
  const lm: string[] = [];
  const attrs = ['image,severity'];
  const S = 128;
  // landmarks: the ArcFace template scaled to the middle of the image (plus a per-image shift)
  const tpl = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];
  for (let p = 0; p < identities; p++) {
    mkdirSync(join(images, `p${p}`), { recursive: true });
    const pal = rngFor('palette', p);
    const base = [pal.int(256), pal.int(256), pal.int(256)];
    for (let k = 0; k < perIdentity; k++) {
      const r = rngFor('img', p, k);
      const severity = k / (perIdentity - 1);
      const dx = r.uniform(-4, 4), dy = r.uniform(-4, 4);
      const data = new Uint8Array(S * S * 3);
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) {
          const inFace = ((x - 64 - dx) / 40) ** 2 + ((y - 70 - dy) / 52) ** 2 < 1;
          for (let c = 0; c < 3; c++) {
            const v = inFace ? base[c]! * (0.6 + 0.4 * Math.sin((x + c * 7 + p * 13) / 9) ** 2) : 30;
            data[(y * S + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + severity * 60 * (r.next() - 0.5))));
          }
        }
      const file = `p${p}/p${p}_${k}.png`;
      writeFileSync(join(images, file), await encodePng({ data, width: S, height: S, channels: 3 }));
      lm.push(`${file} ${tpl.map(([x, y]) => `${(x! + 8 + dx).toFixed(2)} ${(y! + 8 + dy).toFixed(2)}`).join(' ')} 0.99`);
      attrs.push(`${file},${severity.toFixed(3)}`);
    }
  }
  writeFileSync(join(dir, 'data', 'synth', 'landmarks.txt'), lm.join('\n') + '\n');
  writeFileSync(join(dir, 'data', 'synth', 'attributes.csv'), attrs.join('\n') + '\n');
  writeFileSync(
    join(dir, 'datasets.yaml'),
    `datasets:\n  - name: synth\n    format: folder\n    paths: { images: synth/images }\n    landmarks: synth/landmarks.txt\n    attributes: synth/attributes.csv\n    options: { non_mated: all }\n`,
  );
  const env = { AIKD_DATASETS: join(dir, 'datasets.yaml'), AIKD_DATA: join(dir, 'data'), AIKD_RESULTS: join(dir, 'results'), AIKD_HOME: join(dir, 'home') };
  return {
    dir,
    env,
    experiment(yaml, name = 'exp.yaml') {
      const p = join(dir, name);
      writeFileSync(p, yaml);
      return p;
    },
  };
}

export const TINY_EXPERIMENT = `name: tiny
seed: 5
datasets:
  - name: synth
    split: { test_fraction: 0.5, seed: 1 }
fr_models: [mobileface, faceapi-resnet]
methods:
  - embedding-norm
  - id: serfiq
    params: { T: 8 }
conditions:
  - proper
  - { procedure: landmark-jitter, params: { p: 3 }, seed: 7 }
edc:
  modes: [iso, recomputed]
  fmr: [0.01]
`;
