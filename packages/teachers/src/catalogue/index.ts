/**
 * `@aikd/teachers/catalogue`: the method catalogue, light enough for `aikd --help` (descriptors only; each method's
 * code is imported when it is opened or trained).
 */
import { BUILTIN_METHODS } from '../methods/index.ts';
import type { MethodInfo, QualityMethod, QualityMethodOptions } from '../types.ts';
import { MethodCatalogue } from './catalogue.ts';

export { MethodCatalogue, type MethodLabel } from './catalogue.ts';
export type * from './types.ts';
export { BUILTIN_METHODS };
/** How a method gets its official PyTorch weights (`--weights`), for descriptors outside this package (AI-KD's). */
export { officialWeightsRoute } from '../methods/official.ts';

/**
 * The workbench's catalogue: this package's methods. Other packages' methods (AI-KD's `aikd`) are added by the
 * composition root (the CLI's `apps/cli/src/workbench.ts`), never by importing a package.
 */
export const methodCatalogue = new MethodCatalogue(BUILTIN_METHODS);

/** Open a FIQA method of the workbench's catalogue by name: `serfiq`, …, or `<id>:<run-id>` (`crfiqa:…`, `aikd:…`). */
export function createQualityMethod(name: string, opts?: QualityMethodOptions): Promise<QualityMethod> {
  return methodCatalogue.open(name, opts);
}

/** Every method of the workbench's catalogue: what it needs, whether it can run here (`aikd methods list`). */
export function listMethods(): Promise<MethodInfo[]> {
  return methodCatalogue.describe();
}
