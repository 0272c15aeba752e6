/**
 * Reading an experiment file: its shape (schema.ts), its plan (plan.ts), then the grid validation (validate.ts), so
 * every command that reads an experiment file refuses a bad grid with the file's line numbers before any work.
 */
import { parseYamlConfig, readYamlText } from '@aikd/core';
import { experimentSchema } from './schema.ts';
import { makePlan, type DatasetSpec, type Plan } from './plan.ts';
import { validatePlan } from './validate.ts';

/** Parse, plan and validate an experiment given as YAML text (`file` names it in errors). */
export function parsePlan(text: string, file: string, imageCounts: (ds: DatasetSpec) => number = () => 1000): Plan {
  const plan: Plan = { ...makePlan(parseYamlConfig(text, file, experimentSchema), imageCounts), source: { file, text } };
  validatePlan(plan);
  return plan;
}

/** Read, plan and validate an experiment file. */
export function loadPlan(file: string, imageCounts: (ds: DatasetSpec) => number = () => 1000): Plan {
  return parsePlan(readYamlText(file), file, imageCounts);
}
