/**
 * A toy FIQA method in a folder of its own, for the catalogue's acceptance test: quality = the contrast (standard
 * deviation of the grey levels) of the aligned crop, optionally raised to `gamma`. Nothing else in the workbench
 * names it; it appears everywhere once registered.
 */
import { z } from '@aikd/core';
import { templateForSize } from '@aikd/alignment';
import type { MethodDescriptor } from '@aikd/teachers/catalogue';
import type { QualityMethod } from '@aikd/teachers';

const params = z.object({ gamma: z.number().positive().default(1) });

/** The plain formula, written here once more for the test to check scores against. */
export function contrast(data: ArrayLike<number>, gamma: number): number {
  const n = data.length / 3;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const g = (data[3 * i]! + data[3 * i + 1]! + data[3 * i + 2]!) / 3;
    s += g;
    s2 += g * g;
  }
  const mean = s / n;
  return Math.sqrt(Math.max(0, s2 / n - mean * mean)) ** gamma;
}

export const toyMethod: MethodDescriptor = {
  id: 'toy-contrast',
  title: 'Toy contrast',
  paper: { cite: 'a test, 2026', title: 'Contrast as quality' },
  description: 'grey-level standard deviation of the aligned crop (a toy for the catalogue test)',
  needs: { frModel: false, frFeatures: [], gradients: false, training: false },
  params,
  cost: 0.001,
  async open(opts): Promise<QualityMethod> {
    const P = params.strict().parse(opts.params ?? {});
    return {
      id: 'toy-contrast',
      requires: {},
      params: P,
      weightsHash: 'toy-contrast-v1',
      range: { min: 0, max: null },
      input: { size: 112, template: templateForSize(112) },
      score: async (crops) => Float64Array.from(crops, (c) => contrast(c.data, P.gamma)),
      dispose() {},
    };
  },
};
