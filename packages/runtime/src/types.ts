export const backendNames = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

export interface BackendCandidate {
  name: BackendName;
  /** For `tensorflow`: which package provided it (`@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`). */
  provider?: string;
  status: 'chosen' | 'available' | 'not-installed' | 'failed' | 'skipped';
  detail?: string;
}

export interface BackendReport {
  backend: BackendName;
  /** One sentence: why this backend. */
  reason: string;
  /** What was asked for: `auto`, or the override and where it came from. */
  requested: string;
  candidates: BackendCandidate[];
  gpu: boolean;
  tfjsVersion: string;
  wasm?: { simd: boolean; threads: boolean };
  /** Threads the tensor backend uses. */
  threads: number;
  /** Gradient kernels this workbench registered on the backend (wasm/cpu). */
  customKernels: string[];
}
