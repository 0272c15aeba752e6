/**
 * The reading order of `alignment_stability` rows, shared by `aikd report` and the dashboard: each teacher directly
 * followed by its students, the other methods in between by name. A SQL `order by` tail over the view's columns
 * (callers put their grouping columns, e.g. dataset and condition, first).
 */
export const TEACHER_BESIDE_STUDENT_ORDER = `coalesce(teacher, method), role = 'student', method`;
