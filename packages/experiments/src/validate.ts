/**
 * The one validation of an experiment grid, before any work: every method id, its parameters against its schema,
 * its teacher and `train:` settings, every FR model, every alignment procedure's parameters and every dataset name
 * — each problem with its line in the experiment file. Loading an experiment file runs it (`loadPlan`), so every
 * command that reads one (`aikd run`, `--dry-run`, `report`, `merge`) refuses a bad grid up front, instead of
 * computing everything else for hours and failing those units at the end.
 *
 * It keeps no list: method ids, parameter schemas, what a method needs (a teacher, training) and how its `train:`
 * section is checked come from the method catalogue's descriptors; FR model names from the FR-model catalogue (and
 * models.yaml); procedures from alignment's factory; datasets from datasets.yaml. The experiment schema (schema.ts)
 * checks only the file's shape.
 */
import { ConfigError, formatPath, yamlLineLocator, z, errorLine } from '@aikd/core';
import { createProcedure } from '@aikd/alignment';
import { loadDatasetsConfig } from '@aikd/datasets';
import { isKnownRecognizer, unknownRecognizer } from '@aikd/fr-models';
import { kindOfMethod, methodsWithWeights } from '@aikd/fr-models/weights';
import { resolveParams } from '@aikd/teachers';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import { trainsHere, type ConditionSpec, type MethodSpec, type Plan } from './plan.ts';

export interface GridIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The schema of a method's `params` in an experiment (its descriptor's), or undefined when they are checked when the
 * method opens (`<id>:<run-id>`: a trained run, whose parameters are its own) or the id is unknown. A method trained
 * in the experiment takes its trainer's parameters (scoring reuses them); otherwise (official weights, or nothing
 * to train) its scoring parameters.
 */
export function methodParamsSchema(m: Pick<MethodSpec, 'id' | 'onnx' | 'weights'>): z.ZodObject | undefined {
  if (m.id.includes(':')) return undefined;
  const d = methodCatalogue.get(m.id);
  if (!d) return undefined;
  return (trainsHere(m) && d.trainer?.params) || d.params;
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

function checkFrModel(fr: string, at: (string | number)[]): GridIssue[] {
  return isKnownRecognizer(fr) ? [] : [{ path: at, message: unknownRecognizer(fr) }];
}

function checkMethod(m: MethodSpec, at: (string | number)[], isTeacher = false): GridIssue[] {
  const out: GridIssue[] = [];
  const id = [...at, 'id']; // (a method given as a bare id string: its line is the string's)
  const unknown = methodCatalogue.unknown(m.id);
  if (unknown) return [{ path: id, message: unknown }];
  const d = m.id.includes(':') ? undefined : methodCatalogue.get(m.id);
  if (d?.needs.teacher) {
    if (isTeacher) out.push({ path: id, message: `method ${m.label}: ${d.title} distils a teacher and cannot be the teacher of another` });
    // a student to train needs its teacher; a published one (official weights) was trained already
    if (!m.teacher && !m.weights) out.push({ path: id, message: `method ${m.id}: needs a "teacher" (the FIQA method it distils), or the weights of a published student` });
  } else if (d && m.teacher) {
    const distil = methodCatalogue.list().filter((x) => x.needs.teacher).map((x) => x.id);
    out.push({ path: [...at, 'teacher'], message: `method ${m.id}: only ${distil.join(', ') || 'methods that distil one'} ${distil.length === 1 ? 'takes' : 'take'} a "teacher"` });
  }
  if (m.weights && m.onnx) out.push({ path: [...at, 'weights'], message: `method ${m.label}: give its official weights once (weights: ${m.weights} or onnx: ${m.onnx})` });
  if (m.weights && !kindOfMethod(m.id))
    out.push({ path: [...at, 'weights'], message: `method ${m.label}: "${m.id}" takes no weights: (the methods whose official network is a PyTorch checkpoint: ${methodsWithWeights().join(', ')})` });
  const schema = methodParamsSchema(m);
  if (schema) out.push(...checkParams(m.label, schema, m.params, [...at, 'params']));
  if (m.frModel) out.push(...checkFrModel(m.frModel, [...at, 'fr_model']));
  if (m.teacher) out.push(...checkMethod(m.teacher, [...at, 'teacher'], true));
  if (m.train) {
    const trainer = d?.trainer;
    if (!trainer || !trainsHere(m)) {
      const trained = methodCatalogue.list().filter((x) => x.trainer).map((x) => x.id);
      out.push({ path: [...at, 'train'], message: `method ${m.label} is not trained here (train applies to ${trained.join(', ')} without onnx or weights)` });
    } else if (trainer.checkSettings) {
      try {
        trainer.checkSettings(m);
      } catch (e) {
        const key = /train\.(\w+)/.exec(errorLine(e))?.[1];
        out.push({ path: [...at, 'train', ...(key ? [key] : [])], message: errorLine(e) });
      }
    } else {
      const extra = Object.keys(m.train).filter((k) => k !== 'dataset');
      const takes = trainer.params ? `: ${Object.keys(trainer.params.shape).join(', ')}` : '';
      if (extra.length) out.push({ path: [...at, 'train', extra[0]!], message: `method ${m.label}: train takes only "dataset" (its training parameters go in params${takes})` });
    }
  }
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
export function gridIssues(plan: Plan): GridIssue[] {
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
  exp.fr_models.forEach((fr, i) => out.push(...checkFrModel(fr, ['fr_models', i])));
  out.push(...checkFrModel(exp.defaults.method_fr_model, ['defaults', 'method_fr_model']));
  plan.methods.forEach((m, i) => out.push(...checkMethod(m, ['methods', i])));
  const table = plan.conditions.filter((c) => !c.sweepOnly);
  table.forEach((c, i) => out.push(...checkCondition(c, ['conditions', i])));
  for (const c of plan.conditions.filter((c) => c.sweepOnly)) out.push(...checkCondition(c, ['sensitivity']));
  return out;
}

/** Throw one error listing every problem (file, line, key path, what was expected); nothing when the grid is valid. */
export function validatePlan(plan: Plan): void {
  const issues = gridIssues(plan);
  if (!issues.length) return;
  const line = plan.source ? yamlLineLocator(plan.source.text) : () => undefined;
  const located = issues.map((i) => ({ ...i, line: line(i.path) }));
  located.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)); // file order (stable for one line)
  throw new ConfigError(
    plan.source?.file ?? `experiment ${plan.experiment.name}`,
    located.map((i) => `${i.line ? `line ${i.line}: ` : ''}${formatPath(i.path)}: ${i.message}`),
  );
}
