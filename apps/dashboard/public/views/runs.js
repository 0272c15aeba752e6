// Runs: experiments, training and evaluation runs — filter by kind / status / text, one run's record in full.
import { api, duration, emptyState, fmt, h, href, navigate, replace, select, statusBadge, table, when, withParams } from '../lib.js';

const PAGE = 50;

export async function runsView(root, params) {
  const go = (changes) => navigate('runs', withParams(params, { offset: undefined, ...changes }));
  const offset = Number(params.get('offset') ?? 0) || 0;
  const list = await api('runs', {
    kind: params.get('kind') || undefined,
    status: params.get('status') || undefined,
    q: params.get('q') || undefined,
    parent: params.get('parent') || undefined,
    limit: PAGE,
    offset,
  });
  const filtered = ['kind', 'status', 'q', 'parent'].some((k) => params.get(k));
  const overview = !filtered && list.total === 0 ? await api('overview') : null;

  const search = h('input', { type: 'search', placeholder: 'search id, name, params…', value: params.get('q') ?? '', 'aria-label': 'search' });
  search.addEventListener('change', () => go({ q: search.value || undefined }));
  const controls = h(
    'div',
    { class: 'controls' },
    select('kind', ['', ...list.kinds.map((k) => k.kind)].map((k) => ({ value: k, label: k || 'all kinds' })), params.get('kind') ?? '', (v) => go({ kind: v || undefined })),
    select('status', ['', ...list.statuses.map((s) => s.status)].map((s) => ({ value: s, label: s || 'any status' })), params.get('status') ?? '', (v) => go({ status: v || undefined })),
    h('label', { class: 'control' }, h('span', {}, 'search'), search),
    params.get('parent') ? h('span', { class: 'chip' }, `children of ${params.get('parent')} `, h('a', { href: href('runs', withParams(params, { parent: undefined, offset: undefined })) }, '✕')) : null,
  );

  const detail = params.get('run') ? await runDetail(params.get('run'), params) : null;
  const runLink = (r) => h('a', { href: href('runs', withParams(params, { run: r.id })) }, r.id);
  const body = overview
    ? emptyState('No runs in the results folder.', overview.empty_hint)
    : list.runs.length === 0
      ? emptyState('No runs match this filter.')
      : h(
          'div',
          {},
          table(
            [
              { label: 'run', cell: runLink },
              { label: 'kind', cell: (r) => r.kind },
              { label: 'name', cell: (r) => r.name ?? '' },
              { label: 'status', cell: (r) => statusBadge(r.status) },
              { label: 'started', cell: (r) => when(r.started_at) },
              { label: 'duration', class: 'num', cell: (r) => duration(r) },
              { label: 'children', class: 'num', cell: (r) => (r.children ? h('a', { href: href('runs', { parent: r.id }) }, String(r.children)) : '') },
              { label: 'files', class: 'num', cell: (r) => fmt(r.n_artifacts) },
            ],
            list.runs,
            { class: 'runs' },
            (r) => (r.id === params.get('run') ? 'selected' : null),
          ),
          h(
            'p',
            { class: 'pager' },
            `${offset + 1}–${offset + list.runs.length} of ${list.total} `,
            offset > 0 ? h('a', { href: href('runs', withParams(params, { offset: Math.max(0, offset - PAGE) || undefined })) }, '← newer') : null,
            ' ',
            offset + PAGE < list.total ? h('a', { href: href('runs', withParams(params, { offset: offset + PAGE })) }, 'older →') : null,
          ),
        );
  replace(root, h('h2', {}, 'Runs'), controls, h('div', { class: detail ? 'split' : '' }, h('div', {}, body), detail));
}

async function runDetail(id, params) {
  let d;
  try {
    d = await api(`runs/${encodeURIComponent(id)}`);
  } catch (e) {
    return h('aside', { class: 'detail' }, h('p', { class: 'error' }, e.message));
  }
  const r = d.run;
  const close = h('a', { class: 'close', href: href('runs', withParams(params, { run: undefined })), title: 'close' }, '✕');
  const hasEdc = (r.artifacts ?? []).some((a) => a.kind === 'edc_summary') || d.children.some((c) => c.kind === 'edc');
  return h(
    'aside',
    { class: 'detail', id: 'run-detail' },
    close,
    h('h3', {}, r.name ?? r.id),
    h(
      'dl',
      {},
      ...[
        ['id', r.id],
        ['kind', r.kind],
        ['status', statusBadge(r.status)],
        ['parent', d.parent ? h('a', { href: href('runs', { run: d.parent.id }) }, `${d.parent.kind} ${d.parent.name ?? d.parent.id}`) : '—'],
        ['started', when(r.started_at)],
        ['ended', when(r.ended_at)],
        ['duration', duration(r)],
        ['code version', r.code_version],
        ['config hash', r.config_hash],
        ['backend', r.backend ?? '—'],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    r.error ? h('p', { class: 'error' }, r.error) : null,
    h(
      'p',
      { class: 'actions' },
      d.metrics.length ? h('a', { href: href('training', { run: r.id }) }, 'training curves') : null,
      hasEdc && r.kind === 'experiment' ? h('a', { href: href('edc', { experiment: r.id }) }, 'EDC curves') : null,
      hasEdc && r.kind === 'experiment' ? h('a', { href: href('pauc', { experiment: r.id }) }, 'pAUC table') : null,
      h('a', { href: href('compare', { a: r.id }) }, 'compare with…'),
    ),
    d.children.length
      ? h('details', { open: true }, h('summary', {}, `${d.children.length} child runs`), table(
          [
            { label: 'run', cell: (c) => h('a', { href: href('runs', withParams(params, { run: c.id })) }, c.name ?? c.id) },
            { label: 'kind', cell: (c) => c.kind },
            { label: 'status', cell: (c) => statusBadge(c.status) },
            { label: 'duration', class: 'num', cell: (c) => duration(c) },
          ],
          d.children,
        ))
      : null,
    h('details', { open: true }, h('summary', {}, 'params'), h('pre', {}, JSON.stringify(r.params, null, 2))),
    r.summary ? h('details', {}, h('summary', {}, 'summary'), h('pre', {}, JSON.stringify(r.summary, null, 2))) : null,
    r.artifacts?.length
      ? h('details', {}, h('summary', {}, `${r.artifacts.length} files`), h('ul', {}, r.artifacts.map((a) => h('li', {}, `${a.path} (${a.kind}${a.rows !== undefined && a.rows !== null ? `, ${fmt(a.rows)} rows` : ''})`))))
      : null,
    d.metrics.length ? h('details', {}, h('summary', {}, `${d.metrics.length} metrics`), h('ul', {}, d.metrics.map((m) => h('li', {}, `${m.name}: ${m.n} values, last ${fmt(m.last, 4)}`)))) : null,
  );
}
