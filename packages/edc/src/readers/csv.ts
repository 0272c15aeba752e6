import { createReadStream, statSync } from 'node:fs';
import { InputError, forEachCsvRecord, progress } from '@aikd/core';
import {
  planColumns,
  parseFinite,
  parseMated,
  parseQuality,
  cellError,
  EXPECTED,
  growFloat64,
  growUint8,
  growInt32,
  splitByMethod,
  LabelCodes,
  INPUT_COLUMNS,
  type ColumnPlan,
} from './columns.ts';
import type { LoadedComparisons } from '../types.ts';

/**
 * Read a long-format CSV (header row; columns `similarity`, `mated`, `pair_quality` or `quality_a` + `quality_b`,
 * optional `method`, optional `identity_a` + `identity_b`; other columns are ignored), streaming it in 4 MB chunks. `.tsv` files are tab-separated.
 */
export async function readCsvComparisons(file: string): Promise<LoadedComparisons> {
  const delimiter = /\.tsv$/i.test(file) ? '\t' : ',';
  let plan: ColumnPlan | undefined;
  let width = 0;
  const similarity = growFloat64();
  const mated = growUint8();
  const qa = growFloat64();
  const qb = growFloat64();
  const codes = growInt32();
  const methods = new LabelCodes();
  const identities = new LabelCodes();
  const idA = growInt32();
  const idB = growInt32();

  const onRecord = (fields: string[], line: number) => {
    if (!plan) {
      plan = planColumns(fields, file, 'line 1 (header)');
      width = fields.length;
      return;
    }
    const where = `line ${line}`;
    if (fields.length !== width) throw new InputError({ file, where, expected: `${width} fields like the header`, got: `${fields.length}` });
    const s = parseFinite(fields[plan.similarity]!);
    if (s === undefined) throw cellError(file, where, EXPECTED.similarity, fields[plan.similarity]);
    const m = parseMated(fields[plan.mated]!);
    if (m === undefined) throw cellError(file, where, EXPECTED.mated, fields[plan.mated]);
    similarity.push(s);
    mated.push(m);
    const qCol = plan.pairQuality ?? plan.qualityA!;
    const q1 = parseQuality(fields[qCol]!);
    if (q1 === undefined) throw cellError(file, where, EXPECTED.quality(plan.pairQuality !== undefined ? INPUT_COLUMNS.pairQuality : INPUT_COLUMNS.qualityA), fields[qCol]);
    qa.push(q1);
    if (plan.qualityB !== undefined) {
      const q2 = parseQuality(fields[plan.qualityB]!);
      if (q2 === undefined) throw cellError(file, where, EXPECTED.quality(INPUT_COLUMNS.qualityB), fields[plan.qualityB]);
      qb.push(q2);
    }
    if (plan.method !== undefined) {
      const name = fields[plan.method]!.trim();
      if (!name) throw cellError(file, where, EXPECTED.method, fields[plan.method]);
      codes.push(methods.code(name));
    }
    if (plan.identityA !== undefined)
      for (const [col, out, name] of [[plan.identityA, idA, INPUT_COLUMNS.identityA], [plan.identityB!, idB, INPUT_COLUMNS.identityB]] as const) {
        const label = fields[col]!.trim();
        if (!label) throw cellError(file, where, EXPECTED.identity(name), fields[col]);
        out.push(identities.code(label));
      }
  };

  const stream = createReadStream(file, { highWaterMark: 4 << 20 });
  const mb = statSync(file).size / 2 ** 20;
  const bar = mb >= 64 ? progress(`reading ${file} (MB)`, Math.ceil(mb)) : undefined;
  let bytes = 0;
  let ticked = 0;
  stream.on('data', (chunk) => {
    bytes += chunk.length;
    const whole = Math.floor(bytes / 2 ** 20);
    bar?.tick(whole - ticked);
    ticked = whole;
  });
  await forEachCsvRecord(stream, (r) => onRecord(r.cells, r.line), { file, delimiter });
  bar?.done();
  if (!plan) throw new InputError({ file, where: 'line 1', expected: 'a header row with the column names' });
  if (similarity.length === 0) throw new InputError({ file, expected: 'at least one comparison row after the header' });
  const quality = qa.toArray();
  return {
    file,
    format: 'csv',
    methods: splitByMethod({
      similarity: similarity.toArray(),
      mated: mated.toArray(),
      ...(plan.pairQuality !== undefined ? { pairQuality: quality } : { qualityA: quality, qualityB: qb.toArray() }),
      ...(plan.method !== undefined ? { methodCodes: codes.toArray(), methodNames: methods.names } : {}),
      ...(plan.identityA !== undefined ? { identityA: idA.toArray(), identityB: idB.toArray() } : {}),
    }),
    notes: plan.notes,
  };
}
