import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AikdError, InputError, MissingResourceError, log } from '@aikd/core';

export { ort };

const require = createRequire(import.meta.url);

export type OnnxProvider = 'cpu' | 'cuda';

export interface OnnxValueInfo {
  name: string;
  /** Dimensions; symbolic ones (e.g. "batch") as strings. Undefined when the model does not say. */
  shape?: (number | string)[];
  type?: string;
}

export interface OnnxSession {
  readonly path: string;
  readonly provider: OnnxProvider;
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
  run(feeds: Record<string, ort.Tensor>, outputNames?: string[]): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

export interface OnnxSessionOptions {
  /** `auto` (default, or `AIKD_ONNX_PROVIDER`): CUDA where this install has its provider, else CPU. */
  provider?: OnnxProvider | 'auto';
  /** Intra-op threads (default: all cores). */
  threads?: number;
}

/** Execution providers of this onnxruntime-node install; `installed` says whether their files are present. */
export function onnxProviders(): { name: string; installed: boolean }[] {
  const binDir = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  return ort.listSupportedBackends().map((b) => ({
    name: b.name,
    // CUDA's provider library is fetched by onnxruntime-node's install script, which the default install skips.
    installed: b.bundled || (b.name === 'cuda' && existsSync(join(binDir, 'libonnxruntime_providers_cuda.so'))),
  }));
}

function valueInfo(meta: readonly ort.InferenceSession.ValueMetadata[] | undefined, names: readonly string[]): OnnxValueInfo[] {
  return names.map((name, i) => {
    const m = meta?.[i] as { isTensor?: boolean; shape?: readonly (number | string)[]; type?: string } | undefined;
    return m?.isTensor ? { name, shape: m.shape ? [...m.shape] : undefined, type: m.type } : { name };
  });
}

/**
 * Open an ONNX model. A missing file is a clear "bring your weights" error; a file that is not a valid model
 * names the file and what onnxruntime said.
 */
export async function createOnnxSession(model: string | Uint8Array, opts: OnnxSessionOptions & { label?: string } = {}): Promise<OnnxSession> {
  const path = typeof model === 'string' ? model : (opts.label ?? '(in-memory model)');
  if (typeof model === 'string' && existsSync(model) && statSync(model).isDirectory())
    throw new InputError({ file: model, expected: 'an ONNX model file', got: 'a folder: give the path of the .onnx file in it' });
  if (typeof model === 'string' && (!existsSync(model) || !statSync(model).isFile()))
    throw new MissingResourceError(`ONNX model not found: ${model} — bring your own weights (see README, "Your own models")`);
  const want = opts.provider ?? ((process.env.AIKD_ONNX_PROVIDER as OnnxProvider | 'auto' | undefined) || 'auto');
  if (!['auto', 'cpu', 'cuda'].includes(want)) throw new AikdError(`AIKD_ONNX_PROVIDER: expected auto, cpu or cuda (got "${want}")`);
  const threads = opts.threads ?? availableParallelism();
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // idle intra-op threads sleep instead of spinning: an op here takes milliseconds, so waking costs nothing
    // measurable, while spinning threads fight the waiting ones for the cores on a shared machine (faceapi-resnet,
    // batch 32, 2 threads, load ≈ 7: 42–69 img/s spinning, 73–86 sleeping)
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const tryCreate = async (provider: OnnxProvider) => {
    const o = { ...base, executionProviders: [provider === 'cuda' ? 'cuda' : 'cpu'] };
    return typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o);
  };

  let session: ort.InferenceSession | undefined;
  let provider: OnnxProvider = 'cpu';
  const cuda = onnxProviders().find((p) => p.name === 'cuda');
  if (want === 'cuda' || (want === 'auto' && cuda?.installed)) {
    try {
      session = await tryCreate('cuda');
      provider = 'cuda';
    } catch (e) {
      if (want === 'cuda')
        throw new MissingResourceError(
          `${path}: the CUDA execution provider cannot start (${(e as Error).message.split('\n')[0]}); ` +
            (cuda?.installed ? '' : 'its files are not installed (run `aikd setup onnx --cuda` on a machine with CUDA 12)'),
        );
      log.debug(`onnx: CUDA provider unavailable, using CPU (${(e as Error).message.split('\n')[0]})`);
    }
  }
  if (!session) {
    try {
      session = await tryCreate('cpu');
    } catch (e) {
      throw new InputError({ file: path, expected: 'a valid ONNX model', got: (e as Error).message.split('\n')[0] });
    }
  }
  const s = session;
  const inputs = valueInfo(s.inputMetadata, s.inputNames);
  const outputs = valueInfo(s.outputMetadata, s.outputNames);
  return {
    path,
    provider,
    inputs,
    outputs,
    async run(feeds, outputNames) {
      for (const name of Object.keys(feeds))
        if (!s.inputNames.includes(name)) throw new InputError({ file: path, expected: `inputs named ${s.inputNames.join(', ')}`, got: `"${name}"` });
      if (outputNames)
        for (const name of outputNames)
          if (!s.outputNames.includes(name)) throw new InputError({ file: path, expected: `an output among ${s.outputNames.join(', ')}`, got: `"${name}"` });
      try {
        return (await (outputNames ? s.run(feeds, outputNames) : s.run(feeds))) as Record<string, ort.Tensor>;
      } catch (e) {
        throw new InputError({ file: path, expected: 'inputs of the shape and type the model declares', got: (e as Error).message.split('\n')[0] });
      }
    },
    release: () => s.release(),
  };
}
