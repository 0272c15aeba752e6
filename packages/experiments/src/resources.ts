/**
 * What units share inside one process: opened datasets (with their filters and identity splits), FR models and
 * quality methods. Each is opened once and released at the end.
 */
import { configHash, fileHashes, log } from '@aikd/core';
import { openDataset, subsetDataset, attributeFilter, splitByIdentity, datasetFingerprint, type Dataset, type DatasetFingerprint, type OpenedDataset } from '@aikd/datasets';
import { createRecognizer, recognizerWeightFiles, type Recognizer } from '@aikd/fr-models';
import type { QualityMethod } from '@aikd/teachers';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import type { DatasetSpec, MethodSpec } from './plan.ts';

export class Resources {
  /** `root`: the results root, where methods trained in the experiment (`crfiqa:<run-id>`, `aikd:<run-id>`) are. */
  constructor(private readonly root?: string) {}

  private datasets = new Map<string, Promise<{ eval: Dataset; train?: Dataset; base: OpenedDataset }>>();
  private fingerprints = new Map<string, Promise<DatasetFingerprint>>();
  private weights = new Map<string, string>();
  private recognizers = new Map<string, Promise<Recognizer>>();
  private methods = new Map<string, Promise<QualityMethod>>();

  private open(spec: DatasetSpec) {
    let p = this.datasets.get(spec.key);
    if (!p) {
      p = (async () => {
        const base = await openDataset(spec.name);
        let ds: Dataset = base;
        if (spec.filter?.length) {
          const f = attributeFilter(spec.filter);
          ds = subsetDataset(ds, f.keep, f.label);
        }
        if (!spec.split) return { eval: ds, base };
        const s = splitByIdentity(ds, { testFraction: spec.split.testFraction, seed: spec.split.seed });
        return { eval: s.test, train: s.train, base };
      })();
      this.datasets.set(spec.key, p);
    }
    return p;
  }

  /** The images a condition is evaluated on: the test part when the dataset is split. */
  async evalDataset(spec: DatasetSpec): Promise<Dataset> {
    return (await this.open(spec)).eval;
  }

  /** Training data: the train part of a split dataset, else the whole (filtered) dataset. */
  async trainDataset(spec: DatasetSpec): Promise<Dataset> {
    const d = await this.open(spec);
    return d.train ?? d.eval;
  }

  /** The resolved datasets.yaml entry (format, paths against the data root, options) with the split and filter. */
  async datasetEntryKey(spec: DatasetSpec): Promise<string> {
    const { base } = await this.open(spec);
    return configHash({ entry: { ...base.entry, name: undefined, notes: undefined, expected: undefined }, paths: base.paths, split: spec.split ?? null, filter: spec.filter ?? null });
  }

  /** Fingerprint of what a unit reads from a dataset: the evaluation (or training) images, with the pairs if asked. */
  fingerprint(spec: DatasetSpec, part: 'eval' | 'train', pairs: boolean): Promise<DatasetFingerprint> {
    const k = `${spec.key}|${part}|${pairs}`;
    let p = this.fingerprints.get(k);
    if (!p) {
      p = (async () => {
        const ds = part === 'eval' ? await this.evalDataset(spec) : await this.trainDataset(spec);
        const t0 = performance.now();
        const f = await datasetFingerprint(ds, { pairs });
        const s = (performance.now() - t0) / 1000;
        if (s > 2) log.info(`fingerprinted ${ds.name}: ${f.images} images in ${s.toFixed(1)} s (cached for the next run)`);
        return f;
      })();
      this.fingerprints.set(k, p);
    }
    return p;
  }

  /** Hash of an FR model's weight files (read through the file-hash cache, so only a changed file is re-read). */
  weightsKey(frModel: string): string {
    let w = this.weights.get(frModel);
    if (w === undefined) {
      const files = recognizerWeightFiles(frModel);
      w = files.length ? configHash(fileHashes(files)) : 'unresolved';
      this.weights.set(frModel, w);
    }
    return w;
  }

  recognizer(name: string): Promise<Recognizer> {
    let p = this.recognizers.get(name);
    if (!p) {
      p = createRecognizer(name);
      this.recognizers.set(name, p);
      p.catch(() => this.recognizers.delete(name));
    }
    return p;
  }

  /** A quality method; `resolvedId` replaces the spec's id for methods trained in this experiment (`aikd:<run-id>`). */
  method(spec: MethodSpec, resolvedId?: string): Promise<QualityMethod> {
    const id = resolvedId ?? spec.id;
    const key = `${id}|${spec.frModel}|${JSON.stringify(spec.params)}|${spec.onnx ?? ''}|${resolvedId ? '' : spec.weights ?? ''}`;
    let p = this.methods.get(key);
    if (!p) {
      // a method trained in this experiment (`resolvedId`, aikd:<run-id>) has its own weights
      const weights = resolvedId ? undefined : spec.weights;
      p = (async () => methodCatalogue.open(id, { frModel: spec.frModel ? await this.recognizer(spec.frModel) : undefined, params: spec.params, onnx: spec.onnx, weights, root: this.root }))();
      this.methods.set(key, p);
      p.catch(() => this.methods.delete(key));
    }
    return p;
  }

  async close(): Promise<void> {
    for (const p of this.methods.values()) await (await p.catch(() => undefined))?.dispose();
    for (const p of this.recognizers.values()) await (await p.catch(() => undefined))?.dispose();
    for (const p of this.datasets.values()) await (await p.catch(() => undefined))?.base.close();
    this.methods.clear();
    this.recognizers.clear();
    this.datasets.clear();
    this.fingerprints.clear();
  }
}
