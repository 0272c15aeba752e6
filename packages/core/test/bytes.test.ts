import { describe, expect, it } from 'vitest';
import { formatBytes, parseBytes } from '../src/index.ts';

describe('byte counts', () => {
  it('reads sizes as people write them', () => {
    expect(parseBytes('2GB')).toBe(2_000_000_000);
    expect(parseBytes('500 MB')).toBe(500_000_000);
    expect(parseBytes('1.5g')).toBe(1_500_000_000);
    expect(parseBytes('4096')).toBe(4096);
    expect(parseBytes('1KiB')).toBe(1024);
    expect(parseBytes('2 GiB')).toBe(2 * 1024 ** 3);
    for (const bad of ['', 'GB', '2 GBs', '-1GB', 'two', '1e9']) expect(parseBytes(bad)).toBeUndefined();
  });
  it('writes them with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1234)).toBe('1.23 kB');
    expect(formatBytes(2e9)).toBe('2.00 GB');
    expect(formatBytes(205_000 * 1000)).toBe('205 MB');
  });
});
