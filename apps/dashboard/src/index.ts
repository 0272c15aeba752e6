/**
 * @aikd/dashboard — `aikd serve`: an Express 5 JSON API over the results catalogue and a small single-page
 * front-end with vega-lite charts (runs, EDC browser, pAUC tables, training, compare, sensitivity).
 */
export { createApp, type DashboardApp } from './app.ts';
export { serve, type ServeOptions, type RunningDashboard } from './server.ts';
export { seriesChartSpec, paucChartSpec, agreementChartSpec, PAUC_CHART_MARKS, AGREEMENT_CHART_MARKS, type SeriesRow, type PaucChartRow } from './charts.ts';
export { metricGroups } from './api/training.ts';
export { paucCsv, type PaucTable, type PaucRow, type PaucCell } from './api/pauc.ts';
export { ApiError } from './params.ts';
export * from './constants.ts';
export { ID_LABELS, type DashboardOptions, type DashboardLabels, type Chart } from './types.ts';
