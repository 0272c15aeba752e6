import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat32, float16ToFloat32, halfToFloat } from '../src/index.ts';

describe('float16 and bfloat16 widening (IEEE 754 binary16; bfloat16 = the top 16 bits of a float32)', () => {
  it('float16: one, the largest, the smallest subnormal and normal, signed zero, infinities, NaN', () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555]);
    const want = [1, -2, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, NaN, 0.333251953125];
    const got = [...float16ToFloat32(bits)];
    want.forEach((w, i) => expect(Object.is(got[i], w), `0x${bits[i]!.toString(16)}: ${got[i]} vs ${w}`).toBe(true));
    want.forEach((w, i) => expect(Object.is(halfToFloat(bits[i]!), w)).toBe(true));
  });

  it('float16: the lookup table agrees with the formula on all 65,536 patterns (NaNs stay NaN)', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const f = float16ToFloat32(all);
    for (let h = 0; h < 65536; h++) {
      const v = f[h]!;
      const e = (h >> 10) & 0x1f;
      if (e === 31 && h & 0x3ff) expect(Number.isNaN(v)).toBe(true);
      else expect(halfToFloat(h)).toBe(v);
    }
  });

  it('bfloat16: the float32 whose top half the bits are', () => {
    const bits = Uint16Array.from([0x3f80, 0xc0a0, 0x7f80, 0xff80, 0x0001, 0x8000]);
    const got = [...bfloat16ToFloat32(bits)];
    const want = [1, -5, Infinity, -Infinity, 2 ** -133, -0];
    want.forEach((w, i) => expect(Object.is(got[i], w), `0x${bits[i]!.toString(16)}`).toBe(true));
    const out = new Float32Array(1);
    expect(bfloat16ToFloat32(Uint16Array.from([0x4049]), out)).toBe(out);
    expect(out[0]).toBe(3.140625);
  });
});
