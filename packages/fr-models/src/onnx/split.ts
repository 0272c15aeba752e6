/**
 * Split an ONNX recogniser before its last linear layer (Gemm or MatMul on the path to the embedding), so
 * SER-FIQ can run the backbone once and the head T times with dropout on the features between them — the same
 * place insightface's `fc_type E` head and arcface_torch's iResNet apply dropout.
 */
import { decodeModel, encodeModel, type OnnxModel, type OnnxNode } from './proto.ts';

export interface SplitModel {
  /** The original model with the feature tensor added as a second output. */
  backbone: Uint8Array;
  /** A model from the feature tensor to the embedding output. */
  head: Uint8Array;
  featureName: string;
  outputName: string;
}

export function splitBeforeLastLinear(bytes: Uint8Array, outputName?: string): SplitModel | undefined {
  const m = decodeModel(bytes);
  const g = m.graph;
  const out = outputName ?? g.outputs[0]?.name;
  if (!out) return undefined;
  const init = new Set(g.initializers.map((t) => t.name));
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  // ancestors of the output
  const need = new Set<number>();
  const stack = [out];
  while (stack.length) {
    const t = stack.pop()!;
    const i = producer.get(t);
    if (i === undefined || need.has(i)) continue;
    need.add(i);
    stack.push(...g.nodes[i]!.inputs.filter(Boolean));
  }
  const order = [...need].sort((a, b) => a - b);
  const k = [...order].reverse().find((i) => ['Gemm', 'MatMul'].includes(g.nodes[i]!.opType));
  if (k === undefined) return undefined;
  const lin = g.nodes[k]!;
  const feature = lin.inputs.find((x) => !init.has(x));
  if (!feature) return undefined;
  const tail: OnnxNode[] = order.filter((i) => i >= k).map((i) => g.nodes[i]!);
  const producedInTail = new Set(tail.flatMap((n) => n.outputs));
  const external = new Set(tail.flatMap((n) => n.inputs).filter((x) => x && !init.has(x) && !producedInTail.has(x)));
  if (external.size !== 1 || !external.has(feature)) return undefined; // the head must depend on the features only
  const usedInit = new Set(tail.flatMap((n) => n.inputs));
  const headModel: OnnxModel = {
    ...m,
    graph: {
      name: 'head',
      nodes: tail,
      initializers: g.initializers.filter((t) => usedInit.has(t.name)),
      inputs: [{ name: feature, elemType: 1 }],
      outputs: g.outputs.filter((o) => o.name === out).map((o) => ({ name: o.name, elemType: o.elemType ?? 1 })),
      valueInfo: [],
    },
  };
  const backboneModel: OnnxModel = { ...m, graph: { ...g, outputs: [...g.outputs, { name: feature, elemType: 1 }] } };
  return { backbone: encodeModel(backboneModel), head: encodeModel(headModel), featureName: feature, outputName: out };
}
