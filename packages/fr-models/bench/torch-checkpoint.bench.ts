/**
 * Reading a full-size PyTorch checkpoint: an insightface iResNet-100 state_dict (65.2 M float32 parameters, ~250 MB,
 * the size of the published R100 backbones), written by PyTorch in both containers. Each case runs in a fresh
 * process so its peak RSS is its own:
 *   baseline     node with the reader imported, nothing read (the anchor for memory)
 *   keep all     open, then read every tensor and keep it (what a loader holds: the weights once)
 *   one by one   open, then read each tensor and drop it (what a converter writing tensor by tensor needs)
 * Memory is reported as peak RSS minus the baseline's, over the file size: near 1 for "keep all" (no second copy
 * of the file), near 0 for "one by one". Time is reported as a ratio to `readFileSync` of the same file in the same
 * run (a copy of every byte, the floor for any reader).
 * Needs python3 with torch to write the file (Debian's python3-torch); skipped with a note otherwise.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { textTable } from '@aikd/core';
import { openTorchCheckpoint, stateDictOf } from '../src/index.ts';

const WRITE = `
import sys, torch
from collections import OrderedDict
torch.manual_seed(0)
def bn(sd, p, c):
    sd[p + '.weight'] = torch.rand(c); sd[p + '.bias'] = torch.randn(c)
    sd[p + '.running_mean'] = torch.randn(c); sd[p + '.running_var'] = torch.rand(c) + 0.5
    sd[p + '.num_batches_tracked'] = torch.tensor(1000)
sd = OrderedDict()
w = [64, 128, 256, 512]
sd['conv1.weight'] = torch.randn(64, 3, 3, 3); bn(sd, 'bn1', 64); sd['prelu.weight'] = torch.rand(64)
cin = 64
for s, n in enumerate([3, 13, 30, 3]):
    c = w[s]
    for b in range(n):
        p = f'layer{s + 1}.{b}'; i = cin if b == 0 else c
        bn(sd, p + '.bn1', i); sd[p + '.conv1.weight'] = torch.randn(c, i, 3, 3); bn(sd, p + '.bn2', c)
        sd[p + '.prelu.weight'] = torch.rand(c); sd[p + '.conv2.weight'] = torch.randn(c, c, 3, 3); bn(sd, p + '.bn3', c)
        if b == 0:
            sd[p + '.downsample.0.weight'] = torch.randn(c, i, 1, 1); bn(sd, p + '.downsample.1', c)
    cin = c
bn(sd, 'bn2', 512); sd['fc.weight'] = torch.randn(512, 512 * 49); sd['fc.bias'] = torch.randn(512); bn(sd, 'features', 512)
torch.save(sd, sys.argv[1])
torch.save(sd, sys.argv[2], _use_new_zipfile_serialization=False)
`;

type Mode = 'baseline' | 'keep' | 'drop' | 'readfile';

function child(mode: Mode, file: string): void {
  const t = performance.now();
  let tensors = 0;
  let bytes = 0;
  if (mode === 'readfile') bytes = readFileSync(file).length;
  else if (mode !== 'baseline') {
    const c = openTorchCheckpoint(file);
    try {
      const kept: unknown[] = [];
      for (const t of stateDictOf(c).tensors.values()) {
        const v = c.read(t);
        bytes += v.byteLength;
        tensors++;
        if (mode === 'keep') kept.push(v);
      }
    } finally {
      c.close();
    }
  }
  process.stdout.write(JSON.stringify({ ms: performance.now() - t, tensors, bytes, maxRss: process.resourceUsage().maxRSS * 1024 }));
}

function python(): string | undefined {
  for (const p of ['/usr/bin/python3', 'python3']) if (spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return p;
  return undefined;
}

function main(): void {
  const py = python();
  if (!py) {
    console.log('skipped: no python3 with torch to write the checkpoint (apt-get install python3-torch)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'aikd-torch-bench-'));
  try {
    const zip = join(dir, 'r100.pth');
    const legacy = join(dir, 'r100-legacy.pth');
    const w = spawnSync(py, ['-c', WRITE, zip, legacy], { encoding: 'utf8' });
    if (w.status) throw new Error(`writing the checkpoint failed: ${w.stderr}`);
    const self = fileURLToPath(import.meta.url);
    const run = (mode: Mode, file: string) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', self, mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status) throw new Error(`${mode} ${file}: ${r.stderr}`);
      return JSON.parse(r.stdout) as { ms: number; tensors: number; bytes: number; maxRss: number };
    };
    const rows: Record<string, string>[] = [];
    const mb = (b: number) => (b / 2 ** 20).toFixed(0);
    for (const [name, file] of [['zip', zip], ['legacy', legacy]] as const) {
      const size = statSync(file).size;
      const base = run('baseline', file);
      const floor = run('readfile', file);
      for (const mode of ['keep', 'drop'] as const) {
        const m = run(mode, file);
        rows.push({
          container: name,
          tensors: `${m.tensors}, ${mode === 'keep' ? 'all kept' : 'one by one'}`,
          'file MiB': mb(size),
          'peak RSS MiB': mb(m.maxRss),
          'baseline MiB': mb(base.maxRss),
          '(peak − baseline) / file': ((m.maxRss - base.maxRss) / size).toFixed(2),
          'read s': (m.ms / 1000).toFixed(2),
          'time / readFileSync': (m.ms / floor.ms).toFixed(2),
        });
      }
    }
    console.log(textTable(rows));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, file] = process.argv.slice(2);
if (mode) child(mode as Mode, file!);
else main();
