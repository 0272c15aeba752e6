/** Reading the pair-generation options shared by `folder` and `adience` from datasets.yaml. */
import { AikdError } from '@aikd/core';
import { DEFAULT_MAX_PAIRS } from '../constants.ts';
import { generatePairs } from '../pairs.ts';
import type { ImageRecord, PairRecord } from '../types.ts';
import type { LoaderContext } from './types.ts';

/**
 * Options: `max_mated` (cap, seeded subsample), `non_mated` (`all`, `balanced` or a count), `seed` (default 0),
 * `max_pairs` (safety limit, default 5,000,000).
 */
export function pairGenerator(ctx: LoaderContext, defaultNonMated: 'all' | 'balanced'): (images: readonly ImageRecord[]) => PairRecord[] {
  const maxMated = ctx.options.optionalInt('max_mated', 0);
  const nonMated = ctx.options.intOrChoice('non_mated', ['all', 'balanced'] as const, defaultNonMated, 0);
  const seed = ctx.options.int('seed', 0);
  const maxPairs = ctx.options.int('max_pairs', DEFAULT_MAX_PAIRS, 1);
  return (images) =>
    generatePairs(images, { maxMated, nonMated, seed, maxPairs, label: ctx.entry.name }, (wanted) => {
      throw new AikdError(
        `${ctx.configFile}: dataset "${ctx.entry.name}" would have ${wanted.toLocaleString('en')} pairs, more than max_pairs ` +
          `(${maxPairs.toLocaleString('en')}); set options.non_mated and/or options.max_mated to subsample (seeded by options.seed)`,
        'TOO_MANY_PAIRS',
      );
    }).pairs;
}
