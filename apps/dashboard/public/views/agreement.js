// Agreement of the FR models on the ranking of the FIQA methods: per test condition × dataset, Kendall τ-b between
// every two FR models' pAUC_norm over the methods they share (1 = same order, 0 = unrelated, −1 = reversed), their
// mean, and bootstrap intervals; a heat map per condition × dataset.
import { api, append, chart, emptyState, h, navigate, replace, select, table, withParams } from '../lib.js';
import { chosenSetting, experimentSelect, modeToggle, pick, settingSelect } from './common.js';

const interval = (ci) => (ci ? `[${ci[0].toFixed(2)}, ${ci[1].toFixed(2)}]` : '—');

export async function agreementView(root, params) {
  const experiment = params.get('experiment') || undefined;
  const opts = await api('edc/options', { experiment });
  const go = (changes) => navigate('agreement', withParams(params, changes));
  const title = h('h2', {}, 'Agreement of FR models on the ranking of methods');
  const scope = opts.experiments.length ? experimentSelect(opts.experiments, experiment, (v) => go({ experiment: v })) : null;
  if (opts.empty) return void replace(root, title, h('div', { class: 'controls' }, scope), emptyState('No EDC results yet.', opts.empty_hint));
  const mode = pick(params.get('mode'), opts.modes, 'iso');
  const setting = chosenSetting(params, opts.settings);
  const limit = Number(pick(params.get('discard_limit'), opts.discard_limits, 0.3));
  const res = await api('agreement', { experiment, mode, error: setting.error, op: setting.op, op_value: setting.op_value, pair_quality: setting.pair_quality, discard_limit: limit });
  replace(
    root,
    title,
    h(
      'div',
      { class: 'controls' },
      scope,
      modeToggle(opts.modes, mode, (v) => go({ mode: v })),
      settingSelect(opts.settings, setting, (s) => go({ error: s.error, op: s.op, op_value: s.op_value, pair_quality: s.pair_quality })),
      select('discard limit', opts.discard_limits.map(String), String(limit), (v) => go({ discard_limit: v })),
    ),
  );
  if (!res.agreement.length) return void append(root, emptyState('No condition × dataset with 2+ FR models sharing 3+ methods.'));
  const chartEl = h('div', { id: 'agreement-chart', class: 'chart' });
  append(root, chartEl);
  await chart(chartEl, res.spec);
  const rows = res.agreement.flatMap((a) => [
    ...a.pairs.map((p) => ({ condition: a.condition, dataset: a.dataset, pair: `${p.a} – ${p.b}`, tau: p.tau, ci: p.ci, mean: false })),
    { condition: a.condition, dataset: a.dataset, pair: `mean of ${a.pairs.length} pair${a.pairs.length > 1 ? "s" : ""} (${a.methods.length} methods)`, tau: a.mean.tau, ci: a.mean.ci, mean: true },
  ]);
  append(
    root,
    table(
      [
        { label: 'condition', cell: (r) => r.condition },
        { label: 'dataset', cell: (r) => r.dataset },
        { label: 'FR models', cell: (r) => (r.mean ? h('strong', {}, r.pair) : r.pair) },
        { label: 'τ-b', class: 'num', cell: (r) => (Number.isFinite(r.tau) ? r.tau.toFixed(2) : '—') },
        { label: res.bootstrap ? `${Math.round(res.bootstrap.level * 100)}% interval` : 'interval', class: 'num', cell: (r) => interval(r.ci) },
      ],
      rows,
      { id: 'agreement-table' },
    ),
    h('p', { class: 'note' }, 'Kendall τ-b of the methods\' pAUC_norm between two FR models (ties counted as scipy does). Intervals: the same bootstrap resamples for every FR model of a dataset and condition.'),
  );
}
