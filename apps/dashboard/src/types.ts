import type { Row } from '@aikd/results';
import type { TopLevelSpec } from 'vega-lite';
import type { Store } from './store.ts';
import type { PaperReference } from './reference.ts';

/** What every API handler gets. */
export interface ApiContext {
  store: Store;
  reference: PaperReference;
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
}

/** A chart the browser embeds as it is. */
export interface Chart {
  title: string;
  spec: TopLevelSpec;
}

export type { Row };
