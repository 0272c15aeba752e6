// pAUC tables in the paper's layout: rows FR model × method, columns datasets + mean pAUC_norm, each with its
// bootstrap interval and an honest rank (shared, "1=", unless the difference is significant); the paper's value
// beside ours where it has one, with whether it lies inside our interval; the published table's own problems; a
// chart with error bars (method × FR model); CSV download.
import { api, apiUrl, append, chart, emptyState, h, navigate, replace, select, withParams } from '../lib.js';
import { chosenSetting, experimentSelect, modeToggle, pick, settingSelect } from './common.js';

const rankText = (c) => (c.rank === null ? '' : `${c.rank}${c.shared ? '=' : ''}`);
const interval = (ci) => (ci ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : '');

export async function paucView(root, params) {
  const experiment = params.get('experiment') || undefined;
  const opts = await api('edc/options', { experiment });
  const go = (changes) => navigate('pauc', withParams(params, changes));
  const title = h('h2', {}, 'pAUC tables');
  const scope = opts.experiments.length ? experimentSelect(opts.experiments, experiment, (v) => go({ experiment: v })) : null;
  if (opts.empty) return void replace(root, title, h('div', { class: 'controls' }, scope), emptyState('No EDC results yet.', opts.empty_hint));

  const condition = pick(params.get('condition'), opts.conditions, 'proper', 'aligned');
  const mode = pick(params.get('mode'), opts.modes, 'iso');
  const setting = chosenSetting(params, opts.settings);
  const limit = Number(pick(params.get('discard_limit'), opts.discard_limits, 0.3));
  const query = { experiment, condition, mode, error: setting.error, op: setting.op, op_value: setting.op_value, pair_quality: setting.pair_quality, discard_limit: limit };
  const t = await api('pauc', query);

  const controls = h(
    'div',
    { class: 'controls' },
    scope,
    select('test condition', opts.conditions, condition, (v) => go({ condition: v }), { id: 'pauc-condition' }),
    modeToggle(opts.modes, mode, (v) => go({ mode: v })),
    settingSelect(opts.settings, setting, (s) => go({ error: s.error, op: s.op, op_value: s.op_value, pair_quality: s.pair_quality })),
    select('discard limit', opts.discard_limits.map(String), String(limit), (v) => go({ discard_limit: v })),
    h('a', { class: 'button', id: 'pauc-csv', href: apiUrl('pauc', { ...query, format: 'csv' }), download: '' }, 'download CSV'),
  );
  replace(root, title, controls);
  if (!t.rows.length) return void append(root, emptyState('No pAUC values for this selection.'));

  const showPaper = t.paper.applies && t.rows.some((r) => [...r.cells, r.mean].some((c) => c.paper !== null));
  const cell = (c) =>
    h(
      'td',
      { class: `num${c.rank === 1 ? ` rank rank1${c.shared ? ' shared' : ''}` : ''}`, title: c.rank === null ? null : c.rank === 1 && !c.shared ? 'best: significantly better than every other method' : c.shared ? `rank ${c.rank}, shared (differences within noise)` : `rank ${c.rank}` },
      c.ours === null ? '—' : c.ours.toFixed(3),
      c.ci ? h('span', { class: 'ci' }, ` ${interval(c.ci)}`) : null,
      c.rank !== null ? h('sup', { class: 'rank-mark' }, rankText(c)) : null,
      showPaper && c.paper !== null
        ? h('span', { class: `paper${c.vsPaper?.inside === false ? ' outside' : ''}`, title: c.vsPaper ? `ours − paper ${c.vsPaper.diff.toFixed(3)}${c.vsPaper.ci ? ` ${interval(c.vsPaper.ci)}` : ''}` : 'paper' }, ` (${c.paper.toFixed(3)}${c.vsPaper?.inside === null || c.vsPaper === null ? '' : c.vsPaper.inside ? ' ✓' : ' ✗'})`)
        : null,
    );
  const blocks = Object.groupBy ? Object.groupBy(t.rows, (r) => r.fr_model) : t.rows.reduce((g, r) => ((g[r.fr_model] ??= []).push(r), g), {});
  const flagged = new Set(t.paper.checks.filter((i) => i.kind === 'identical_rows' && i.condition === condition).flatMap((i) => i.methods.map((m) => `${i.fr_model}|${m}`)));
  const body = Object.values(blocks).flatMap((rows) =>
    rows.map((r, i) =>
      h(
        'tr',
        { class: i === 0 ? 'block-start' : null },
        i === 0 ? h('th', { rowspan: rows.length, scope: 'rowgroup' }, r.fr_model_name) : null,
        h('th', { scope: 'row' }, r.method_name, showPaper && flagged.has(`${r.fr_model}|${r.method}`) ? h('span', { class: 'flag', title: "the paper's row is identical to another method's" }, ' ‡') : null),
        r.cells.map((c) => cell(c)),
        cell(r.mean),
      ),
    ),
  );
  const chartEl = t.spec ? h('div', { id: 'pauc-chart', class: 'chart' }) : null;
  append(root,
    h(
      'table',
      { class: 'pauc', id: 'pauc-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'FR model'), h('th', {}, 'method'), t.datasets.map((d) => h('th', { class: 'num' }, d.name)), h('th', { class: 'num' }, 'mean'))),
      h('tbody', {}, body),
    ),
    h(
      'p',
      { class: 'note' },
      `pAUC_norm at discard limit ${limit} (1 = discarding did not help; lower is better). `,
      t.bootstrap
        ? `[lo, hi]: ${Math.round(t.bootstrap.level * 100)}% ${t.bootstrap.unit === 'identity' ? 'identity-cluster' : 'pair-level (identities unknown)'} bootstrap interval, ${t.bootstrap.replicates} replicates. `
        : 'No intervals stored for these results. ',
      t.ranking === 'significance'
        ? 'Rank = 1 + the methods of the same FR model significantly better in that column (paired bootstrap, Holm); "1=" = shared. '
        : 'Ranks by value only (no bootstrap replicates). ',
      h('span', { class: 'rank rank1' }, 'best'), ' only when significantly better than every other method. ',
      showPaper ? `${t.paper.note}; ✓/✗ = the paper's value inside/outside our interval. ` : t.paper.applies ? '' : `${t.paper.note}. `,
      'A mean is shown when the row has every dataset.',
    ),
    showPaper && t.paper.checks.length
      ? h(
          'details',
          { class: 'paper-checks', id: 'paper-checks', open: true },
          h('summary', {}, `The published table has ${t.paper.checks.length} problem(s)`),
          h('ul', {}, t.paper.checks.map((i) => h('li', {}, i.detail))),
        )
      : null,
    chartEl,
  );
  if (chartEl) await chart(chartEl, t.spec);
}
