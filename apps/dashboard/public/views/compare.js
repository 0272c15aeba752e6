// Compare two runs side by side: records, differing parameters and summaries, metric curves overlaid, and the
// pAUC_norm of every EDC curve either holds (an experiment counts its child runs).
import { api, append, chart, duration, emptyState, fmt, h, href, navigate, replace, select, statusBadge, table, when, withParams } from '../lib.js';

const MAX_PAUC_ROWS = 300;

export async function compareView(root, params) {
  const list = await api('runs', { limit: 500 });
  const title = h('h2', {}, 'Compare two runs');
  if (!list.runs.length) return void replace(root, title, emptyState('No runs to compare.', (await api('overview')).empty_hint));
  const a = params.get('a') ?? '';
  const b = params.get('b') ?? '';
  const all = params.get('all') === '1';
  const options = [{ value: '', label: '— pick a run —' }, ...list.runs.map((r) => ({ value: r.id, label: `${r.kind} · ${r.name ?? r.id} · ${(r.started_at ?? '').slice(0, 16).replace('T', ' ')}` }))];
  const go = (changes) => navigate('compare', withParams(params, changes));
  replace(root, 
    title,
    h(
      'div',
      { class: 'controls' },
      select('A', options, a, (v) => go({ a: v || undefined }), { id: 'compare-a' }),
      select('B', options, b, (v) => go({ b: v || undefined }), { id: 'compare-b' }),
      h('label', { class: 'control inline' }, h('input', { type: 'checkbox', checked: all, onchange: (e) => go({ all: e.target.checked ? '1' : undefined }) }), ' show equal parameters too'),
    ),
  );
  if (!a || !b) return void append(root, emptyState('Pick two runs (e.g. two experiments, or two training runs).'));
  const d = await api('compare', { a, b });

  const card = (side, r) =>
    h('div', { class: 'card' }, h('h3', {}, `${side}: `, h('a', { href: href('runs', { run: r.id }) }, r.name ?? r.id)), h('p', {}, `${r.kind} `, statusBadge(r.status), ` · ${when(r.started_at)} · ${duration(r)} · code ${r.code_version}`));
  const diff = (rows) =>
    table(
      [
        { label: 'key', cell: (p) => p.key },
        { label: 'A', cell: (p) => fmt(p.a, 6), cellClass: (p) => (p.same ? '' : 'differs') },
        { label: 'B', cell: (p) => fmt(p.b, 6), cellClass: (p) => (p.same ? '' : 'differs') },
      ],
      all ? rows : rows.filter((p) => !p.same),
      { class: 'diff' },
    );
  const differing = d.params.filter((p) => !p.same).length;
  append(root, 
    h('div', { class: 'side-by-side' }, card('A', d.a), card('B', d.b)),
    h('h3', {}, `Parameters (${differing} of ${d.params.length} differ)`),
    differing || all ? diff(d.params) : h('p', { class: 'note' }, 'identical parameters'),
    d.summary.length ? [h('h3', {}, 'Summary'), diff(d.summary)] : null,
  );
  if (d.metrics.length) {
    append(root, 
      h('h3', {}, 'Metrics (last value)'),
      table(
        [
          { label: 'metric', cell: (m) => m.name },
          { label: 'A', class: 'num', cell: (m) => fmt(m.a, 5) },
          { label: 'B', class: 'num', cell: (m) => fmt(m.b, 5) },
        ],
        d.metrics,
      ),
    );
    const charts = h('div', { class: 'charts' });
    append(root, charts);
    for (const c of d.charts) {
      const el = h('div', { class: 'chart' });
      charts.append(el);
      await chart(el, c.spec);
    }
  }
  if (d.pauc.length) {
    const both = d.pauc.filter((p) => p.a !== null && p.b !== null);
    const rows = (both.length ? both : d.pauc).slice(0, MAX_PAUC_ROWS);
    append(root, 
      h('h3', {}, `pAUC_norm (${both.length} curves in both, ${d.pauc.length - both.length} in one only)`),
      table(
        [
          ...['dataset', 'fr_model', 'condition', 'method', 'mode'].map((k) => ({ label: k.replace('_', ' '), cell: (p) => p[k] ?? '—' })),
          { label: 'setting', cell: (p) => `${p.error_type} @ ${p.operating_point} ${p.operating_value}` },
          { label: 'L', class: 'num', cell: (p) => p.discard_limit },
          { label: 'A', class: 'num', cell: (p) => fmt(p.a) },
          { label: 'B', class: 'num', cell: (p) => fmt(p.b) },
          { label: 'B − A', class: 'num', cell: (p) => (p.a !== null && p.b !== null ? (p.b - p.a >= 0 ? '+' : '') + (p.b - p.a).toFixed(3) : '—'), cellClass: (p) => (p.a !== null && p.b !== null ? (p.b < p.a ? 'num better' : p.b > p.a ? 'num worse' : 'num') : 'num') },
        ],
        rows,
        { id: 'compare-pauc' },
      ),
      rows.length < (both.length || d.pauc.length) ? h('p', { class: 'note' }, `first ${rows.length} rows shown`) : null,
    );
  }
}
