/**
 * The method catalogue: descriptors by id, opened by name (`serfiq`, or `<id>:<run-id>` for a method's runs trained
 * here), listed for `methods list`, and titled for labels. The workbench's catalogue holds the methods of this
 * package's folders; the composition root (the CLI's `apps/cli/src/workbench.ts`) registers those of other packages
 * (AI-KD's `aikd`). Registering is explicit: importing a package never changes a catalogue.
 */
import { AikdError } from '@aikd/core';
import type { MethodInfo, QualityMethod, QualityMethodOptions } from '../types.ts';
import type { MethodDescriptor } from './types.ts';

/** What a label shows: the method's title, a paper reference, and what it is. */
export interface MethodLabel {
  id: string;
  title: string;
  description: string;
  paper?: string;
}

const ID_RE = /^[a-z][a-z0-9-]*$/;

export class MethodCatalogue {
  private readonly byId = new Map<string, MethodDescriptor>();

  constructor(descriptors: readonly MethodDescriptor[] = []) {
    for (const d of descriptors) this.register(d);
  }

  /** Add a method. Registering the same descriptor again is a no-op; another one under a taken id is an error. */
  register(d: MethodDescriptor): void {
    if (!ID_RE.test(d.id)) throw new AikdError(`method id "${d.id}": expected lower-case letters, digits and "-"`);
    const had = this.byId.get(d.id);
    if (had && had !== d) throw new AikdError(`method "${d.id}" is already in the catalogue (${had.title})`);
    this.byId.set(d.id, d);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): MethodDescriptor | undefined {
    return this.byId.get(id);
  }

  list(): MethodDescriptor[] {
    return [...this.byId.values()];
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Ids whose runs are scored as `<id>:<run-id>`. */
  runPrefixes(): string[] {
    return this.list().filter((d) => d.runs).map((d) => d.id);
  }

  /** Every name a user may give: the ids, then `<id>:<run-id>` for methods trained here. */
  names(): string[] {
    return [...this.ids(), ...this.runPrefixes().map((p) => `${p}:<run-id>`)];
  }

  /** Is `name` a method id, or `<id>:<spec>` of a method with runs? (Whether the run exists is checked when opened.) */
  knows(name: string): boolean {
    const colon = name.indexOf(':');
    if (colon < 0) return this.byId.has(name);
    return colon > 0 && !!this.byId.get(name.slice(0, colon))?.runs;
  }

  /**
   * Why `name` is not a method (undefined when it is one): the one message for an unknown id or family of runs, used
   * when a method is opened and by an experiment's grid validation.
   */
  unknown(name: string): string | undefined {
    if (this.knows(name)) return undefined;
    const colon = name.indexOf(':');
    if (colon > 0 && !this.byId.has(name.slice(0, colon)))
      return `method "${name}": no method family "${name.slice(0, colon)}:" (expected one of ${this.runPrefixes().map((p) => `${p}:<run-id>`).join(', ') || 'none: no method trained here is registered'})`;
    return `unknown method "${name}": expected one of ${this.names().join(', ')} (see \`aikd methods\`)`;
  }

  /**
   * Open a method by name: `serfiq`, `crfiqa` (with `onnx`, or `weights`: an imported model's name or a .pth file,
   * resolved here to the converted ONNX file), or `crfiqa:<run-id>`, `aikd:<run-id>`.
   */
  async open(name: string, opts: QualityMethodOptions = {}): Promise<QualityMethod> {
    const problem = this.unknown(name);
    if (problem) throw new AikdError(problem);
    if (opts.weights !== undefined) {
      if (opts.onnx) throw new AikdError(`method "${name}": give its weights once (--weights ${opts.weights} or --onnx ${opts.onnx})`);
      if (name.includes(':')) throw new AikdError(`method "${name}" is a run trained here: it has its weights (--weights is for official ones)`);
      const { resolveMethodWeights } = await import('@aikd/fr-models');
      opts = { ...opts, onnx: await resolveMethodWeights(name, opts.weights), weights: undefined };
    }
    const colon = name.indexOf(':');
    if (colon > 0) return this.byId.get(name.slice(0, colon))!.runs!.open(name.slice(colon + 1), opts);
    return this.byId.get(name)!.open(opts);
  }

  /**
   * Display name of a method label as experiments write them: `serfiq` → SER-FIQ, `aikd(serfiq)` → AI-KD(SER-FIQ),
   * `crfiqa:<run-id>` → CR-FIQA:<run-id>; labels the catalogue does not know stay as they are.
   */
  title(label: string): string {
    const nested = /^([a-z][a-z0-9-]*)\((.*)\)$/.exec(label);
    if (nested && this.byId.has(nested[1]!)) return `${this.byId.get(nested[1]!)!.title}(${this.title(nested[2]!)})`;
    const colon = label.indexOf(':');
    if (colon > 0 && this.byId.has(label.slice(0, colon))) return `${this.byId.get(label.slice(0, colon))!.title}${label.slice(colon)}`;
    return this.byId.get(label)?.title ?? label;
  }

  /** `{ id, title, description, paper }` of every method, for labels (dashboard, README). */
  labels(): MethodLabel[] {
    return this.list().map((d) => ({ id: d.id, title: d.title, description: d.description, ...(d.paper ? { paper: d.paper.cite } : {}) }));
  }

  /** `methods list`: every method (and every family of runs), what it needs, and whether it runs here. */
  async describe(): Promise<MethodInfo[]> {
    const rows: MethodInfo[] = [];
    for (const d of this.list()) {
      const status = (await d.status?.()) ?? { available: true };
      const trainDefaults = d.trainer?.params ? (d.trainer.params.parse({}) as Record<string, unknown>) : {};
      rows.push({
        id: d.id,
        title: d.title,
        description: d.description,
        paper: d.paper?.cite,
        requires: requiresOf(d),
        available: status.available,
        frModels: d.frModels?.(),
        params: { ...(d.params.parse({}) as Record<string, unknown>), ...trainDefaults },
        note: status.note,
      });
    }
    for (const d of this.list())
      if (d.runs)
        rows.push({
          id: `${d.id}:<…>`,
          title: d.runs.title,
          description: d.runs.description,
          requires: { frModel: d.needs.frModel, training: true },
          available: true,
          frModels: d.runs.frModels?.(),
          note: d.runs.note,
        });
    return rows;
  }
}

function requiresOf(d: MethodDescriptor): MethodInfo['requires'] {
  return { frModel: d.needs.frModel, gradients: d.needs.gradients, training: d.needs.training };
}
