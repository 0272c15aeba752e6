import { availableParallelism, cpus, totalmem, platform, arch } from 'node:os';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emit, codeVersion, resultsDir, dataRoot, aikdHome, workspaceRoot } from '@aikd/core';
import type { Command } from '@aikd/core/cli';

/** Version of a dependency as installed for one of our packages (walks up from its entry file to its package.json). */
function pkgVersion(name: string, ourPackage: string): string | null {
  try {
    let dir = dirname(createRequire(join(workspaceRoot, ourPackage, 'package.json')).resolve(name));
    for (let i = 0; i < 8; i++, dir = dirname(dir)) {
      const p = join(dir, 'package.json');
      if (!existsSync(p)) continue;
      const j = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (j.name === name) return j.version ?? null;
    }
  } catch {
    /* not installed */
  }
  return null;
}

export function register(program: Command): void {
  program
    .command('env')
    .description('what this machine offers: Node, tensor backend and why, ONNX Runtime, threads, versions, folders')
    .action(async () => {
      const { initRuntime, onnxProviders, ort } = await import('@aikd/runtime');
      const backend = await initRuntime();
      const report = {
        node: process.version,
        platform: `${platform()}-${arch()}`,
        cpu: { model: cpus()[0]?.model ?? 'unknown', cores: availableParallelism() },
        memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        backend: backend.backend,
        backend_reason: backend.reason,
        backend_requested: backend.requested,
        backend_candidates: backend.candidates,
        gpu: backend.gpu,
        threads: { tensor: backend.threads, onnx: availableParallelism() },
        wasm: backend.wasm ?? null,
        custom_kernels: backend.customKernels,
        onnxruntime: { version: ort.env.versions.node ?? null, providers: onnxProviders() },
        versions: {
          tfjs: backend.tfjsVersion,
          'apache-arrow': pkgVersion('apache-arrow', 'packages/results'),
          '@duckdb/node-api': pkgVersion('@duckdb/node-api', 'packages/results'),
          'parquet-wasm': pkgVersion('parquet-wasm', 'packages/results'),
          'onnxruntime-node': pkgVersion('onnxruntime-node', 'packages/runtime'),
        },
        code_version: codeVersion(),
        folders: { workspace: workspaceRoot, results: resultsDir(), data: dataRoot(), home: aikdHome() },
      };
      emit(report, () =>
        [
          `node        ${report.node} (${report.platform}, ${report.cpu.cores} cores, ${report.memory_gib} GiB)`,
          `backend     ${report.backend} — ${report.backend_reason}`,
          ...report.backend_candidates.map((c) => `  ${c.status.padEnd(13)} ${c.provider ?? c.name}${c.detail ? ` (${c.detail})` : ''}`),
          `threads     tensor ${report.threads.tensor}, onnx ${report.threads.onnx}${report.wasm ? `; wasm simd ${report.wasm.simd}` : ''}`,
          `kernels     ${report.custom_kernels.length ? report.custom_kernels.join(', ') : '(none needed)'}`,
          `onnxruntime ${report.onnxruntime.version} (providers: ${report.onnxruntime.providers.map((p) => `${p.name}${p.installed ? '' : ' [not installed]'}`).join(', ')})`,
          `versions    ${Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `code        ${report.code_version}`,
          `results     ${report.folders.results}`,
          `data        ${report.folders.data}`,
        ].join('\n'),
      );
    });
}
