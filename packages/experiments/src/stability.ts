/**
 * Alignment stability (AI-KD's claim, measured on every experiment with a proper and a misaligned condition): for
 * each method, x the aligned and x̃ the misaligned crop of the same test image,
 *
 * - Spearman(q(x̃), t(x)): a student against its teacher's quality of the aligned crop (what AI-KD trains it to
 *   give); a method that is not a student is its own reference, so for a teacher this is Spearman(t(x̃), t(x));
 * - Spearman(q(x̃), q(x)) for every method;
 * - mean |q(x̃) − q(x)| in teacher-normalised units: divided by the teacher's quality std on the aligned crops. A
 *   student's quality is its teacher's, min-max normalised on the training split (student.json), so its shift is
 *   mapped back by (max − min) first; a method that is not a student (or a student whose normalisation is unknown)
 *   is divided by its own std, and the row says which (`shift_scale`);
 * - Δ pAUC_norm = misaligned − proper per FR model and EDC setting, with the percentile interval of the paired
 *   bootstrap difference where both curves have replicates from the same resamples (same comparisons, same seed).
 *
 * A student knows its teacher from its method spec (`teacher:` in the experiment) or, for an already-trained
 * `aikd:<run>`, from the run's student.json (labels' method and FR model).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { log } from '@aikd/core';
import { withRun, readRunRecord, runsDir } from '@aikd/results';
import { limitKey, pairedDifference, type EdcResult } from '@aikd/edc';
import { spearman } from '@aikd/teachers';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import type { AlignmentStabilityRow } from '@aikd/results';
import { safeKey, type Plan, type MethodSpec, type ConditionSpec, type DatasetSpec } from './plan.ts';
import { unitRunId, unitTable } from './units.ts';
import { embedKey, readComparisonsTable, readScores, scoreKey, type Comparisons } from './evaluate.ts';

/** The unit run id of the stability table. */
export const STABILITY_KEY = 'alignment-stability';

/** The proper condition of a plan (procedure `proper`, no parameters), if it has one. */
export const properCondition = (plan: Plan): ConditionSpec | undefined => plan.conditions.find((c) => c.procedure === 'proper' && Object.keys(c.params).length === 0);

/** Whether a method distils a teacher (its descriptor says so; `aikd:<run>` is a trained one). */
export const isStudent = (m: Pick<MethodSpec, 'id' | 'teacher'>): boolean => !!m.teacher || !!methodCatalogue.get(m.id.split(':')[0]!)?.needs.teacher;

interface StudentNormalisation {
  method: string;
  frModel?: string;
  min: number;
  max: number;
}

/** student.json of the run a score unit's method resolved to (`aikd:<run-id>`), if there is one. */
function studentInfo(plan: Plan, ds: DatasetSpec, proper: ConditionSpec, m: MethodSpec, root?: string): StudentNormalisation | undefined {
  let id = m.id;
  const rec = join(runsDir(root), unitRunId(plan, scoreKey(ds, proper, m)), 'run.json');
  if (existsSync(rec)) {
    const resolved = (readRunRecord(rec).summary as { method_id?: unknown } | undefined)?.method_id;
    if (typeof resolved === 'string') id = resolved;
  }
  if (!id.includes(':')) return undefined;
  const file = join(runsDir(root), id.slice(id.indexOf(':') + 1), 'student.json');
  if (!existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(file, 'utf8')) as { labels?: { method?: string; frModel?: string; min?: number; max?: number } };
  const l = info.labels;
  return l && typeof l.min === 'number' && typeof l.max === 'number' && typeof l.method === 'string' ? { method: l.method, frModel: l.frModel, min: l.min, max: l.max } : undefined;
}

/** The experiment's method that is this student's teacher: by its spec, else by the trained run's labels. */
function teacherOf(plan: Plan, m: MethodSpec, info: StudentNormalisation | undefined): MethodSpec | undefined {
  if (m.teacher) return plan.methods.find((x) => x.key === m.teacher!.key) ?? plan.methods.find((x) => x.label === m.teacher!.label);
  if (!info) return undefined;
  return plan.methods.find((x) => !isStudent(x) && x.id === info.method && (!info.frModel || x.frModel === info.frModel));
}

/** Sample standard deviation (n − 1). */
function std(x: readonly number[]): number {
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  return Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / (x.length - 1));
}

const sameStrings = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
const sameInts = (x: ArrayLike<number> | undefined, y: ArrayLike<number> | undefined) => {
  if (!x || !y) return !x && !y;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};
/** Two cells' bootstrap replicates pair up when they resample the same comparisons (pairs, labels, identities). */
const samePairs = (p: Comparisons, q: Comparisons) => sameStrings(p.a, q.a) && sameStrings(p.b, q.b) && sameInts(p.mated, q.mated) && sameInts(p.identityA, q.identityA) && sameInts(p.identityB, q.identityB);

export interface QualityStability {
  images: number;
  spearmanTeacher: number | null;
  spearmanSelf: number | null;
  meanAbsShift: number | null;
  shiftScale: 'teacher σ' | 'own σ';
}

/**
 * The quality numbers of one method under one misalignment. `teacherAligned` is the teacher's quality of the aligned
 * crops (undefined for a non-student: the method is its own reference); `labelRange` is a student's max − min of the
 * teacher qualities its labels were min-max normalised with (its shift is divided by the teacher's std in that
 * scale), or undefined to divide by the method's own std.
 */
export function qualityStability(aligned: ReadonlyMap<string, number>, misaligned: ReadonlyMap<string, number>, teacherAligned: ReadonlyMap<string, number> | undefined, labelRange: number | undefined): QualityStability {
  const ids = [...aligned.keys()].filter((id) => Number.isFinite(aligned.get(id)!) && Number.isFinite(misaligned.get(id) ?? NaN) && (!teacherAligned || Number.isFinite(teacherAligned.get(id) ?? NaN)));
  const q = ids.map((id) => aligned.get(id)!);
  const qt = ids.map((id) => misaligned.get(id)!);
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  if (ids.length < 3) return { images: ids.length, spearmanTeacher: null, spearmanSelf: null, meanAbsShift: null, shiftScale: labelRange !== undefined && teacherAligned ? 'teacher σ' : 'own σ' };
  const t = teacherAligned ? ids.map((id) => teacherAligned.get(id)!) : q;
  const shift = ids.reduce((a, _, i) => a + Math.abs(qt[i]! - q[i]!), 0) / ids.length;
  const teacherScale = labelRange !== undefined && labelRange > 0 && teacherAligned ? std(t) / labelRange : undefined;
  const scale = teacherScale ?? std(q);
  return {
    images: ids.length,
    spearmanTeacher: finite(spearman(qt, t)),
    spearmanSelf: finite(spearman(qt, q)),
    meanAbsShift: scale > 0 ? shift / scale : null,
    shiftScale: teacherScale !== undefined ? 'teacher σ' : 'own σ',
  };
}

/** The rows of the alignment-stability table (empty without a proper and a misaligned condition). */
export function alignmentStabilityRows(plan: Plan, byCell: ReadonlyMap<string, EdcResult[]>, root?: string): AlignmentStabilityRow[] {
  const proper = properCondition(plan);
  const misaligned = plan.conditions.filter((c) => c !== proper);
  if (!proper || !misaligned.length) return [];
  const e = plan.experiment.edc;
  const students = plan.methods.filter(isStudent);
  const rows: AlignmentStabilityRow[] = [];
  for (const ds of plan.datasets) {
    const scores = (c: ConditionSpec, m: MethodSpec) => {
      const t = unitTable(plan, scoreKey(ds, c, m), 'scores', root);
      return t ? readScores(t) : undefined;
    };
    const comparisons = new Map<string, Comparisons | undefined>();
    const pairsOf = (c: ConditionSpec, fr: string) => {
      const k = `${c.name}\u0001${fr}`;
      if (!comparisons.has(k)) {
        const t = unitTable(plan, embedKey(ds, c, fr), 'comparisons', root);
        comparisons.set(k, t ? readComparisonsTable(t) : undefined);
      }
      return comparisons.get(k);
    };
    // each student's trained run (its label normalisation) and teacher, once
    const infos = new Map(students.map((s) => [s.label, studentInfo(plan, ds, proper, s, root)] as const));
    const teachers = new Map(students.map((s) => [s.label, teacherOf(plan, s, infos.get(s.label))] as const));
    for (const m of plan.methods) {
      const student = isStudent(m);
      const info = infos.get(m.label);
      const teacher = teachers.get(m.label);
      if (student && !teacher)
        log.warn(
          m.teacher || info
            ? `alignment stability: the teacher of ${m.label} (${m.teacher?.label ?? info!.method}) is not among the experiment's methods, so its Spearman against the teacher is not computed (add the teacher to methods:)`
            : `alignment stability: the teacher of ${m.label} is unknown (no teacher: in the experiment, no student.json in its run): only its own stability is computed`,
        );
      const role = student ? 'student' : [...teachers.values()].includes(m) ? 'teacher' : 'method';
      const aligned = scores(proper, m);
      const teacherAligned = teacher ? scores(proper, teacher) : undefined;
      for (const c of misaligned) {
        const moved = scores(c, m);
        const self = aligned && moved ? qualityStability(aligned, moved, undefined, undefined) : undefined;
        const vsTeacher = !student ? self : aligned && moved && teacherAligned ? qualityStability(aligned, moved, teacherAligned, info ? info.max - info.min : undefined) : undefined;
        const q: QualityStability = {
          images: vsTeacher?.images ?? self?.images ?? 0,
          spearmanTeacher: vsTeacher?.spearmanTeacher ?? null,
          spearmanSelf: vsTeacher?.spearmanSelf ?? self?.spearmanSelf ?? null,
          meanAbsShift: vsTeacher?.meanAbsShift ?? self?.meanAbsShift ?? null,
          shiftScale: vsTeacher?.shiftScale ?? 'own σ',
        };
        for (const fr of plan.experiment.fr_models) {
          const base = byCell.get(`edc.${safeKey(ds.key)}.${safeKey(proper.name)}.${safeKey(fr)}`) ?? [];
          const off = byCell.get(`edc.${safeKey(ds.key)}.${safeKey(c.name)}.${safeKey(fr)}`) ?? [];
          const pairs = [pairsOf(proper, fr), pairsOf(c, fr)];
          const paired = !!pairs[0] && !!pairs[1] && samePairs(pairs[0], pairs[1]);
          for (const mode of e.modes)
            for (const fmr of e.fmr) {
              const find = (rs: EdcResult[]) => rs.find((r) => r.method === m.label && r.mode === mode && r.operatingPoint.value === fmr);
              const [rp, rm] = [find(base), find(off)];
              if (!rp && !rm && !moved) continue;
              for (const limit of e.discard_limits) {
                const k = limitKey(limit);
                const a = rp?.paucNorm[k] ?? null, b = rm?.paucNorm[k] ?? null;
                const sa = rp?.intervals?.samples.paucNorm[k], sb = rm?.intervals?.samples.paucNorm[k];
                const d = a !== null && b !== null && paired && sa && sb && sa.length === sb.length && rp!.intervals!.seed === rm!.intervals!.seed ? pairedDifference(b, a, sb, sa) : undefined;
                rows.push({
                  dataset: ds.key,
                  fr_model: fr,
                  method: m.label,
                  role,
                  teacher: teacher?.label ?? (student ? (m.teacher?.label ?? info?.method ?? null) : null),
                  condition: c.name,
                  procedure: c.procedure,
                  strength: c.strength ?? null,
                  images: q.images,
                  spearman_teacher: q.spearmanTeacher,
                  spearman_self: q.spearmanSelf,
                  mean_abs_shift: q.meanAbsShift,
                  shift_scale: q.shiftScale,
                  pauc_norm_proper: a,
                  pauc_norm_misaligned: b,
                  delta_pauc_norm: a !== null && b !== null ? b - a : null,
                  delta_lo: d?.interval?.[0] ?? null,
                  delta_hi: d?.interval?.[1] ?? null,
                  mode,
                  fmr,
                  discard_limit: limit,
                });
              }
            }
        }
      }
    }
  }
  return rows;
}

/** The rows as the `alignment_stability` Arrow table. */
export function alignmentStabilityTable(rows: readonly AlignmentStabilityRow[]) {
  const col = <K extends keyof AlignmentStabilityRow>(k: K) => rows.map((r) => r[k]);
  const utf8 = (k: keyof AlignmentStabilityRow) => arrow.vectorFromArray(col(k) as (string | null)[], new arrow.Utf8());
  const f64 = (k: keyof AlignmentStabilityRow) => arrow.vectorFromArray(col(k) as (number | null)[], new arrow.Float64());
  return new arrow.Table({
    dataset: utf8('dataset'),
    fr_model: utf8('fr_model'),
    method: utf8('method'),
    role: utf8('role'),
    teacher: utf8('teacher'),
    condition: utf8('condition'),
    procedure: utf8('procedure'),
    strength: f64('strength'),
    images: arrow.vectorFromArray(col('images'), new arrow.Int32()),
    spearman_teacher: f64('spearman_teacher'),
    spearman_self: f64('spearman_self'),
    mean_abs_shift: f64('mean_abs_shift'),
    shift_scale: utf8('shift_scale'),
    pauc_norm_proper: f64('pauc_norm_proper'),
    pauc_norm_misaligned: f64('pauc_norm_misaligned'),
    delta_pauc_norm: f64('delta_pauc_norm'),
    delta_lo: f64('delta_lo'),
    delta_hi: f64('delta_hi'),
    mode: utf8('mode'),
    fmr: f64('fmr'),
    discard_limit: f64('discard_limit'),
  });
}

/** Compute and write the table as the experiment's child run `<exp>.alignment-stability` (nothing without rows). */
export function writeAlignmentStability(plan: Plan, byCell: ReadonlyMap<string, EdcResult[]>, root?: string): number {
  const rows = alignmentStabilityRows(plan, byCell, root);
  if (!rows.length) return 0;
  const proper = properCondition(plan)!;
  withRun(
    {
      kind: 'alignment-stability',
      id: unitRunId(plan, STABILITY_KEY),
      parent: plan.id,
      name: STABILITY_KEY,
      root,
      params: {
        experiment: plan.experiment.name,
        proper: proper.name,
        misaligned: plan.conditions.filter((c) => c !== proper).map((c) => c.name),
        definitions: {
          spearman_teacher: 'Spearman(q(x̃), t(x)); t = the teacher for a student, the method itself otherwise',
          spearman_self: 'Spearman(q(x̃), q(x))',
          mean_abs_shift: 'mean |q(x̃) − q(x)| / σ; σ = the teacher\'s sample std on the aligned crops, in the student\'s label scale (teacher σ), or the method\'s own (own σ)',
          delta_pauc_norm: 'pAUC_norm(misaligned) − pAUC_norm(proper); interval: percentile interval of the paired bootstrap differences',
        },
      },
    },
    (run) => {
      run.writeTable('alignment_stability', alignmentStabilityTable(rows), {});
      run.finish({ rows: rows.length });
    },
  );
  return rows.length;
}
