/**
 * `aikd align --image FILE … --out crop.png` (one image), `aikd align --dataset NAME --procedure NAME` (a whole
 * dataset into the alignment cache) and `aikd datasets build demo`.
 */
import { Option, intArg, type Command } from '@aikd/core/cli';
import { datasetsCommand } from '@aikd/datasets/cli';
import { procedureNames } from './types.ts';

interface AlignCliOptions {
  image?: string;
  landmarks?: string;
  procedure: string;
  param?: string[];
  size: number;
  seed: string;
  epoch?: number;
  aligned?: boolean;
  out?: string;
  dataset?: string;
  config?: string;
  data?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('align')
    .description('align faces to the ArcFace template: one image (--image … --out) or a whole dataset into the cache (--dataset)')
    .option('--image <file>', 'an image file to align')
    .option('--landmarks <x1,y1,…,x5,y5>', 'the 5 source points (left eye, right eye, nose, left and right mouth corner); default: detected')
    .addOption(new Option('--procedure <name>', 'alignment procedure').choices([...procedureNames]).default('proper'))
    .option('--param <key=value>', 'a procedure parameter, repeatable (e.g. p=3, detector=facemesh, rotation=15)', collect)
    .option('--size <n>', 'crop side in pixels', intArg('--size', 8), 112)
    .option('--seed <s>', 'seed of the random procedures', '0')
    .option('--epoch <n>', 'epoch of the random draw (a new draw per epoch)', intArg('--epoch', 0))
    .option('--aligned', 'the image is already an aligned crop (its landmarks are the template)')
    .option('--out <file>', 'where to write the crop (.png or .jpg)')
    .option('--dataset <name>', 'align every image of this datasets.yaml dataset into the cache')
    .option('--config <file>', 'datasets file (default: <workspace>/datasets.yaml)')
    .option('--data <dir>', 'data root for relative dataset paths (default: AIKD_DATA or ./data)')
    .action(async (opts: AlignCliOptions) => {
      const { runAlignCommand } = await import('./cli-actions.ts');
      await runAlignCommand(opts);
    });

  datasetsCommand(program)
    .command('build')
    .description('build a built-in dataset; `demo`: faces from photos shipped in npm packages, with graded degradations')
    .argument('<name>', 'the built-in dataset (demo)')
    .option('--seed <s>', 'seed of the degradations', '0')
    .option('--levels <n>', 'severity levels per degradation type (images per face = 1 + 7·levels)', intArg('--levels', 1), 1)
    .option('--out <dir>', 'output folder (default: $AIKD_HOME/datasets/demo, where datasets.yaml expects it)')
    .action(async (name: string, opts: { seed: string; levels: number; out?: string }) => {
      const { runBuildCommand } = await import('./cli-actions.ts');
      await runBuildCommand(name, opts);
    });
}
