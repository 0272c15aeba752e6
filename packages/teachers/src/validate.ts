/**
 * Teachers shown to work before they teach (`aikd methods --validate`): on a dataset whose images record how degraded
 * they are (the demo set: a `severity` attribute, 0 for the clean image), a quality method that works ranks the
 * degraded images lower. For each method × FR model: Spearman ρ(quality, severity) with a cluster-bootstrap interval
 * (identities resampled with replacement, seeded), and per degradation family how many degraded images score below
 * the clean image of the same face.
 */
import { AikdError, rngFor } from '@aikd/core';
import { datasetFingerprint, subsetDataset, type Dataset, type ImageRecord } from '@aikd/datasets';
import { scoreDataset } from './score-dataset.ts';
import { clusterBootstrap, spearman } from './stats.ts';
import type { QualityMethod } from './types.ts';

export interface ValidationRow {
  method: string;
  fr_model: string;
  images: number;
  identities: number;
  /** Spearman ρ(quality, severity): negative = quality falls as the degradation grows. */
  rho: number;
  low: number;
  high: number;
  level: number;
  B: number;
  /** `tracks` (interval below 0), `inverted` (above 0) or `no evidence` (contains 0). */
  verdict: 'tracks' | 'inverted' | 'no evidence';
  /** Per degradation family: faces with both images, and how many of their degraded images score below the clean one. */
  by_degradation: Record<string, { faces: number; below_clean: number }>;
  seconds: number;
  from_cache: boolean;
}

export interface ValidationSkip {
  method: string;
  fr_model: string;
  reason: string;
}

export interface ValidateOptions {
  methods: readonly string[];
  frModels: readonly string[];
  /** Open a method on an FR model (or on its own model when `frModel` is undefined). */
  open: (method: string, frModel: string | undefined) => Promise<QualityMethod>;
  /** Methods that run on their own model, once (MagFace): not crossed with `frModels`. */
  ownModel?: ReadonlySet<string>;
  /** Score only this many identities (evenly spaced in sorted order); all when undefined. */
  identities?: number;
  /** The same for methods that need input gradients (FaceQAN: ~50 forward + backward passes per image). */
  gradientIdentities?: number;
  bootstrap: number;
  seed: number | string;
  level?: number;
  onRow?: (row: ValidationRow | ValidationSkip) => void;
}

export interface ValidationReport {
  dataset: string;
  /** Hash of every image's id, bytes and landmarks. */
  content_key: string | undefined;
  seed: number | string;
  alignment: 'proper';
  bootstrap: { B: number; level: number; unit: 'identity' };
  rows: ValidationRow[];
  skipped: ValidationSkip[];
}

const severityOf = (ds: Dataset, r: ImageRecord): number => {
  const s = Number(r.attributes?.severity);
  if (r.attributes?.severity === undefined || r.attributes?.severity === '' || !Number.isFinite(s))
    throw new AikdError(`${ds.name}: image ${r.id} has no numeric "severity" attribute (validation needs the degradation level of every image, as the demo set records it)`);
  return s;
};

const identityOf = (r: ImageRecord) => r.identity ?? `#${r.id}`;

/** The dataset restricted to n identities evenly spaced in sorted order (all of them when n is undefined or larger). */
export function identitySubset(ds: Dataset, n: number | undefined): Dataset {
  const names = [...new Set(ds.images().map(identityOf))].sort();
  if (n === undefined || n >= names.length) return ds;
  if (!(n >= 1)) throw new AikdError(`validation: the number of identities must be ≥ 1 (got ${n})`);
  const keep = new Set(Array.from({ length: n }, (_, j) => names[Math.floor(((j + 0.5) * names.length) / n)]!));
  return subsetDataset(ds, (r) => keep.has(identityOf(r)), `identities=${n}/${names.length}`);
}

/** ρ(quality, severity) with its identity-bootstrap interval, and the per-family count of degraded-below-clean. */
export function degradationTracking(records: readonly ImageRecord[], quality: ArrayLike<number>, severity: ArrayLike<number>, opts: { B: number; seed: number | string; label: string[]; level?: number }) {
  const byIdentity = new Map<string, number[]>();
  records.forEach((r, i) => {
    const k = identityOf(r);
    byIdentity.set(k, [...(byIdentity.get(k) ?? []), i]);
  });
  const clusters = [...byIdentity.keys()].sort().map((k) => byIdentity.get(k)!);
  const ci = clusterBootstrap(
    clusters,
    (idx) => spearman(idx.map((i) => quality[i]!), idx.map((i) => severity[i]!)),
    { B: opts.B, level: opts.level, rng: rngFor(opts.seed, 'methods-validate', ...opts.label) },
  );
  // the clean image of each face: same source photo and face index, degradation "clean"
  const faceOf = (r: ImageRecord) => (r.attributes?.source !== undefined && r.attributes?.face !== undefined ? `${r.attributes.source}#${r.attributes.face}` : undefined);
  const clean = new Map<string, number>();
  records.forEach((r, i) => {
    const f = faceOf(r);
    if (f && r.attributes?.degradation === 'clean') clean.set(f, quality[i]!);
  });
  const by: Record<string, { faces: number; below_clean: number }> = {};
  records.forEach((r, i) => {
    const f = faceOf(r), d = r.attributes?.degradation;
    if (!f || d === undefined || d === 'clean' || !clean.has(f) || !Number.isFinite(quality[i]!)) return;
    const e = (by[String(d)] ??= { faces: 0, below_clean: 0 });
    e.faces++;
    if (quality[i]! < clean.get(f)!) e.below_clean++;
  });
  return { ...ci, by_degradation: by, identities: clusters.length };
}

export async function validateMethods(ds: Dataset, o: ValidateOptions): Promise<ValidationReport> {
  const all = ds.images();
  if (!all.length) throw new AikdError(`${ds.name} has no images`);
  all.forEach((r) => severityOf(ds, r));
  const level = o.level ?? 0.95;
  const rows: ValidationRow[] = [], skipped: ValidationSkip[] = [];
  const push = (r: ValidationRow | ValidationSkip) => {
    ('reason' in r ? skipped : rows).push(r as never);
    o.onRow?.(r);
  };
  for (const name of o.methods) {
    const own = o.ownModel?.has(name);
    for (const fr of own ? [undefined] : o.frModels) {
      let method: QualityMethod;
      try {
        method = await o.open(name, fr);
      } catch (e) {
        push({ method: name, fr_model: fr ?? name, reason: (e as Error).message });
        continue;
      }
      try {
        const view = identitySubset(ds, method.requires.gradients ? (o.gradientIdentities ?? o.identities) : o.identities);
        const set = await scoreDataset(view, method, { alignment: 'proper', seed: o.seed });
        const records = view.images();
        const frName = method.frModel ?? fr ?? name;
        const t = degradationTracking(records, set.quality, records.map((r) => severityOf(ds, r)), { B: o.bootstrap, seed: o.seed, level, label: [name, frName] });
        push({
          method: name,
          fr_model: frName,
          images: records.length,
          identities: t.identities,
          rho: t.estimate,
          low: t.low,
          high: t.high,
          level,
          B: t.finite,
          verdict: t.high < 0 ? 'tracks' : t.low > 0 ? 'inverted' : 'no evidence',
          by_degradation: t.by_degradation,
          seconds: set.seconds,
          from_cache: set.fromCache,
        });
      } finally {
        await method.dispose();
      }
    }
  }
  return { dataset: ds.name, content_key: (await datasetFingerprint(ds)).key, seed: o.seed, alignment: 'proper', bootstrap: { B: o.bootstrap, level, unit: 'identity' }, rows, skipped };
}
