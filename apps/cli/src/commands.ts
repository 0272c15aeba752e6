import type { RegisterCommands } from '@aikd/core/cli';
import { registerDatasetBuilder } from '@aikd/datasets';
import { register as env } from './env.ts';
import { register as runtime } from '@aikd/runtime/cli';
import { register as results } from '@aikd/results/cli';
import { register as edc } from '@aikd/edc/cli';
import { register as datasets } from '@aikd/datasets/cli';
import { register as alignment } from '@aikd/alignment/cli';
import { register as frModels } from '@aikd/fr-models/cli';
import { register as teachers } from '@aikd/teachers/cli';
import { register as aikd } from '@aikd/aikd/cli';
import { register as experiments } from '@aikd/experiments/cli';
import { register as dashboard } from '@aikd/dashboard/cli';

/**
 * The composition root's registrations: the built-in demo set is built (by the alignment package) the first
 * time any command opens it — `aikd run`, `train`, `score`, `embed`, `verify`, `align`, `datasets check|export`.
 */
registerDatasetBuilder('demo', async () => (await import('@aikd/alignment')).buildDemoDataset({}));

/** Every package's subcommands, in the order `aikd --help` lists them. */
export const commandModules: RegisterCommands[] = [env, runtime, results, edc, datasets, alignment, frModels, teachers, aikd, experiments, dashboard];
