/**
 * Reading a tfjs graph model (model.json + shards) as nodes and named weights, so a builder can rebuild it as
 * tf.layers from what the graph says (strides, paddings, which weight feeds which op) instead of from memory.
 */
import { tf, readModelArtifacts } from '@aikd/runtime';
import { AikdError, fileSha256 } from '@aikd/core';

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { list?: { i?: string[] }; s?: string; b?: boolean; i?: string; f?: number }>;
}

export interface GraphSource {
  file: string;
  weights: tf.NamedTensorMap;
  nodes: Map<string, GraphNode>;
  /** The weight tensor (throws a clear error when the graph lacks it). */
  w(name: string): tf.Tensor;
  /** The op that consumes weight `name` as its second input (conv kernels, Mul/Add constants). */
  consumer(name: string, op?: string): GraphNode;
  /** Strides (H, W) and padding of a conv node. */
  convAttrs(node: GraphNode): { strides: [number, number]; padding: 'same' | 'valid' };
  /** If `node`'s data input comes from a Pad node: its [[top, bottom], [left, right]] paddings. */
  padBefore(node: GraphNode): [[number, number], [number, number]] | undefined;
  weightsHash: string;
  dispose(): void;
}

export async function readGraphSource(modelJson: string): Promise<GraphSource> {
  const art = readModelArtifacts(modelJson);
  const weights = tf.io.decodeWeights(art.weightData as ArrayBuffer, art.weightSpecs ?? []);
  const topo = art.modelTopology as { node?: GraphNode[] };
  const nodes = new Map((topo.node ?? []).map((n) => [n.name, n]));
  const byInput = new Map<string, GraphNode[]>();
  for (const n of nodes.values()) for (const i of n.input ?? []) byInput.set(i, [...(byInput.get(i) ?? []), n]);
  const fail = (what: string) => new AikdError(`${modelJson}: ${what} (the graph is not the model this rebuild expects)`);
  const src: GraphSource = {
    file: modelJson,
    weights,
    nodes,
    w(name) {
      const t = weights[name];
      if (!t) throw fail(`no weight "${name}"`);
      return t;
    },
    consumer(name, op) {
      const c = (byInput.get(name) ?? []).filter((n) => !op || n.op === op);
      if (c.length !== 1) throw fail(`expected one ${op ?? ''} node reading "${name}", found ${c.length}`);
      return c[0]!;
    },
    convAttrs(node) {
      const s = node.attr?.strides?.list?.i?.map(Number) ?? [1, 1, 1, 1];
      const pad = Buffer.from(node.attr?.padding?.s ?? '', 'base64').toString();
      if (pad !== 'SAME' && pad !== 'VALID') throw fail(`node ${node.name}: padding "${pad}"`);
      return { strides: [s[1]!, s[2]!], padding: pad === 'SAME' ? 'same' : 'valid' };
    },
    padBefore(node) {
      const prev = nodes.get(node.input?.[0] ?? '');
      if (!prev || prev.op !== 'Pad') return undefined;
      const p = Array.from(src.w(prev.input![1]!).dataSync());
      if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) throw fail(`node ${prev.name}: expected spatial padding only`);
      return [[p[2]!, p[3]!], [p[4]!, p[5]!]];
    },
    weightsHash: (await fileSha256(modelJson.replace(/\.json$/, '.bin'))).slice(0, 16),
    dispose: () => tf.dispose(Object.values(weights)),
  };
  return src;
}
