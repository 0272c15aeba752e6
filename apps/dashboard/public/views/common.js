// Selection helpers shared by the EDC, pAUC and sensitivity views.
import { h, select } from '../lib.js';

/** `value` if it is one of `options`, else the first preferred one present, else the first option. */
export function pick(value, options, ...preferred) {
  if (value !== null && value !== undefined && options.map(String).includes(String(value))) return value;
  for (const p of preferred) if (options.map(String).includes(String(p))) return p;
  return options[0];
}

const settingKey = (s) => `${s.error}|${s.op}|${s.op_value}|${s.pair_quality}`;

export function settingLabel(s) {
  const op = s.op === 'fmr' ? `FMR ${s.op_value}` : `${s.op.replace('_', ' ')} ${s.op_value}`;
  return `${s.error.toUpperCase()} at ${op}, pair quality ${s.pair_quality}`;
}

/** The EDC setting selected in the URL (error, op, op_value, pair_quality), defaulting to FNMR at FMR 1e-3. */
export function chosenSetting(params, settings) {
  const wanted = settingKey({ error: params.get('error'), op: params.get('op'), op_value: Number(params.get('op_value')), pair_quality: params.get('pair_quality') });
  return (
    settings.find((s) => settingKey(s) === wanted) ??
    settings.find((s) => s.error === 'fnmr' && s.op === 'fmr' && s.op_value === 0.001 && s.pair_quality === 'min') ??
    settings[0]
  );
}

export function settingSelect(settings, chosen, onChange) {
  return select(
    'EDC setting',
    settings.map((s) => ({ value: settingKey(s), label: settingLabel(s) })),
    settingKey(chosen),
    (key) => onChange(settings.find((s) => settingKey(s) === key)),
  );
}

/** Experiment scope: all results (the latest run per curve), or one experiment's. */
export function experimentSelect(experiments, value, onChange) {
  return select(
    'results of',
    [{ value: '', label: 'all runs (latest per curve)' }, ...experiments.map((e) => ({ value: e.id, label: `experiment ${e.name ?? e.id} (${(e.started_at ?? '').slice(0, 16).replace('T', ' ')})` }))],
    value ?? '',
    (v) => onChange(v || undefined),
  );
}

/** iso / recomputed as two radio buttons. */
export function modeToggle(modes, value, onChange) {
  return h(
    'fieldset',
    { class: 'control toggle', id: 'mode-toggle' },
    h('legend', {}, 'EDC mode'),
    ['iso', 'recomputed'].map((m) =>
      h('label', { title: m === 'iso' ? 'threshold fixed on all comparisons, tie groups discarded whole' : 'CR-FIQA parity: threshold recomputed at each grid point' },
        h('input', { type: 'radio', name: 'mode', value: m, checked: m === value, disabled: !modes.includes(m), onchange: () => onChange(m) }),
        ` ${m}`),
    ),
  );
}
