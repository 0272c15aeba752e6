// Alignment sensitivity: the stability of every method's quality under each misaligned condition (a student against
// its teacher, each teacher directly followed by its students) and what it does to pAUC_norm; for experiments with a
// sweep, pAUC_norm and Spearman ρ against the misalignment strength, procedures without a strength as a table.
import { api, append, chart, emptyState, fmt, h, navigate, replace, select, table, withParams } from '../lib.js';
import { experimentSelect, pick } from './common.js';

export async function sensitivityView(root, params) {
  const experiment = params.get('experiment') || undefined;
  const opts = await api('sensitivity/options', { experiment });
  const go = (changes) => navigate('sensitivity', withParams(params, changes));
  const title = h('h2', {}, 'Alignment sensitivity');
  const scope = opts.experiments.length ? experimentSelect(opts.experiments, experiment, (v) => go({ experiment: v })) : null;
  if (opts.empty) return void replace(root, title, h('div', { class: 'controls' }, scope), emptyState('No sensitivity results yet.', opts.empty_hint));

  const dataset = pick(params.get('dataset'), opts.datasets);
  const frModel = pick(params.get('fr_model'), opts.fr_models);
  const mode = pick(params.get('mode'), opts.modes, 'iso');
  const fmr = Number(pick(params.get('fmr'), opts.fmrs, 0.001));
  const limit = Number(pick(params.get('discard_limit'), opts.discard_limits, 0.3));
  const d = await api('sensitivity', { experiment, dataset, fr_model: frModel, mode, fmr, discard_limit: limit });
  replace(root, 
    title,
    h(
      'div',
      { class: 'controls' },
      scope,
      select('dataset', opts.datasets, dataset, (v) => go({ dataset: v })),
      select('FR model', opts.fr_models, frModel, (v) => go({ fr_model: v })),
      select('EDC mode', opts.modes, mode, (v) => go({ mode: v })),
      select('FMR', opts.fmrs.map(String), String(fmr), (v) => go({ fmr: v })),
      select('discard limit', opts.discard_limits.map(String), String(limit), (v) => go({ discard_limit: v })),
    ),
  );
  if (d.empty) return void append(root, emptyState('No sensitivity results for this selection.'));
  for (const condition of [...new Set(d.stability.map((r) => r.condition))]) append(root, ...stabilityTable(condition, d.stability.filter((r) => r.condition === condition), limit));
  if (d.stability_chart) {
    const el = h('div', { class: 'chart', id: 'stability-chart' });
    append(root, h('div', { class: 'charts' }, el));
    await chart(el, d.stability_chart.spec);
  }
  if (!d.rows.length) return;
  const charts = h('div', { class: 'charts', id: 'sensitivity-charts' });
  append(root, charts);
  for (const c of d.charts) {
    const el = h('div', { class: 'chart' });
    charts.append(el);
    await chart(el, c.spec);
  }
  if (d.fixed.length)
    append(root, 
      h('h3', {}, 'Other procedures'),
      table(
        [
          { label: 'method', cell: (r) => r.method },
          { label: 'procedure', cell: (r) => r.procedure },
          { label: 'Spearman ρ', class: 'num', cell: (r) => fmt(r.spearman_rho) },
          { label: `pAUC_norm@${limit}`, class: 'num', cell: (r) => fmt(r.pauc_norm) },
        ],
        d.fixed,
      ),
    );
  append(root, h('p', { class: 'note' }, 'ρ near 1: the method scores a misaligned face as it scores the aligned one (alignment-invariant). pAUC_norm: lower is better.'));
}

const signed = (x) => (x === null || x === undefined ? '—' : `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`);

/** One misaligned condition: the quality's stability and Δ pAUC_norm per method, teacher rows followed by their students'. */
function stabilityTable(condition, rows, limit) {
  return [
    h('h3', {}, `Alignment stability — ${condition} vs proper`),
    table(
      [
        { label: 'method', cell: (r) => (r.role === 'student' ? `↳ ${r.method}` : r.method) },
        { label: 'role', cell: (r) => r.role },
        { label: 'teacher', cell: (r) => r.teacher ?? '' },
        { label: 'images', class: 'num', cell: (r) => fmt(r.images) },
        { label: 'ρ(q(x̃), t(x))', class: 'num', cell: (r) => fmt(r.spearman_teacher) },
        { label: 'ρ(q(x̃), q(x))', class: 'num', cell: (r) => fmt(r.spearman_self) },
        { label: 'mean |Δq| / σ', class: 'num', cell: (r) => `${fmt(r.mean_abs_shift)}${r.role === 'student' && r.shift_scale !== 'teacher σ' ? ' (own σ)' : ''}` },
        { label: `pAUC_norm@${limit} proper`, class: 'num', cell: (r) => fmt(r.pauc_norm_proper) },
        { label: condition, class: 'num', cell: (r) => fmt(r.pauc_norm_misaligned) },
        { label: 'Δ pAUC_norm', class: 'num', cell: (r) => h('span', {}, signed(r.delta_pauc_norm), r.delta_lo === null ? null : h('span', { class: 'ci' }, ` [${signed(r.delta_lo)}, ${signed(r.delta_hi)}]`)) },
      ],
      rows,
      { class: 'stability', id: `stability-${condition}` },
      (r) => r.role,
    ),
    h(
      'p',
      { class: 'note' },
      'x: the aligned crop, x̃: the misaligned crop of the same image. t: the teacher for a student (AI-KD trains it to give t(x) from x̃), the method itself otherwise. ' +
        "ρ near 1: the ranking survives misalignment. |Δq| in units of the teacher's quality std on aligned crops. Δ = misaligned − proper pAUC_norm (lower is better, so > 0: misalignment hurts), with the paired bootstrap interval.",
    ),
  ];
}
