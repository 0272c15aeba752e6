/**
 * The whole grid checked before any work: every method id, its parameters against the method's schema, every
 * alignment procedure's parameters, the FR model and dataset names — each problem with its line in the experiment
 * file. `aikd run --dry-run` reports them; a real run refuses to start with any, instead of computing everything
 * else for hours and failing those units at the end.
 *
 * Method ids and parameter schemas come from the teachers package (its ids, registered prefixes and exported
 * schemas): `methodParamsSchema` is the one place that maps a method of an experiment to its schema.
 */
import { ConfigError, formatPath, yamlLineLocator, z, errorLine } from '@aikd/core';
import { createProcedure } from '@aikd/alignment';
import { loadDatasetsConfig } from '@aikd/datasets';
import { isKnownRecognizer } from '@aikd/fr-models';
import { METHOD_IDS, TRAIN_PARAMS, LEARNED_METHOD_IDS, serfiqParams, faceqanParams, diffiqaScoreParams, onnxRegressorParams, registeredPrefixes, resolveParams, type LearnedMethodId } from '@aikd/teachers';
import type { ConditionSpec, MethodSpec, Plan } from './plan.ts';
import { trainedHere } from './units.ts';
import { aikdTrainSections } from './trainers.ts';

export interface GridIssue {
  path: (string | number)[];
  message: string;
}

const none = z.object({});

/**
 * The schema of a method's `params` in an experiment, or undefined when they are checked when the method opens
 * (`<family>:<run-id>`: a trained run, whose parameters are its own). Learned methods trained here take their
 * training parameters (scoring reuses them); with official ONNX weights, the ONNX regressor's.
 */
export function methodParamsSchema(m: Pick<MethodSpec, 'id' | 'onnx'>): z.ZodObject | undefined {
  if (m.id.includes(':')) return undefined;
  if (m.id === 'serfiq') return serfiqParams;
  if (m.id === 'faceqan') return faceqanParams;
  if (m.id === 'embedding-norm' || m.id === 'magface' || m.id === 'aikd') return none;
  if (m.id === 'diffiqa') return m.onnx ? diffiqaScoreParams.extend({ unetSize: z.number().int().positive().optional() }) : TRAIN_PARAMS.diffiqa;
  if ((LEARNED_METHOD_IDS as readonly string[]).includes(m.id)) return m.onnx ? onnxRegressorParams : TRAIN_PARAMS[m.id as LearnedMethodId];
  return undefined;
}

function checkParams(label: string, schema: z.ZodObject, params: Record<string, unknown>, at: (string | number)[]): GridIssue[] {
  const r = schema.strict().safeParse(params);
  if (r.success) return [];
  const iss = r.error.issues[0]!;
  const key = iss.code === 'unrecognized_keys' ? iss.keys[0] : iss.path[0];
  let message: string;
  try {
    resolveParams(label, schema, params);
    message = iss.message;
  } catch (e) {
    message = errorLine(e);
  }
  return [{ path: key === undefined ? at : [...at, String(key)], message }];
}

function checkMethod(m: MethodSpec, at: (string | number)[], isTeacher = false): GridIssue[] {
  const out: GridIssue[] = [];
  const colon = m.id.indexOf(':');
  if (colon > 0) {
    const prefix = m.id.slice(0, colon);
    if (!registeredPrefixes().includes(prefix))
      out.push({ path: [...at, 'id'], message: `method "${m.id}": no method family "${prefix}:" (expected one of ${registeredPrefixes().map((p) => `${p}:<run-id>`).join(', ')})` });
  } else if (!(METHOD_IDS as readonly string[]).includes(m.id) && m.id !== 'aikd') {
    out.push({ path: [...at, 'id'], message: `unknown method "${m.id}" (expected one of ${[...METHOD_IDS, 'aikd'].join(', ')}, or <family>:<run-id>)` });
    return out;
  }
  if (m.id === 'aikd' && isTeacher) out.push({ path: [...at, 'id'], message: 'an AI-KD student cannot be the teacher of another' });
  const schema = methodParamsSchema(m);
  if (schema) out.push(...checkParams(m.label, schema, m.params, [...at, 'params']));
  for (const fr of [m.frModel].filter((x): x is string => !!x))
    if (!isKnownRecognizer(fr)) out.push({ path: [...at, 'fr_model'], message: `unknown FR model "${fr}" (a built-in model, an ONNX preset, a models.yaml entry, onnx:<path> or tfjs:<model>)` });
  if (m.train) {
    if (m.id === 'aikd') {
      try {
        aikdTrainSections(m);
      } catch (e) {
        const key = /train\.(\w+)/.exec(errorLine(e))?.[1];
        out.push({ path: [...at, 'train', ...(key ? [key] : [])], message: errorLine(e) });
      }
    } else if (trainedHere(m)) {
      const extra = Object.keys(m.train).filter((k) => k !== 'dataset');
      if (extra.length) out.push({ path: [...at, 'train', extra[0]!], message: `method ${m.label}: train takes only "dataset" (its training parameters go in params: ${Object.keys(TRAIN_PARAMS[m.id as LearnedMethodId].shape).join(', ')})` });
    } else out.push({ path: [...at, 'train'], message: `method ${m.label} is not trained here (train applies to ${[...LEARNED_METHOD_IDS, 'aikd'].join(', ')} without onnx)` });
  }
  if (m.teacher) out.push(...checkMethod(m.teacher, [...at, 'teacher'], true));
  return out;
}

function checkCondition(c: ConditionSpec, at: (string | number)[]): GridIssue[] {
  try {
    createProcedure(c.procedure, c.params);
    return [];
  } catch (e) {
    const key = /parameter "([^"]+)"/.exec(errorLine(e))?.[1];
    return [{ path: key ? [...at, 'params', key] : at, message: errorLine(e) }];
  }
}

/** Every problem of the grid, in file order. */
export async function gridIssues(plan: Plan): Promise<GridIssue[]> {
  await import('@aikd/aikd'); // registers the aikd:<run-id> family and tfjs:<model> recognisers
  const exp = plan.experiment;
  const out: GridIssue[] = [];
  let known: Set<string> | undefined;
  try {
    known = new Set(loadDatasetsConfig().datasets.map((d) => d.name));
  } catch (e) {
    out.push({ path: ['datasets'], message: errorLine(e) });
  }
  plan.datasets.forEach((d, i) => {
    if (known && !known.has(d.name)) out.push({ path: ['datasets', i, ...(typeof exp.datasets[i] === 'string' ? [] : ['name'])], message: `unknown dataset "${d.name}" (datasets.yaml has ${[...known].join(', ')})` });
  });
  exp.fr_models.forEach((fr, i) => {
    if (!isKnownRecognizer(fr)) out.push({ path: ['fr_models', i], message: `unknown FR model "${fr}" (a built-in model, an ONNX preset, a models.yaml entry, onnx:<path> or tfjs:<model>)` });
  });
  if (!isKnownRecognizer(exp.defaults.method_fr_model)) out.push({ path: ['defaults', 'method_fr_model'], message: `unknown FR model "${exp.defaults.method_fr_model}"` });
  plan.methods.forEach((m, i) => out.push(...checkMethod(m, ['methods', i])));
  const table = plan.conditions.filter((c) => !c.sweepOnly);
  table.forEach((c, i) => out.push(...checkCondition(c, ['conditions', i])));
  for (const c of plan.conditions.filter((c) => c.sweepOnly)) out.push(...checkCondition(c, ['sensitivity']));
  return out;
}

/** Throw one error listing every problem (file, line, key path, what was expected); nothing when the grid is valid. */
export async function validatePlan(plan: Plan): Promise<void> {
  const issues = await gridIssues(plan);
  if (!issues.length) return;
  const line = plan.source ? yamlLineLocator(plan.source.text) : () => undefined;
  const located = issues.map((i) => ({ ...i, line: line(i.path) }));
  located.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)); // file order (stable for one line)
  throw new ConfigError(
    plan.source?.file ?? `experiment ${plan.experiment.name}`,
    located.map((i) => `${i.line ? `line ${i.line}: ` : ''}${formatPath(i.path)}: ${i.message}`),
  );
}
