import type { Row } from '@aikd/results';
import type { TopLevelSpec } from 'vega-lite';
import type { Store } from './store.ts';
import type { PaperReference } from '@aikd/edc';

/** What the dashboard shows for ids: the workbench's catalogues, passed in by the CLI's composition root. */
export interface DashboardLabels {
  /** Display name of a method label as experiments write them (`aikd(serfiq)` → `AI-KD(SER-FIQ)`). */
  method(label: string): string;
  /** Display name of an FR model id. */
  frModel(id: string): string;
  /** The methods of the catalogue (`/api/methods`). */
  methods(): { id: string; title: string; description: string; paper?: string }[];
}

/** Ids as they are (no catalogue given: the dashboard alone, in tests of other parts). */
export const ID_LABELS: DashboardLabels = { method: (l) => l, frModel: (id) => id, methods: () => [] };

/** What every API handler gets. */
export interface ApiContext {
  store: Store;
  reference: PaperReference;
  labels: DashboardLabels;
}

export interface DashboardOptions {
  /** Results root (default: AIKD_RESULTS or `<workspace>/results`). */
  resultsDir?: string;
  /** Rebuild the catalogue's views at most this often (ms). */
  refreshMs?: number;
  /** The paper's pAUC CSV (default: `<workspace>/experiments/reference/paper-pauc.csv`). */
  referenceCsv?: string;
  /**
   * Host names the server answers to (the `Host` header, port ignored); others get 403. `serve` sets the loopback
   * names when it binds to a loopback address, so a web page elsewhere cannot read results through DNS rebinding.
   * Default: any.
   */
  allowedHosts?: string[];
  /** Display names from the workbench's catalogues (default: the ids). */
  labels?: DashboardLabels;
}

/** A chart the browser embeds as it is. */
export interface Chart {
  title: string;
  spec: TopLevelSpec;
}

export type { Row };
