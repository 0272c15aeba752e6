/**
 * What this machine lacks for a plan — datasets whose files are missing, FR models and methods that need the
 * user's weights — named with the exact paths looked at, so `aikd run --dry-run` tells a researcher what to bring.
 */
import { existsSync } from 'node:fs';
import { errorLine, resolveFromRoot } from '@aikd/core';
import { datasetStatus, loadDatasetsConfig, findEntry } from '@aikd/datasets';
import { recognizerMissing, weightsMissing } from '@aikd/fr-models';
import { kindOfMethod } from '@aikd/fr-models/weights';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import type { Plan, MethodSpec } from './plan.ts';

export interface MissingItem {
  kind: 'dataset' | 'fr_model' | 'method';
  name: string;
  /** What is missing: paths, or a sentence. */
  missing: string[];
}

const frModelMissing = (name: string): string[] => recognizerMissing(name);

export async function checkAvailability(plan: Plan): Promise<MissingItem[]> {
  const out: MissingItem[] = [];
  const config = loadDatasetsConfig();
  const trainSets = plan.workUnits.flatMap((w) => w.units).filter((u) => u.kind === 'train').map((u) => u.dataset);
  const seen = new Set<string>();
  for (const d of [...plan.datasets, ...trainSets]) {
    if (seen.has(d.name)) continue;
    seen.add(d.name);
    try {
      const st = datasetStatus(findEntry(config, d.name));
      if (!st.present) out.push({ kind: 'dataset', name: d.name, missing: st.builtin ? [`${st.missing.join(', ')} (build it: pnpm aikd datasets build ${d.name})`] : st.missing });
    } catch (e) {
      out.push({ kind: 'dataset', name: d.name, missing: [errorLine(e)] });
    }
  }
  const frs = new Set([...plan.experiment.fr_models, ...plan.methods.flatMap((m) => [m.frModel, m.teacher?.frModel]).filter((x): x is string => !!x)]);
  for (const fr of frs) {
    const m = frModelMissing(fr);
    if (m.length) out.push({ kind: 'fr_model', name: fr, missing: m });
  }
  // official weights given as onnx: must exist; a method may lack files of its own (its descriptor says which);
  // a trained run id (`crfiqa:<run-id>`) is checked when scoring
  const methodMissing = async (m: MethodSpec): Promise<string[]> => {
    if (m.onnx) {
      const p = resolveFromRoot(m.onnx);
      return existsSync(p) ? [] : [p];
    }
    // official weights by name: a missing one is named by its published file, with the command that imports it
    if (m.weights) return weightsMissing(m.weights, kindOfMethod(m.id)!.id);
    const own = (await methodCatalogue.get(m.id)?.missing?.()) ?? [];
    if (own.length) return own;
    return m.teacher ? methodMissing(m.teacher) : [];
  };
  for (const m of plan.methods) {
    const miss = await methodMissing(m);
    if (miss.length) out.push({ kind: 'method', name: m.label, missing: miss });
  }
  return out;
}

/** Which units cannot run because something they need is missing. */
export function blockedBy(missing: MissingItem[]): (u: { dataset: { name: string }; frModel?: string; method?: MethodSpec }) => string | undefined {
  const ds = new Set(missing.filter((m) => m.kind === 'dataset').map((m) => m.name));
  const fr = new Set(missing.filter((m) => m.kind === 'fr_model').map((m) => m.name));
  const me = new Set(missing.filter((m) => m.kind === 'method').map((m) => m.name));
  return (u) => {
    if (ds.has(u.dataset.name)) return `dataset ${u.dataset.name} is missing`;
    if (u.frModel && fr.has(u.frModel)) return `FR model ${u.frModel} needs your weights`;
    if (u.method) {
      if (me.has(u.method.label)) return `method ${u.method.label} needs files that are missing`;
      for (const f of [u.method.frModel, u.method.teacher?.frModel]) if (f && fr.has(f)) return `method ${u.method.label} needs FR model ${f}`;
    }
    return undefined;
  };
}
