/**
 * The README's methods table, generated from the method catalogue (the composed workbench: this package's methods
 * and AI-KD's). `pnpm readme` rewrites it between its markers; a test fails when the README is stale.
 */
import type { MethodCatalogue, MethodDescriptor } from '@aikd/teachers/catalogue';
import { withGeneratedBlock } from './readme-block.ts';

export const METHODS_TABLE_START = '<!-- methods table: generated from the method catalogue by `pnpm readme`; do not edit -->';
export const METHODS_TABLE_END = '<!-- end of methods table -->';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const value = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

function needs(d: MethodDescriptor): string {
  const n = d.needs;
  return [
    n.frModel && `FR model (${n.frFeatures.join(', ')})`,
    n.gradients && 'input gradients (tfjs models)',
    n.teacher && 'a teacher method',
    n.weights && `weights: ${n.weights}`,
  ]
    .filter(Boolean)
    .join('; ') || '–';
}

function params(d: MethodDescriptor): string {
  const defaults = Object.entries(d.params.parse({}) as Record<string, unknown>);
  const optional = Object.keys(d.params.shape).filter((k) => !defaults.some(([name]) => name === k));
  return [...defaults.map(([k, v]) => `\`${k}\` ${value(v)}`), ...optional.map((k) => `\`${k}\``)].join(', ') || '–';
}

function paper(d: MethodDescriptor): string {
  if (!d.paper) return '–';
  return d.paper.code ? `${d.paper.cite} ([${d.paper.code}](https://github.com/${d.paper.code}))` : d.paper.cite;
}

/** One row per method: id, title and what it computes, paper and code, what it needs, scoring parameters, training. */
export function methodsTable(catalogue: MethodCatalogue): string {
  const rows = catalogue.list().map((d) =>
    [
      `\`${d.id}\``,
      `${d.title}: ${d.description}`,
      paper(d),
      needs(d),
      params(d),
      d.trainer ? `\`${d.trainer.command}\`${d.runs ? ` → \`${d.id}:<run-id>\`` : ''}` : '–',
    ]
      .map(cell)
      .join(' | '),
  );
  return [
    METHODS_TABLE_START,
    '| id | method | paper (code) | needs | scoring parameters (defaults) | trained here |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    METHODS_TABLE_END,
  ].join('\n');
}

/** `readme` with its methods table replaced by `table` (an error when the markers are missing). */
export function withMethodsTable(readme: string, table: string): string {
  return withGeneratedBlock(readme, METHODS_TABLE_START, METHODS_TABLE_END, table, 'methods table');
}
