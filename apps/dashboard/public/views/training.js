// Training: a run's metric series per step — each loss term for training and validation, learning rates, gradient
// norm, … — with the checkpoint the training chose marked, and its learning-rate search (loss against lr) if any.
import { api, append, chart, emptyState, fmt, h, href, navigate, replace, select, table } from '../lib.js';

export async function trainingView(root, params) {
  const list = await api('runs', { has_metrics: 1, limit: 500 });
  const title = h('h2', {}, 'Training');
  if (!list.runs.length)
    return void replace(root, title, emptyState('No run has logged metrics yet.', 'no results yet — run `pnpm aikd run experiments/quickstart.yaml` (its AI-KD students log loss, validation loss and learning rates)'));
  const id = params.get('run') && list.runs.some((r) => r.id === params.get('run')) ? params.get('run') : (list.runs.find((r) => r.kind === 'train') ?? list.runs[0]).id;
  const label = (r) => `${r.kind} · ${r.name ?? r.id} · ${(r.started_at ?? '').slice(0, 16).replace('T', ' ')}`;
  const d = await api(`runs/${encodeURIComponent(id)}/metrics`);
  const charts = h('div', { class: 'charts', id: 'training-charts' });
  replace(root, 
    title,
    h(
      'div',
      { class: 'controls' },
      select('run', list.runs.map((r) => ({ value: r.id, label: label(r) })), id, (v) => navigate('training', { run: v }), { id: 'training-run' }),
      h('a', { href: href('runs', { run: id }) }, 'run record'),
    ),
    charts,
  );
  const facts = [];
  if (d.checkpoint) facts.push(`chosen checkpoint: step ${d.checkpoint.step}${d.checkpoint.val_loss === null ? '' : ` (validation criterion ${fmt(d.checkpoint.val_loss, 4)})`}`);
  if (d.lr_find)
    facts.push(
      h('span', {}, 'learning-rate search: ', h('a', { href: href('training', { run: d.lr_find.run }) }, d.lr_find.run), d.lr_find.suggested_lr === null ? ', no lr suggested (the loss never fell)' : `, suggested lr ${fmt(d.lr_find.suggested_lr, 2)}`),
    );
  if (facts.length) append(root, h('p', { class: 'note', id: 'training-facts' }, ...facts.flatMap((f, i) => (i ? [' · ', f] : [f]))));
  if (d.run.status === 'running') {
    // a live run: draw it again in a while, unless the user has moved on
    const here = location.hash;
    append(root, h('p', { class: 'note' }, 'running — redrawn every 15 s'));
    setTimeout(() => location.hash === here && window.dispatchEvent(new HashChangeEvent('hashchange')), 15_000);
  }
  for (const c of d.charts) {
    const el = h('div', { class: 'chart' });
    charts.append(el);
    await chart(el, c.spec);
  }
  append(root, 
    h('h3', {}, 'Metrics'),
    table(
      [
        { label: 'name', cell: (m) => m.name },
        { label: 'values', class: 'num', cell: (m) => fmt(m.n) },
        { label: 'not finite', class: 'num', cell: (m) => fmt(m.n - m.finite) },
        { label: 'steps', class: 'num', cell: (m) => `${m.first_step}–${m.last_step}` },
        { label: 'last', class: 'num', cell: (m) => fmt(m.last, 5) },
        { label: 'min', class: 'num', cell: (m) => fmt(m.min, 5) },
      ],
      d.metrics,
    ),
  );
}
