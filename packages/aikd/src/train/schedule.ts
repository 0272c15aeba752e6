/**
 * Learning-rate schedule (reference code utils.py:277-290 with train_main.py's pretrain/warmup fractions): a sine
 * warm-up factor sin(π/2 · step / W) for step < W, then 1 (constant lr; the SWALR it also steps changes nothing,
 * aikd.md §5). Step 0 therefore trains with lr 0, as LambdaLR does before its first `step()`.
 */

/** Warm-up length in steps: ⌊fraction · total⌋. */
export function warmupSteps(totalSteps: number, fraction: number): number {
  return Math.floor(totalSteps * fraction);
}

/** The factor applied to every group's base lr at optimizer step `step` (0-based). */
export function warmupFactor(step: number, warmup: number): number {
  return step < warmup ? Math.sin((step / warmup) * (Math.PI / 2)) : 1;
}
