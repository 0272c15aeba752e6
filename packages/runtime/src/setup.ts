import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createBrotliDecompress } from 'node:zlib';
import { AikdError, log } from '@aikd/core';
import { nativeDir } from './backend.ts';

export const TFJS_NODE_VERSION = '4.22.0';
/** npm package holding libtensorflow 1.15 + a prebuilt tfjs-node N-API binding (CPU only); see README. */
const BUNDLE = { name: 'tfjs-node-lambda-releases', version: '1.6.1', file: 'nodejs12.x-tf2.7.0.br' };

export interface SetupResult {
  ok: boolean;
  provider: string;
  /** One line: what happened, or why it cannot work on this machine. */
  message: string;
  dir: string;
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { ok: boolean; out: string } {
  const r = spawnSync('npm', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}

/** The most telling line of a failed npm install (network errors first). */
function whyFailed(out: string): string {
  const lines = out
    .split('\n')
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter((l) => l && !/complete log of this run|^code [A-Z]|^path |^command /.test(l));
  const net = lines.find((l) => /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|getaddrinfo|certificate|403|404/.test(l));
  const pick = net ?? lines.find((l) => /error|failed/i.test(l)) ?? lines.at(-1) ?? 'unknown error';
  return pick.length > 200 ? pick.slice(0, 199) + '…' : pick;
}

/** Load the installed backend in a fresh process and run one op on it. */
export function verifyTensorflow(pkg: string, dir = nativeDir()): { ok: boolean; message: string } {
  const script = `
    const r = require('module').createRequire(${JSON.stringify(join(dir, 'package.json'))});
    r(${JSON.stringify(pkg)});
    const tf = r('@tensorflow/tfjs');
    tf.setBackend('tensorflow').then(async (ok) => {
      if (!ok) throw new Error('setBackend(tensorflow) returned false');
      const y = await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).data();
      console.log(JSON.stringify({ backend: tf.getBackend(), y: y[0] }));
    }).catch((e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  if (r.status !== 0) return { ok: false, message: `it installed but does not load: ${whyFailed(r.stderr || r.stdout)}` };
  try {
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { backend: string; y: number };
    return res.backend === 'tensorflow' && res.y === 11
      ? { ok: true, message: 'loads and computes' }
      : { ok: false, message: `unexpected check result ${r.stdout.trim()}` };
  } catch {
    return { ok: false, message: `unexpected check output: ${r.stdout.trim().slice(0, 120)}` };
  }
}

/** The folder's package.json says whether tfjs-node's install script (the libtensorflow download) may run. */
function ensureNativeDir(pkg: string, runScripts: boolean): string {
  const dir = nativeDir();
  mkdirSync(dir, { recursive: true });
  const manifest = { name: 'aikd-native', private: true, description: 'optional native tensor backend for the AI-KD workbench', allowScripts: { [pkg]: runScripts } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return dir;
}

/**
 * Install the native TensorFlow backend for tfjs outside the workspace lockfile (`.aikd/native`).
 * Default route: tfjs-node(-gpu)'s own install script, which downloads libtensorflow (needs internet access to
 * Google's storage; CUDA 11.2 + cuDNN 8.1 for --gpu). `bundle: true`: a CPU-only libtensorflow 1.15 taken from an
 * npm-registry package, for machines that reach only the npm registry.
 */
export async function setupTensorflow(opts: { gpu?: boolean; bundle?: boolean } = {}): Promise<SetupResult> {
  const pkg = opts.gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  if (opts.bundle && opts.gpu) throw new AikdError('--bundle provides a CPU build only; it cannot be combined with --gpu');
  const dir = ensureNativeDir(pkg, !opts.bundle);
  log.info(`installing ${pkg}@${TFJS_NODE_VERSION} into ${dir}${opts.bundle ? ' (libtensorflow from the npm bundle)' : ''} …`);
  const common = ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error'];
  if (!opts.bundle) {
    const r = npm([...common, '--foreground-scripts', `${pkg}@${TFJS_NODE_VERSION}`], dir);
    if (!r.ok) return { ok: false, provider: pkg, dir, message: `cannot install ${pkg} here: its install script could not fetch libtensorflow (${whyFailed(r.out)})` };
  } else {
    const r = npm([...common, '--ignore-scripts', `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`, `${BUNDLE.name}@${BUNDLE.version}`], dir);
    if (!r.ok) return { ok: false, provider: pkg, dir, message: `cannot install the bundle: ${whyFailed(r.out)}` };
    await extractBundle(dir);
  }
  const v = verifyTensorflow(pkg, dir);
  return { ok: v.ok, provider: pkg, dir, message: v.ok ? `${pkg} ${v.message}; the tensorflow backend is now chosen automatically` : v.message };
}

/** Copy libtensorflow 1.15 and its N-API binding out of the brotli-compressed tar in the bundle package. */
async function extractBundle(dir: string): Promise<void> {
  const req = createRequire(join(dir, 'package.json'));
  const tfnode = dirname(req.resolve('@tensorflow/tfjs-node/package.json'));
  const br = req.resolve(`${BUNDLE.name}/${BUNDLE.file}`);
  const tmp = mkdtempSync(join(tmpdir(), 'aikd-tfbundle-'));
  const inner = 'node_modules/@tensorflow/tfjs-node';
  try {
    await new Promise<void>((resolve, reject) => {
      const tar = spawnTar(tmp, [`${inner}/deps`, `${inner}/lib/napi-v6/tfjs_binding.node`]);
      createReadStream(br).pipe(createBrotliDecompress()).pipe(tar.stdin!);
      tar.on('close', (code: number) => (code === 0 ? resolve() : reject(new AikdError(`extracting ${br} failed (tar exit ${code})`))));
      tar.on('error', reject);
    });
    const src = join(tmp, inner);
    const napi = `napi-v${Math.min(8, Number(process.versions.napi))}`;
    rmSync(join(tfnode, 'deps'), { recursive: true, force: true });
    const cp = spawnSync('cp', ['-a', join(src, 'deps'), join(tfnode, 'deps')]); // -a keeps the .so symlinks
    if (cp.status !== 0) throw new AikdError(`copying libtensorflow failed: ${cp.stderr}`);
    mkdirSync(join(tfnode, 'lib', napi), { recursive: true });
    copyFileSync(join(src, 'lib/napi-v6/tfjs_binding.node'), join(tfnode, 'lib', napi, 'tfjs_binding.node'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function spawnTar(cwd: string, members: string[]) {
  return spawn('tar', ['-x', '-C', cwd, ...members], { stdio: ['pipe', 'inherit', 'inherit'] });
}

/** Fetch onnxruntime-node's CUDA 12 execution provider files (skipped by the default install). */
export function setupOnnxCuda(): SetupResult {
  const req = createRequire(import.meta.url);
  const ortDir = join(dirname(req.resolve('onnxruntime-node')), '..');
  const r = spawnSync(process.execPath, [join(ortDir, 'script', 'install.js'), '--onnxruntime-node-install=cuda12'], { cwd: ortDir, encoding: 'utf8' });
  const ok = r.status === 0;
  return {
    ok,
    provider: 'onnxruntime-node (cuda)',
    dir: ortDir,
    message: ok ? 'CUDA execution provider installed; ONNX models now run on the GPU where CUDA 12 is present' : `cannot install the CUDA provider here: ${whyFailed(`${r.stdout}\n${r.stderr}`)}`,
  };
}
