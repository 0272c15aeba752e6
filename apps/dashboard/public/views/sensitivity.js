// Alignment sensitivity: pAUC_norm and Spearman ρ (scores on aligned vs misaligned images) against the
// misalignment strength, per method; procedures without a strength as a table.
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
