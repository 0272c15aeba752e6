/**
 * Pieces of SQL shared by the API modules. Values are always bound (`Sql.p`); the text is fixed or built from
 * whitelisted identifiers only.
 */
import type { Param } from '../store.ts';

/** Collects bound parameters: `sql.p(value)` returns its placeholder (`$1`, `$2`, …). */
export class Sql {
  readonly params: Param[] = [];
  p(value: Param): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/**
 * `tree`: the run `id` and all its descendants (children, their children, …), as a CTE for `with recursive`.
 * `union` (not `union all`) so that a parent cycle in hand-edited records ends instead of looping.
 */
export function descendantsCte(sql: Sql, id: string): string {
  return `tree(id) as (select ${sql.p(id)}::varchar union select r.id from runs r join tree t on r.parent = t.id)`;
}

/** `with recursive tree …` when scoped to a run, else nothing; and the matching condition on a run-id column. */
export function scope(sql: Sql, runId: string | undefined, column: string): { with: string; where: string } {
  if (runId === undefined) return { with: '', where: 'true' };
  return { with: `with recursive ${descendantsCte(sql, runId)}`, where: `${column} in (select id from tree)` };
}

/** `coalesce(col, '') = $n`: "" selects results recorded without a dataset / FR model / condition. */
export const eqOrNone = (sql: Sql, column: string, value: string): string => `coalesce(${column}, '') = ${sql.p(value)}`;
