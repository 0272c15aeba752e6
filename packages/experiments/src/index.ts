/**
 * @aikd/experiments — experiment grids from YAML to the paper's tables: planning, cached and sharded execution,
 * evaluation (EDC per dataset × condition × FR model), alignment sensitivity, and reports.
 */
export * from './schema.ts';
export * from './plan.ts';
export { Resources } from './resources.ts';
export { runUnit, unitHash, unitRunId, doneRun, unitTable } from './units.ts';
export { evaluatePlan, evaluateCell } from './evaluate.ts';
export { runExperiment, mergeExperiment, pendingUnits, type RunExperimentOptions, type RunExperimentResult } from './run.ts';
export { checkAvailability, type MissingItem } from './availability.ts';
export { buildReport, reportText, findExperiment, requireExperiment, type Report, type ReportTable, type ReportBootstrap } from './report.ts';
export { shardFromScheduler } from './cli.ts';
