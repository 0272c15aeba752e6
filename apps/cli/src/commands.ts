import type { RegisterCommands } from '@aikd/core/cli';
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
import { dashboardLabels, type Workbench } from './workbench.ts';

/** Every package's subcommands, in the order `aikd --help` lists them, on the composed workbench. */
export function commandModules(w: Workbench): RegisterCommands[] {
  return [env, runtime, results, edc, datasets, alignment, frModels, teachers, aikd, experiments, (p) => dashboard(p, { labels: dashboardLabels(w) })];
}
