/**
 * The two denoisers DifFIQA can run around: the user's ONNX UNet (the paper's, exported: pred-x0, cosine schedule,
 * 1000 steps) and the small local tfjs UNet trained by `aikd method train --method diffiqa`.
 */
import { basename } from 'node:path';
import { AikdError, InputError, fileSha256 } from '@aikd/core';
import { createOnnxSession, ort, tf } from '@aikd/runtime';
import type { Denoiser } from './loop.ts';
import { unetForward, type UnetConfig, type UnetParams } from './unet.ts';

/** The local UNet as a denoiser (NHWC in and out, as the loop uses). */
export function localDenoiser(P: UnetParams, cfg: UnetConfig, description: string, weightsHash: string, chunk = 40): Denoiser {
  const per = cfg.size * cfg.size * 3;
  return {
    size: cfg.size,
    description,
    weightsHash,
    async predictX0(x, n, time) {
      const out = new Float32Array(n * per);
      for (let i = 0; i < n; i += chunk) {
        const m = Math.min(chunk, n - i);
        const y = tf.tidy(() => unetForward(P, cfg, tf.tensor4d(x.subarray(i * per, (i + m) * per), [m, cfg.size, cfg.size, 3]), tf.fill([m], time) as tf.Tensor1D));
        out.set((await y.data()) as Float32Array, i * per);
        y.dispose();
      }
      return out;
    },
    dispose() {
      tf.dispose(Object.values(P));
    },
  };
}

const isInt = (type?: string) => !!type && /int/.test(type);

/**
 * An ONNX UNet: one rank-4 image input [batch, 3, D, D] (NCHW, RGB, [−1, 1]) and one time-step input [batch]
 * (int64 as exported from PyTorch's `torch.long`, or float); its first output is x̂0 of the same shape. `size` is
 * needed only when the model's spatial size is symbolic.
 */
export async function onnxDenoiser(file: string, opts: { size?: number } = {}): Promise<Denoiser> {
  const session = await createOnnxSession(file);
  const image = session.inputs.find((i) => i.shape?.length === 4);
  const time = session.inputs.find((i) => i !== image);
  if (!image || !time || session.inputs.length !== 2)
    throw new InputError({
      file,
      expected: 'a DifFIQA UNet with two inputs: the noisy image [batch, 3, D, D] and the time step [batch]',
      got: `inputs ${session.inputs.map((i) => `${i.name} [${i.shape?.join(', ') ?? '?'}]`).join(', ')}`,
    });
  const [, c, h, w] = image.shape!;
  const num = (d: number | string | undefined) => (typeof d === 'number' && d > 0 ? d : undefined);
  if (num(c) !== undefined && c !== 3)
    throw new InputError({ file, where: `input "${image.name}"`, expected: 'NCHW images with 3 channels ([batch, 3, D, D], RGB in [−1, 1])', got: `[${image.shape!.join(', ')}]` });
  if (num(h) !== undefined && num(w) !== undefined && h !== w) throw new InputError({ file, where: `input "${image.name}"`, expected: 'square images [batch, 3, D, D]', got: `[${image.shape!.join(', ')}]` });
  const size = num(h) ?? num(w) ?? opts.size;
  if (!size) throw new AikdError(`${file}: the UNet's input "${image.name}" has a symbolic size [${image.shape!.join(', ')}]; give its side with --param unetSize=<D> (DifFIQA's is 112)`);
  if (opts.size && opts.size !== size)
    throw new InputError({ file, where: `input "${image.name}"`, expected: `side ${opts.size} (unetSize)`, got: `[${image.shape!.join(', ')}]` });
  const timeInt = isInt(time.type);
  const hash = (await fileSha256(file)).slice(0, 16);
  const outName = session.outputs[0]!.name;
  const hw = size * size;
  return {
    size,
    description: `ONNX UNet ${basename(file)} (pred-x0, ${size}×${size})`,
    weightsHash: hash,
    async predictX0(x, n, t) {
      const nchw = new Float32Array(n * 3 * hw);
      for (let k = 0; k < n; k++) for (let p = 0; p < hw; p++) for (let ch = 0; ch < 3; ch++) nchw[(k * 3 + ch) * hw + p] = x[(k * hw + p) * 3 + ch]!;
      const tt = timeInt ? new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(t)), [n]) : new ort.Tensor('float32', new Float32Array(n).fill(t), [n]);
      const res = await session.run({ [image.name]: new ort.Tensor('float32', nchw, [n, 3, size, size]), [time.name]: tt }, [outName]);
      const y = res[outName]!;
      if (y.dims.join() !== [n, 3, size, size].join())
        throw new InputError({ file, where: `output "${outName}"`, expected: `x̂0 of shape [${n}, 3, ${size}, ${size}]`, got: `[${y.dims.join(', ')}]` });
      const d = y.data as Float32Array, out = new Float32Array(n * hw * 3);
      for (let k = 0; k < n; k++) for (let p = 0; p < hw; p++) for (let ch = 0; ch < 3; ch++) out[(k * hw + p) * 3 + ch] = d[(k * 3 + ch) * hw + p]!;
      return out;
    },
    dispose: () => session.release(),
  };
}
