import type { AlignOptions } from '../types.ts';

/** What every result records besides the procedure's own parameters. */
export function runParams(opts: AlignOptions): Record<string, unknown> {
  return { size: opts.size, seed: opts.seed, epoch: opts.epoch ?? 0, template: opts.template ?? 'arcface', aligned: opts.aligned ?? false };
}
