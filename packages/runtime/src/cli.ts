import { emit, AikdError } from '@aikd/core';
import type { Command } from '@aikd/core/cli';

export function register(program: Command): void {
  const setup = program.command('setup').description('opt-in installs of native accelerators (need internet access beyond the npm registry)');
  setup
    .command('tensorflow')
    .description('install the native TensorFlow backend (tfjs-node) and check that it loads; chosen automatically afterwards')
    .option('--gpu', 'the CUDA build (@tensorflow/tfjs-node-gpu; needs CUDA 11.2 + cuDNN 8.1)')
    .option('--bundle', 'CPU build with libtensorflow 1.15 from an npm-registry package (works where only the npm registry is reachable)')
    .action(async (opts: { gpu?: boolean; bundle?: boolean }) => {
      const { setupTensorflow } = await import('./setup.ts');
      const r = await setupTensorflow(opts);
      emit(r, () => (r.ok ? `ok: ${r.message}` : `not installed: ${r.message}`));
      if (!r.ok) process.exitCode = 1;
    });
  setup
    .command('onnx')
    .description("fetch onnxruntime-node's CUDA 12 execution provider (the default install skips it)")
    .option('--cuda', 'install the CUDA provider (the only option so far)')
    .action(async (opts: { cuda?: boolean }) => {
      if (!opts.cuda) throw new AikdError('aikd setup onnx: nothing to do without --cuda (the CPU provider ships with the install)');
      const { setupOnnxCuda } = await import('./setup.ts');
      const r = setupOnnxCuda();
      emit(r, () => (r.ok ? `ok: ${r.message}` : `not installed: ${r.message}`));
      if (!r.ok) process.exitCode = 1;
    });
}
