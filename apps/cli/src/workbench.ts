/**
 * The composition root: the one place that puts the workbench together. Packages describe their parts (method
 * descriptors) and register nothing themselves; `composeWorkbench()` adds those of other packages to the
 * workbench's catalogues, and the commands, the experiment runner and the dashboard read those catalogues.
 * Importing any package leaves every catalogue as it was (test/registries.isolated.test.ts).
 */
import { methodCatalogue, type MethodCatalogue } from '@aikd/teachers/catalogue';
import { frModelCatalogue, type FrModelCatalogue } from '@aikd/fr-models/catalogue';
import { aikdMethod } from '@aikd/aikd/catalogue';
import { registerDatasetBuilder } from '@aikd/datasets';

export interface Workbench {
  methods: MethodCatalogue;
  frModels: FrModelCatalogue;
}

/** Register the parts of other packages in the workbench's catalogues (idempotent) and return the catalogues. */
export function composeWorkbench(): Workbench {
  // AI-KD students (`aikd:<run-id>`, trained inside experiments)
  methodCatalogue.register(aikdMethod);
  // the built-in demo set is built (by the alignment package) the first time any command opens it — `aikd run`,
  // `train`, `score`, `embed`, `verify`, `align`, `datasets check|export`
  registerDatasetBuilder('demo', async () => (await import('@aikd/alignment')).buildDemoDataset({}));
  return { methods: methodCatalogue, frModels: frModelCatalogue };
}

/** What the dashboard shows for ids: the catalogues' titles (method labels as experiments write them). */
export function dashboardLabels(w: Workbench) {
  return {
    method: (label: string) => w.methods.title(label),
    frModel: (id: string) => w.frModels.title(id),
    methods: () => w.methods.labels(),
  };
}
