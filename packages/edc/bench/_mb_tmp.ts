import { argsortStable, selectInPlace } from '../src/index.ts';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
function time(name: string, f: () => unknown) { const t = cpu(); const r = f(); console.log(name, (cpu() - t).toFixed(3), 's CPU'); return r; }
const n = 5_000_000;
const q = new Float64Array(n); for (let i = 0; i < n; i++) q[i] = Math.min(Math.random(), Math.random());
time('native sort 5M', () => Float64Array.from(q).sort());
time('argsortStable 5M', () => argsortStable(q));
time('argsortStable 10M', () => argsortStable(new Float64Array(2*n).map((_, i) => q[i % n]! + i * 1e-12)));
time('copy 5M', () => Float64Array.from(q));
time('acos 5M', () => { let s = 0; for (let i = 0; i < n; i++) s += Math.acos(q[i]!); return s; });
time('select 5M', () => selectInPlace(Float64Array.from(q), 4_000_000));
// radix sort keys only (no index), 64-bit via two u32 words
function radixKeys(values: Float64Array): Float64Array {
  const n = values.length; const w = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  let hi = new Uint32Array(n), lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) { let h = w[2*i+1]!, l = w[2*i]!; if (h & 0x80000000) { h = ~h >>> 0; l = ~l >>> 0; } else h = (h | 0x80000000) >>> 0; hi[i] = h; lo[i] = l; }
  let hi2 = new Uint32Array(n), lo2 = new Uint32Array(n); const count = new Uint32Array(2048);
  for (const [word, shift, bits] of [[0,0,11],[0,11,11],[0,22,10],[1,0,11],[1,11,11],[1,22,10]] as const) {
    const src = word ? hi : lo; const M = (1 << bits) - 1; count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i]! >>> shift) & M]!++;
    let s = 0; for (let b = 0; b <= M; b++) { const c = count[b]!; count[b] = s; s += c; }
    for (let i = 0; i < n; i++) { const p = count[(src[i]! >>> shift) & M]!++; hi2[p] = hi[i]!; lo2[p] = lo[i]!; }
    let t = hi; hi = hi2; hi2 = t; t = lo; lo = lo2; lo2 = t;
  }
  return new Float64Array(n);
}
time('radix keys 5M', () => radixKeys(q));
// bucket by value range then native sort per bucket
function bucketSort(values: Float64Array): Float64Array {
  const n = values.length; let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < n; i++) { const x = values[i]!; if (x < mn) mn = x; if (x > mx) mx = x; }
  const B = Math.max(1, n >>> 3); const scale = (B - 1) / (mx - mn); const count = new Uint32Array(B + 1);
  for (let i = 0; i < n; i++) count[Math.floor((values[i]! - mn) * scale) + 1]!++;
  for (let b = 0; b < B; b++) count[b + 1]! += count[b]!;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) { const x = values[i]!; out[count[Math.floor((x - mn) * scale)]!++] = x; }
  // insertion sort runs
  for (let i = 1; i < n; i++) { const x = out[i]!; let j = i - 1; if (out[j]! <= x) continue; while (j >= 0 && out[j]! > x) { out[j + 1] = out[j]!; j--; } out[j + 1] = x; }
  return out;
}
const bs = time('bucket 5M', () => bucketSort(q)) as Float64Array;
const ns = Float64Array.from(q).sort(); let ok = true; for (let i = 0; i < n; i++) if (bs[i] !== ns[i]) { ok = false; break; } console.log('bucket ok', ok);
