/** Byte counts as people write them: `2GB`, `500 MB`, `1.5g`, `4096` (decimal units, as disks are sold; KiB/MiB/GiB
 * for powers of 1024). */
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** The number of bytes `text` says, or undefined when it is not a size. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : undefined;
}

/** A byte count for people: `1.23 GB`, `850 kB`, `12 B`. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['TB', 1e12], ['GB', 1e9], ['MB', 1e6], ['kB', 1e3]] as const)
    if (Math.abs(n) >= size) return `${(n / size).toPrecision(3)} ${unit}`;
  return `${n} B`;
}
