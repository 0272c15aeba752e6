import { createHash } from 'node:crypto';

/**
 * Seeded pseudo-random numbers (xoshiro128**), the same on every platform and run.
 *
 * Streams are named, not sequential: `rngFor(seed, 'landmark-jitter', imageId)` gives the same numbers for an
 * image whatever order images are processed in, so shards, resumed runs and re-runs agree bit for bit.
 */
export class Rng {
  // in a typed array: 32-bit state kept in object fields would be boxed doubles, ~10× slower per draw
  private readonly s = new Uint32Array(4);

  constructor(state: [number, number, number, number]) {
    this.s.set(state.map((x) => x >>> 0));
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 0x9e3779b9; // the all-zero state is a fixed point
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s1 = s[1]!;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = s1 << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s1;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Fill `out` with the next 32-bit integers: the same numbers as `out.length` calls of `nextUint32`, about 10×
   * faster (the state stays in local int32 variables; SER-FIQ draws millions per image). */
  fillUint32(out: Uint32Array): Uint32Array {
    const s = this.s;
    let s0 = s[0]! | 0, s1 = s[1]! | 0, s2 = s[2]! | 0, s3 = s[3]! | 0;
    for (let i = 0; i < out.length; i++) {
      const m = Math.imul(s1, 5);
      out[i] = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return out;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new RangeError(`Rng.int: n must be positive (got ${n})`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  /** k distinct indices from [0, n) (all of them, shuffled, when k >= n). */
  sampleIndices(n: number, k: number): number[] {
    const idx = Array.from({ length: n }, (_, i) => i);
    if (k >= n) return this.shuffle(idx);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, k);
  }

  /** A 32-bit seed for libraries that take one (e.g. tfjs ops). */
  seed32(): number {
    return this.nextUint32();
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** An independent stream for (seed, ...labels); labels are joined unambiguously before hashing. */
export function rngFor(seed: number | string, ...labels: (string | number)[]): Rng {
  const h = createHash('sha256').update(JSON.stringify([String(seed), ...labels.map(String)])).digest();
  return new Rng([h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)]);
}
