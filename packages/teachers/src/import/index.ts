/** Importing scores computed elsewhere (any method, any tool) onto a dataset's images, as a provenance-stamped score set. */
import { AikdError, fileSha256 } from '@aikd/core';
import type { Dataset } from '@aikd/datasets';
import { datasetKey } from '@aikd/fr-models';
import { methodCatalogue } from '../catalogue/index.ts';
import type { ScoreSet } from '../score-dataset.ts';
import { readScoreFile, type ReadScoresOptions, type ScoreFile } from './read.ts';
import { matchScores, type MatchReport } from './match.ts';

export { readScoreFile, detectFormat, SCORE_FILE_FORMATS, OFIQ_DEFAULT_COLUMN, type ScoreFileFormat, type ScoreEntry, type ScoreFile, type ReadScoresOptions } from './read.ts';
export { matchScores, type MatchReport } from './match.ts';
export { readPickledScores } from './pickled-scores.ts';

export interface ImportScoresOptions extends ReadScoresOptions {
  /** Which method made the scores: a method id, or `<family>:<name>` (e.g. `aikd:<run-id>`, `ofiq:uqs`). */
  method: string;
  /** FR model and alignment the other tool used, if known (recorded in provenance). */
  frModel?: string;
  alignment?: string;
  /** Refuse the import when fewer than this fraction of the dataset's images get a score (default 0: never). */
  minCoverage?: number;
}

export interface ImportedScores {
  set: ScoreSet;
  file: ScoreFile;
  report: MatchReport;
}

export function checkMethodName(method: string): void {
  if (methodCatalogue.has(method)) return;
  if (/^[a-z][a-z0-9-]*:[A-Za-z0-9._:-]+$/.test(method)) return;
  throw new AikdError(`method "${method}": expected one of ${methodCatalogue.ids().join(', ')}, or <family>:<name> (e.g. aikd:<run-id>)`);
}

export async function importScores(path: string, ds: Dataset, opts: ImportScoresOptions): Promise<ImportedScores> {
  checkMethodName(opts.method);
  const file = readScoreFile(path, opts);
  if (!file.entries.length) throw new AikdError(`${path}: no scores in the file`);
  const images = ds.images();
  const { quality, report } = matchScores(images, file.entries);
  if (!report.matched)
    throw new AikdError(
      `${path}: none of its ${file.entries.length} keys matches an image of ${ds.name} by path suffix (e.g. "${file.entries[0]!.key}" vs image id "${images[0]?.id}")`,
    );
  const coverage = report.matched / images.length;
  if (opts.minCoverage && coverage < opts.minCoverage)
    throw new AikdError(`${path}: only ${report.matched} of ${images.length} images of ${ds.name} have a score (${(100 * coverage).toFixed(1)} % < ${100 * opts.minCoverage} %)`);
  const set: ScoreSet = {
    ids: images.map((r) => r.id),
    quality,
    settings: {
      dataset: ds.name,
      datasetKey: datasetKey(ds),
      method: opts.method,
      params: {
        imported_from: path,
        file_sha256: (await fileSha256(path)).slice(0, 16),
        format: file.format,
        ...(file.idColumn ? { id_column: file.idColumn } : {}),
        ...(file.column ? { column: file.column } : {}),
        matched: report.matched,
        unmatched_keys: report.unmatchedCount,
        ambiguous_keys: report.ambiguousCount,
        images_without_score: report.missingCount,
        failed_to_assess: file.failed,
      },
      frModel: opts.frModel,
      inputSize: 0,
      alignment: opts.alignment ?? 'external',
      alignmentParams: {},
      range: { min: null, max: null, note: `imported from ${file.format}` },
    },
    fromCache: false,
    seconds: 0,
  };
  return { set, file, report };
}
