/**
 * The README's "bring the paper's weights" section, generated from the weights registry (fr-models'
 * `OFFICIAL_WEIGHTS` and the checkpoint kinds): five lines per official file — where it is published, the command
 * that imports it, how to use it, its input convention and architecture, its hash and the paper rows that need it.
 * `pnpm readme` rewrites it between its markers; a test fails when the README is stale.
 */
import { withGeneratedBlock } from './readme-block.ts';
import { OFFICIAL_WEIGHTS, TORCH_MODEL_KINDS, importCommand, officialInput, type OfficialWeights, type TorchModelKind } from '@aikd/fr-models/weights';

export const WEIGHTS_SECTION_START = '<!-- official weights: generated from the weights registry by `pnpm readme`; do not edit -->';
export const WEIGHTS_SECTION_END = '<!-- end of official weights -->';

function usage(w: OfficialWeights): string {
  const kind: TorchModelKind = TORCH_MODEL_KINDS[w.kind];
  const fr = `FR model \`--model ${w.model}\` / \`tfjs:${w.model}\``;
  if (!kind.method) return fr;
  // MagFace's method runs on the FR model named magface: the import under that name is all it needs
  const byName = kind.method === w.model;
  const method = byName ? `\`pnpm aikd score --method ${kind.method} …\`` : `\`pnpm aikd score --method ${kind.method} --weights ${w.model} …\``;
  const experiment = byName ? `\`- ${kind.method}\`` : `\`{ id: ${kind.method}, weights: ${w.model}${kind.method === 'aikd' ? ', name: …' : ''} }\``;
  return `${method} (quality: ${kind.quality}), experiments ${experiment}; ${fr}`;
}

/** Five lines for one file. */
function block(w: OfficialWeights): string[] {
  const p = officialInput(w);
  const rows = [...w.tables.rows, ...w.tables.frModels.map((c) => `the ${c} column`)];
  return [
    `- **${w.title}** — \`${w.file}\`, published by ${w.published.by}: <${w.published.link}>`,
    `  import: \`pnpm ${importCommand(w)}\` → models.yaml entry \`${w.model}\` (a cached ONNX conversion)`,
    `  use: ${usage(w)}`,
    `  input: ${p.size}×${p.size} ${p.colour}, (x − ${p.mean}) / ${p.std}, ${p.layout}; read as \`${w.architecture}\``,
    `  SHA-256: ${w.sha256 ?? 'not published — recorded at the first import and shown by `pnpm aikd models list`'}; paper rows: ${rows.join(', ') || 'none'}${w.tables.note ? ` (${w.tables.note})` : ''}`,
  ];
}

export function weightsSection(registry: readonly OfficialWeights[] = OFFICIAL_WEIGHTS): string {
  return [WEIGHTS_SECTION_START, ...registry.flatMap(block), WEIGHTS_SECTION_END].join('\n');
}

/** `readme` with its weights section replaced by `section` (an error when the markers are missing). */
export function withWeightsSection(readme: string, section: string): string {
  return withGeneratedBlock(readme, WEIGHTS_SECTION_START, WEIGHTS_SECTION_END, section, 'official weights');
}
