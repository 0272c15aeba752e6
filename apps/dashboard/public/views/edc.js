// EDC browser: pick dataset, FR model, test condition, EDC setting and methods; the curves overlaid with the
// starting error, the theoretical-best line and the discard limit(s); hover for discard fraction, error, remaining.
import { api, append, chart, emptyState, fmt, h, href, navigate, replace, select, table, withParams } from '../lib.js';
import { chosenSetting, experimentSelect, modeToggle, pick, settingSelect } from './common.js';

export async function edcView(root, params) {
  const experiment = params.get('experiment') || undefined;
  const opts = await api('edc/options', { experiment });
  const go = (changes) => navigate('edc', withParams(params, changes));
  const title = h('h2', {}, 'Error-versus-discard curves');
  const scope = opts.experiments.length ? experimentSelect(opts.experiments, experiment, (v) => go({ experiment: v })) : null;
  if (opts.empty) return void replace(root, title, h('div', { class: 'controls' }, scope), emptyState('No EDC results yet.', opts.empty_hint));

  const dataset = pick(params.get('dataset'), opts.datasets, ...opts.datasets.filter((d) => d !== ''));
  const frModel = pick(params.get('fr_model'), opts.fr_models, ...opts.fr_models.filter((d) => d !== ''));
  const condition = pick(params.get('condition'), opts.conditions, 'proper', 'aligned');
  const mode = pick(params.get('mode'), opts.modes, 'iso');
  const setting = chosenSetting(params, opts.settings);
  // absent = every method; present (possibly empty) = exactly those
  const methods = params.has('methods') ? params.get('methods').split(',').filter((m) => opts.methods.includes(m)) : opts.methods;
  const bands = params.get('bands') === '1';

  const toggleMethod = (m, on) => go({ methods: opts.methods.filter((x) => (x === m ? on : methods.includes(x))).join(',') });
  const controls = h(
    'div',
    { class: 'controls' },
    scope,
    select('dataset', opts.datasets, dataset, (v) => go({ dataset: v }), { id: 'edc-dataset' }),
    select('FR model', opts.fr_models.map((f) => ({ value: f, label: opts.fr_model_names?.[f] ?? (f || '(none)') })), frModel, (v) => go({ fr_model: v }), { id: 'edc-fr-model' }),
    select('test condition', opts.conditions, condition, (v) => go({ condition: v }), { id: 'edc-condition' }),
    modeToggle(opts.modes, mode, (v) => go({ mode: v })),
    settingSelect(opts.settings, setting, (s) => go({ error: s.error, op: s.op, op_value: s.op_value, pair_quality: s.pair_quality })),
    h('label', { class: 'control inline', id: 'edc-bands', title: 'pointwise bootstrap bands of the curves' }, h('input', { type: 'checkbox', checked: bands, onchange: (e) => go({ bands: e.target.checked ? '1' : undefined }) }), ' bootstrap bands'),
  );
  const methodBoxes = h(
    'fieldset',
    { class: 'control methods', id: 'edc-methods' },
    h('legend', {}, 'methods'),
    // the catalogue's title, the id (as in the results and the URL) on hover
    opts.methods.map((m) => h('label', { title: m }, h('input', { type: 'checkbox', value: m, checked: methods.includes(m), onchange: (e) => toggleMethod(m, e.target.checked) }), ` ${opts.method_names?.[m] ?? m}`)),
    h('span', { class: 'quick' }, h('a', { href: href('edc', withParams(params, { methods: undefined })) }, 'all'), ' · ', h('a', { href: href('edc', withParams(params, { methods: '' })) }, 'none')),
  );
  replace(root, title, controls, methodBoxes);
  if (!methods.length) return void append(root, emptyState('Pick at least one method.'));

  const res = await api('edc', {
    experiment,
    dataset,
    fr_model: frModel,
    condition,
    mode,
    error: setting.error,
    op: setting.op,
    op_value: setting.op_value,
    pair_quality: setting.pair_quality,
    methods: methods.join(','),
    bands: bands ? '1' : undefined,
  });
  if (!res.curves.length) return void append(root, emptyState('No curves for this selection (try another FR model, condition or mode).'));
  const chartEl = h('div', { id: 'edc-chart', class: 'chart' });
  append(root, chartEl);
  await chart(chartEl, res.spec);

  const limits = res.discard_limits;
  append(root, 
    h('h3', {}, 'Areas'),
    table(
      [
        { label: 'method', cell: (c) => h('span', {}, h('span', { class: 'swatch', style: `background:${res.styles[c.method]?.color ?? '#000'}` }), ` ${c.method}`) },
        { label: `starting ${setting.error.toUpperCase()}`, class: 'num', cell: (c) => fmt(c.error_at_0, 4) },
        ...limits.flatMap((l) => [
          { label: `pAUC@${l}`, class: 'num', cell: (c) => fmt(c.limits.find((x) => x.discard_limit === l)?.pauc, 4) },
          { label: `pAUC_norm@${l}`, class: 'num', cell: (c) => fmt(c.limits.find((x) => x.discard_limit === l)?.pauc_norm, 3) },
          { label: `interval@${l}`, class: 'num', cell: (c) => { const ci = c.limits.find((x) => x.discard_limit === l)?.pauc_norm_ci; return ci ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : '—'; } },
        ]),
        { label: 'threshold', class: 'num', cell: (c) => fmt(c.threshold, 4) },
        { label: 'achieved FMR', class: 'num', cell: (c) => fmt(c.achieved_fmr, 4) },
        { label: 'mated', class: 'num', cell: (c) => fmt(c.n_mated) },
        { label: 'non-mated', class: 'num', cell: (c) => fmt(c.n_nonmated) },
        { label: 'not assessed', class: 'num', cell: (c) => fmt(c.n_failed_to_assess) },
        { label: 'run', cell: (c) => h('a', { href: href('runs', { run: c.run_id }) }, c.run_id) },
      ],
      res.curves,
      { id: 'edc-areas' },
    ),
    res.missing_methods.length ? h('p', { class: 'note' }, `no curve for: ${res.missing_methods.join(', ')}`) : null,
    h('p', { class: 'note' }, 'Dashed grey: starting error and theoretical best (every discarded comparison an error); dashed black: pAUC discard limit(s). Lower is better. Every method keeps its colour (and dash, past 12 methods) across selections.', bands && !res.has_bands ? ' No bootstrap bands are stored for these curves.' : ''),
  );
}
