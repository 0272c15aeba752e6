// pAUC tables in the paper's layout: rows FR model × method, columns datasets + mean pAUC_norm; the best, second
// and third of each column within an FR model marked; the paper's value beside ours where it has one; CSV download.
import { api, apiUrl, append, emptyState, h, navigate, replace, select, withParams } from '../lib.js';
import { chosenSetting, experimentSelect, modeToggle, pick, settingSelect } from './common.js';

const RANK_TITLE = { 1: 'best', 2: 'second', 3: 'third' };

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
  const cell = (c, digits = 3) =>
    h(
      'td',
      { class: `num${c.rank ? ` rank rank${c.rank}` : ''}`, title: c.rank ? RANK_TITLE[c.rank] : null },
      c.ours === null ? '—' : c.ours.toFixed(digits),
      showPaper && c.paper !== null ? h('span', { class: 'paper', title: 'paper' }, ` (${c.paper.toFixed(3)})`) : null,
    );
  const blocks = Object.groupBy ? Object.groupBy(t.rows, (r) => r.fr_model) : t.rows.reduce((g, r) => ((g[r.fr_model] ??= []).push(r), g), {});
  const body = Object.values(blocks).flatMap((rows) =>
    rows.map((r, i) =>
      h(
        'tr',
        { class: i === 0 ? 'block-start' : null },
        i === 0 ? h('th', { rowspan: rows.length, scope: 'rowgroup' }, r.fr_model_name) : null,
        h('th', { scope: 'row' }, r.method_name),
        r.cells.map((c) => cell(c)),
        cell(r.mean),
      ),
    ),
  );
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
      h('span', { class: 'rank rank1' }, 'best'), ' ', h('span', { class: 'rank rank2' }, 'second'), ' ', h('span', { class: 'rank rank3' }, 'third'),
      ' within each FR model. ',
      t.paper.applies && !showPaper ? '' : `${t.paper.note}. `,
      'A mean is shown when the row has every dataset.',
    ),
  );
}
