/**
 * @aikd/experiments — experiment grids from YAML to the paper's tables: planning, cached and sharded execution,
 * evaluation (EDC per dataset × condition × FR model), alignment sensitivity, and reports.
 */
export * from './schema.ts';
export * from './plan.ts';
export { parsePlan, loadPlan } from './load.ts';
export { Resources } from './resources.ts';
export { runUnit, unitRunId, unitTable, previousResult, UnitKeys, type UnitKey, type UnitInputs, type PreviousResult } from './units.ts';
export { evaluatePlan, evaluateCell } from './evaluate.ts';
export { runExperiment, mergeExperiment, pendingUnits, explainPlan, type RunExperimentOptions, type RunExperimentResult, type UnitDecision } from './run.ts';
export { validatePlan, gridIssues, methodParamsSchema, type GridIssue } from './validate.ts';
export { checkAvailability, type MissingItem } from './availability.ts';
export { buildReport, reportText, findExperiment, requireExperiment, type Report, type ReportTable, type ReportBootstrap } from './report.ts';
export { shardFromScheduler } from './cli.ts';
