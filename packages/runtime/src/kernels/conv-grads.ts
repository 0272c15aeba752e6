/**
 * Convolution gradient kernels for backends that lack them or have slow ones.
 *
 * tfjs 4.22's wasm backend has no `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropFilter` or
 * `DepthwiseConv2dNativeBackpropInput`, and its `Conv2DBackpropInput` is slow; the cpu backend has all four but its
 * filter gradient reads element by element (36 s for one small-CNN step). Each gradient here is rewritten as one
 * forward convolution, which both backends run fast:
 *  - filter gradient: dW = conv(xᵀ, dyᵀ) with dilation = stride (batch becomes the reduction axis);
 *  - input gradient:  dx = conv(dy dilated by the stride and padded, W flipped spatially, in/out swapped).
 * NHWC and dilation 1 only (every convolution in the built-in FR models); anything else throws a clear error.
 */
import type * as tfType from '@tensorflow/tfjs';

type Tf = typeof tfType;
type Tensor = tfType.Tensor;
type Tensor4D = tfType.Tensor4D;
type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type Conv2DInfo = ReturnType<Tf['backend_util']['computeConv2DInfo']>;

export const convGradKernelNames = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
] as const;
export type ConvGradKernelName = (typeof convGradKernelNames)[number];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

function checkAttrs(kernel: string, a: ConvAttrs): void {
  if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error(`${kernel}: custom kernel supports NHWC only (got ${a.dataFormat})`);
  const d = a.dilations ?? 1;
  if ((Array.isArray(d) ? d : [d, d]).some((x) => x !== 1)) throw new Error(`${kernel}: custom kernel supports dilation 1 only (got ${JSON.stringify(d)})`);
}

export function registerConvGradKernels(tf: Tf, backendName: string, which: readonly ConvGradKernelName[] = convGradKernelNames): void {
  const T = (t: TensorInfo | Tensor): Tensor => (t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t as never));
  const info = (xS: number[], fS: number[], a: ConvAttrs, depthwise: boolean): Conv2DInfo =>
    tf.backend_util.computeConv2DInfo(
      xS as [number, number, number, number],
      fS as [number, number, number, number],
      a.strides,
      1,
      a.pad as never,
      a.dimRoundingMode,
      depthwise,
      'channelsLast',
    );

  /** Pad (positive) or crop (negative) one axis at both ends. */
  const fit = (t: Tensor, axis: number, before: number, after: number): Tensor => {
    if (before < 0 || after < 0) {
      const b = t.shape.map(() => 0);
      const s = t.shape.slice();
      b[axis] = Math.max(0, -before);
      s[axis]! -= Math.max(0, -before) + Math.max(0, -after);
      t = tf.slice(t, b, s);
    }
    const p: [number, number][] = t.shape.map(() => [0, 0]);
    p[axis] = [Math.max(0, before), Math.max(0, after)];
    return p[axis]![0] || p[axis]![1] ? tf.pad(t, p) : t;
  };

  /** dy zero-dilated by the stride, then padded/cropped so a stride-1 'valid' correlation with the flipped filter gives dx. */
  const dyForInputGrad = (dy: Tensor, c: Conv2DInfo, inputShape: number[]): Tensor => {
    const p = c.padInfo;
    const [B, H, W] = inputShape as [number, number, number];
    const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = c;
    const C = dy.shape[3]!;
    let d = dy;
    if (sh > 1 || sw > 1)
      d = tf
        .pad(d.reshape([B, OH, 1, OW, 1, C]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]])
        .reshape([B, OH * sh, OW * sw, C]);
    d = fit(d, 1, c.filterHeight - 1 - p.top, H + p.top - OH * sh);
    return fit(d, 2, c.filterWidth - 1 - p.left, W + p.left - OW * sw);
  };

  const kernels: Record<ConvGradKernelName, (args: { inputs: Record<string, TensorInfo>; attrs: ConvAttrs }) => TensorInfo> = {
    Conv2DBackpropFilter: ({ inputs: { x, dy }, attrs }) =>
      tf.tidy(() => {
        checkAttrs('Conv2DBackpropFilter', attrs);
        const c = info(x!.shape, attrs.filterShape!, attrs, false);
        const p = c.padInfo;
        const xp = tf.pad(T(x!), [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]);
        const out = tf.conv2d(
          tf.transpose(xp, [3, 1, 2, 0]) as Tensor4D,
          tf.transpose(T(dy!), [1, 2, 0, 3]) as Tensor4D,
          1,
          'valid',
          'NHWC',
          [c.strideHeight, c.strideWidth],
        );
        return tf.transpose(tf.slice(out, 0, [c.inChannels, c.filterHeight, c.filterWidth, c.outChannels]), [1, 2, 0, 3]);
      }),
    Conv2DBackpropInput: ({ inputs: { dy, filter }, attrs }) =>
      tf.tidy(() => {
        checkAttrs('Conv2DBackpropInput', attrs);
        const c = info(attrs.inputShape!, filter!.shape, attrs, false);
        const w = tf.transpose(tf.reverse(T(filter!), [0, 1]), [0, 1, 3, 2]) as Tensor4D;
        return tf.conv2d(dyForInputGrad(T(dy!), c, attrs.inputShape!) as Tensor4D, w, 1, 'valid');
      }),
    DepthwiseConv2dNativeBackpropInput: ({ inputs: { dy, filter }, attrs }) =>
      tf.tidy(() => {
        checkAttrs('DepthwiseConv2dNativeBackpropInput', attrs);
        const c = info(attrs.inputShape!, filter!.shape, attrs, true);
        const [fh, fw, C, m] = filter!.shape as [number, number, number, number];
        const out = tf.depthwiseConv2d(
          dyForInputGrad(T(dy!), c, attrs.inputShape!) as Tensor4D,
          tf.reverse(T(filter!), [0, 1]).reshape([fh, fw, C * m, 1]) as Tensor4D,
          1,
          'valid',
        );
        return m === 1 ? out : out.reshape([...out.shape.slice(0, 3), C, m]).sum(4);
      }),
    // One depthwise convolution with the batch folded into channels:
    // input xpadᵀ [1, Hp, Wp, B·C], filter dyᵀ [OH, OW, B·C, m], dilation = stride; then sum over the batch.
    DepthwiseConv2dNativeBackpropFilter: ({ inputs: { x, dy }, attrs }) =>
      tf.tidy(() => {
        checkAttrs('DepthwiseConv2dNativeBackpropFilter', attrs);
        const [fh, fw, C, m] = attrs.filterShape!;
        const c = info(x!.shape, attrs.filterShape!, attrs, true);
        const p = c.padInfo;
        const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = c;
        const B = x!.shape[0]!;
        const xp = tf.pad(T(x!), [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]);
        const [, Hp, Wp] = xp.shape as [number, number, number, number];
        const I = tf.transpose(xp, [1, 2, 0, 3]).reshape([1, Hp, Wp, B * C]) as Tensor4D;
        const F = (m === 1 ? tf.transpose(T(dy!), [1, 2, 0, 3]) : tf.transpose(T(dy!).reshape([B, OH, OW, C, m]), [1, 2, 0, 3, 4])).reshape([
          OH,
          OW,
          B * C,
          m,
        ]) as Tensor4D;
        const o = tf.depthwiseConv2d(I, F, 1, 'valid', 'NHWC', [sh, sw]);
        return tf.slice(o, [0, 0, 0, 0], [1, fh, fw, B * C * m]).reshape([fh, fw, B, C, m]).sum(2).reshape([fh, fw, C, m]);
      }),
  };

  for (const kernelName of which) {
    const existing = tf.getKernel(kernelName, backendName);
    if (existing) {
      const key = `${backendName}/${kernelName}`;
      if (!builtins.has(key) && !ours.has(existing.kernelFunc)) builtins.set(key, existing);
      tf.unregisterKernel(kernelName, backendName);
    }
    ours.add(kernels[kernelName]);
    tf.registerKernel({ kernelName, backendName, kernelFunc: kernels[kernelName] as never });
  }
}

/** The backend's own kernels that ours replaced, kept so parity tests can compare against them. */
const builtins = new Map<string, tfType.KernelConfig>();
const ours = new Set<unknown>();

/** Put the backend's own kernels back (where it had them); returns the names restored. */
export function restoreBuiltinConvGradKernels(tf: Tf, backendName: string): string[] {
  const restored: string[] = [];
  for (const name of convGradKernelNames) {
    const b = builtins.get(`${backendName}/${name}`);
    if (!b) continue;
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
    tf.registerKernel(b);
    restored.push(name);
  }
  return restored;
}
