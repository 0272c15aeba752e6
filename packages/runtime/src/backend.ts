import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { MissingResourceError, AikdError, aikdHome, log } from '@aikd/core';
import { registerConvGradKernels, convGradKernelNames, type ConvGradKernelName } from './kernels/conv-grads.ts';
import { backendNames, type BackendCandidate, type BackendName, type BackendReport } from './types.ts';

const require = createRequire(import.meta.url);

/** Where `aikd setup tensorflow` installs the optional native backend (outside the workspace's lockfile). */
export function nativeDir(): string {
  return join(aikdHome(), 'native');
}

export const tensorflowProviders = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Find an installed tfjs-node(-gpu): first in the workspace, then in the `aikd setup tensorflow` folder. */
export function resolveTensorflowProvider(pkg: string): string | undefined {
  for (const base of [import.meta.url, join(nativeDir(), 'package.json')]) {
    try {
      return createRequire(base).resolve(pkg);
    } catch {
      /* not there */
    }
  }
  return undefined;
}

function parseRequested(explicit?: string): { want: BackendName | 'auto'; source: string } {
  const raw = explicit ?? process.env.AIKD_BACKEND;
  const source = explicit ? '--backend' : process.env.AIKD_BACKEND ? 'AIKD_BACKEND' : 'default';
  if (!raw || raw === 'auto') return { want: 'auto', source };
  if (!(backendNames as readonly string[]).includes(raw))
    throw new AikdError(`${source}: expected one of auto, ${backendNames.join(', ')} (got "${raw}")`, 'BAD_BACKEND');
  return { want: raw as BackendName, source };
}

/** Try to load tfjs-node(-gpu); it registers the `tensorflow` backend in tfjs' global engine. */
function loadTensorflow(candidates: BackendCandidate[]): { ok: boolean; gpu: boolean } {
  // libtensorflow logs CPU features and XLA start-up at INFO level on stderr; keep warnings and errors only
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  for (const pkg of tensorflowProviders) {
    const path = resolveTensorflowProvider(pkg);
    if (!path) {
      candidates.push({ name: 'tensorflow', provider: pkg, status: 'not-installed', detail: 'opt in: `aikd setup tensorflow' + (pkg.endsWith('gpu') ? ' --gpu`' : '`') });
      continue;
    }
    try {
      require(path);
      if (!tf.findBackend('tensorflow')) throw new Error('loaded, but registered no "tensorflow" backend');
      candidates.push({ name: 'tensorflow', provider: pkg, status: 'available', detail: path });
      return { ok: true, gpu: pkg.endsWith('-gpu') };
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      candidates.push({ name: 'tensorflow', provider: pkg, status: 'failed', detail: `native load failed: ${msg}` });
    }
  }
  return { ok: false, gpu: false };
}

let wasmReady = false;
function prepareWasm(): void {
  if (wasmReady) return;
  // tfjs-backend-wasm loads its .wasm binaries from this folder (they ship inside the npm package).
  setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
  wasmReady = true;
}

const registered = new Map<string, ConvGradKernelName[]>();
function ensureKernels(backend: BackendName): string[] {
  if (backend === 'tensorflow') return [];
  if (!registered.has(backend)) {
    // wasm lacks three of the four and has a slow fourth; on cpu only the filter gradients are slow
    // (its built-in input gradients are faster than ours there).
    const which: ConvGradKernelName[] =
      backend === 'wasm' ? [...convGradKernelNames] : ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter'];
    registerConvGradKernels(tf, backend, which);
    registered.set(backend, which);
  }
  return registered.get(backend)!;
}

let current: BackendReport | undefined;
let pending: Promise<BackendReport> | undefined;

/**
 * Choose and start the tensor backend once per process.
 * Order: `--backend`/`AIKD_BACKEND` if given (an error if it cannot start), else tensorflow (GPU build, then CPU
 * build) where it loads, else wasm, else cpu. The report says which was chosen and why.
 */
export async function initRuntime(opts: { backend?: string } = {}): Promise<BackendReport> {
  const { want } = parseRequested(opts.backend);
  if (pending) {
    const r = await pending.catch(() => undefined);
    if (r && (want === 'auto' || want === r.backend)) return r;
  }
  pending = start(opts.backend);
  try {
    return await pending;
  } catch (e) {
    pending = undefined;
    throw e;
  }
}

async function start(explicit?: string): Promise<BackendReport> {
  // PROD silences tfjs' console advice ("install tfjs-node …"): the report below says what runs and why.
  tf.env().set('PROD', true);
  const { want, source } = parseRequested(explicit);
  const candidates: BackendCandidate[] = [];
  let gpu = false;
  let chosen: BackendName | undefined;
  let reason = '';

  if (want === 'auto' || want === 'tensorflow') {
    const r = loadTensorflow(candidates);
    if (r.ok) {
      chosen = 'tensorflow';
      gpu = r.gpu;
      reason = want === 'auto' ? `native TensorFlow (${r.gpu ? 'GPU' : 'CPU'} build) loads; it is the fastest backend` : `requested by ${source}`;
    } else if (want === 'tensorflow') {
      const why = candidates.map((c) => `${c.provider}: ${c.detail}`).join('; ');
      throw new MissingResourceError(`${source} asks for the tensorflow backend, but it cannot start (${why})`);
    }
  } else candidates.push({ name: 'tensorflow', status: 'skipped', detail: `${source}=${want}` });

  if (!chosen && (want === 'auto' || want === 'wasm')) {
    try {
      prepareWasm();
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
      chosen = 'wasm';
      reason =
        want === 'auto'
          ? 'native TensorFlow is not installed here (opt in: `aikd setup tensorflow`); wasm is the fastest backend that is'
          : `requested by ${source}`;
    } catch (e) {
      candidates.push({ name: 'wasm', status: 'failed', detail: (e as Error).message });
      if (want === 'wasm') throw new MissingResourceError(`${source} asks for the wasm backend, but it cannot start: ${(e as Error).message}`);
    }
  } else if (!chosen) candidates.push({ name: 'wasm', status: 'skipped', detail: `${source}=${want}` });

  if (!chosen) {
    chosen = 'cpu';
    reason = want === 'cpu' ? `requested by ${source}` : 'neither tensorflow nor wasm could start; cpu (pure JS) always works but is slow';
  }
  if (!(await tf.setBackend(chosen))) throw new AikdError(`could not start the ${chosen} backend`);
  await tf.ready();
  const customKernels = ensureKernels(chosen);

  for (const c of candidates) if (c.name === chosen && c.status === 'available') c.status = 'chosen';
  if (!candidates.some((c) => c.name === chosen)) candidates.push({ name: chosen, status: 'chosen' });
  for (const b of ['wasm', 'cpu'] as const) if (!candidates.some((c) => c.name === b)) candidates.push({ name: b, status: 'available' });

  const report: BackendReport = {
    backend: chosen,
    reason,
    requested: want === 'auto' ? 'auto' : `${want} (${source})`,
    candidates,
    gpu,
    tfjsVersion: tf.version.tfjs,
    wasm:
      chosen === 'wasm'
        ? { simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')), threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) }
        : undefined,
    // tfjs' wasm backend runs single-threaded in Node (its worker threads need a browser); cpu is plain JS.
    threads: chosen === 'tensorflow' ? availableParallelism() : 1,
    customKernels,
  };
  current = report;
  log.debug(`tensor backend: ${report.backend} (${report.reason})`);
  return report;
}

/** The backend report, once `initRuntime` has run. */
export function backendReport(): BackendReport | undefined {
  return current;
}

/**
 * Switch the active backend inside one process (parity tests compare wasm and cpu on the same model).
 * Tensors made on one backend move lazily to the other when used.
 */
export async function useBackend(name: BackendName): Promise<void> {
  if (name === 'wasm') prepareWasm();
  if (name === 'tensorflow' && !tf.findBackend('tensorflow') && !loadTensorflow([]).ok)
    throw new MissingResourceError('the tensorflow backend is not installed (run `aikd setup tensorflow`)');
  if (!(await tf.setBackend(name))) throw new AikdError(`could not start the ${name} backend`);
  await tf.ready();
  ensureKernels(name);
}
