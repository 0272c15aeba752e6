/**
 * Seeded initialisation of the small networks trained here (regression heads, the local DifFIQA UNet). Their
 * weights are written and read with `@aikd/runtime`'s `writeWeights` / `readWeights`.
 */
import type { Rng } from '@aikd/core';

/** He-normal values (std √(2/fanIn)) from a seeded stream; `scale` 0 gives zeros. */
export function heNormal(rng: Rng, size: number, fanIn: number, scale = 1): Float32Array {
  const out = new Float32Array(size);
  if (scale === 0) return out;
  const std = scale * Math.sqrt(2 / fanIn);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}
