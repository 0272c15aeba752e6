/**
 * @aikd/edc — error-versus-discard curves (EDC / ERC) and pAUC, exact and fast, on typed arrays.
 */
export * from './types.ts';
export * from './constants.ts';
export { computeEdc, prepareEdc, curveAt, validateEdcOptions, limitKey, type PreparedEdc, type EdcEvaluation, type WeightTotals } from './compute.ts';
export { pairQualities } from './quality.ts';
export { thresholdAtFmr, thresholdAtFmrSorted, quantileLinear, quantileLinearSorted, nextUp, countAtLeast, countBelow, type FmrThreshold, type Weights } from './threshold.ts';
export { isoCurve, isoPoints, isoPointsByCounting, sortForIso, type IsoCurve, type IsoSorted } from './iso.ts';
export { recomputedCurve, recomputedPoints, sortForRecomputed, discardGrid, angularDistance, type RecomputedCurve, type RecomputedSorted } from './recomputed.ts';
export { pauc, paucTrapezoid, trapezoidArea, theoreticalBestArea, normalizedPauc, oracleCurve } from './area.ts';
export { argsortStable, selectInPlace, sortValues, valueBuckets, valueAtRank, type SortedByValue } from './sort.ts';
export { readComparisons, formatOf, comparisonsFromTable, INPUT_COLUMNS } from './readers/index.ts';
export { edcTables, edcPointsTable, edcSummaryTable, edcSummaryRows, edcBootstrapTable, edcBandTable, type EdcTableMeta, type EdcCurveKey, type EdcSummaryRow, type EdcPointRow } from './tables.ts';
export { edcChartSpec, edcResultsChartSpec, curvesOfResults, methodStyles, legendSummary, hoverLayer, curveLabels, thinPoints, EDC_CHART_MARKS, METHOD_PALETTE, METHOD_DASHES, type EdcChartOptions, type EdcChartCurve, type MethodStyle } from './chart.ts';
export { chartToSvg, svgToPng, writeChart } from './render.ts';
export { edcResultJson, edcTableText, type EdcResultJson, type EdcPointJson } from './format.ts';
export { evaluateFile, outPaths, thinResult, type EvaluateFileOptions, type EvaluateFileOutput } from './evaluate.ts';
export { bootstrapEdc, Resampler, percentileInterval, intervalsOf, withIntervals, bootstrapNote, sameComparisons, MIN_DEFINED_SHARE, type BootstrapOptions, type BootstrapRun, type MethodReplicates } from './bootstrap.ts';
export { pairedDifference, erfc, holm, honestRanks, compareColumn, kendallTauB, type PairedDifference, type HonestRank, type ColumnComparisons } from './compare.ts';
export { readPaperReference, checkPaperReference, emptyPaperReference, paperKey, inOrder, PAPER_PAUC_CSV, PAPER_COLUMNS, PAPER_MEAN_ID, PLAUSIBLE_PAUC_NORM, MEAN_TOLERANCE, type PaperReference, type PaperIssue, type PaperIssueKind } from './paper.ts';
export { paucTables, agreementAcrossFrModels, formatRank, PAPER_DATASET_ALIASES, type PaucEntry, type PaucCell, type PaucRow, type PaucTable, type PaucTableOptions, type VsPaper, type Agreement, type AgreementPair } from './pauc-table.ts';
