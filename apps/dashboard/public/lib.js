// Small helpers shared by the views: DOM building, the API, the URL (which holds every selection), charts.

/** `h('a', {href: '#'}, 'text', child)`: an element; `on*` attributes become listeners, null/false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

const nodes = (children) => children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c)));

/** `parent.append` that flattens arrays and skips null/false (so `cond ? el : null` works). */
export function append(parent, ...children) {
  parent.append(...nodes(children));
}

/** `parent.replaceChildren`, likewise. */
export function replace(parent, ...children) {
  parent.replaceChildren(...nodes(children));
}

/** GET a JSON API path; a non-2xx answer throws its `{error}` message. */
export async function api(path, params = {}) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null));
  const res = await fetch(`/api/${path}${qs.size ? '?' + qs : ''}`, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export function apiUrl(path, params = {}) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null));
  return `/api/${path}${qs.size ? '?' + qs : ''}`;
}

// ---- the URL: `#/<view>?<selection>` ----

export function currentRoute() {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  return { view: m?.[1] ?? 'runs', params: new URLSearchParams(m?.[2] ?? '') };
}

export function href(view, params = {}) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null));
  return `#/${view}${qs.size ? '?' + qs : ''}`;
}

/** Go to a view with a selection (each selection is a history entry, so Back works). */
export function navigate(view, params) {
  location.hash = href(view, params);
}

/** The current selection with some keys changed (`undefined` removes a key). */
export function withParams(params, changes) {
  const out = Object.fromEntries(params.entries());
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null) delete out[k];
    else out[k] = String(v);
  }
  return out;
}

// ---- controls ----

/** A labelled `<select>`; `options` are strings or `{value, label}`. */
export function select(label, options, value, onChange, attrs = {}) {
  const opts = options.map((o) => (typeof o === 'object' ? o : { value: o, label: o === '' ? '(none)' : o }));
  const el = h('select', { ...attrs, onchange: (e) => onChange(e.target.value) }, opts.map((o) => h('option', { value: o.value, selected: String(o.value) === String(value) }, o.label)));
  return h('label', { class: 'control' }, h('span', {}, label), el);
}

export function emptyState(message, hint) {
  return h('div', { class: 'empty' }, h('p', {}, message), hint ? h('p', { class: 'hint' }, formatHint(hint)) : null);
}

/** Show `backticked` parts of a hint as code. */
function formatHint(text) {
  return text.split(/(`[^`]+`)/).map((part) => (part.startsWith('`') ? h('code', {}, part.slice(1, -1)) : part));
}

export function errorBox(error) {
  return h('div', { class: 'error' }, `error: ${error.message ?? error}`);
}

// ---- values ----

export function fmt(x, digits = 3) {
  if (x === null || x === undefined) return '—';
  if (typeof x !== 'number') return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6)) return x.toExponential(2);
  return Number.isInteger(x) ? x.toLocaleString('en') : x.toFixed(digits);
}

export function duration(run) {
  let s = run.duration_s;
  if ((s === null || s === undefined) && run.status === 'running' && run.started_at) s = (Date.now() - Date.parse(run.started_at)) / 1000;
  if (s === null || s === undefined) return '—';
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function when(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, status ?? '?');
}

/** Render a vega-lite spec as SVG (the tests count its marks) into `el`. */
export async function chart(el, spec) {
  const result = await window.vegaEmbed(el, spec, { renderer: 'svg', actions: false });
  return result.view;
}

/** A table of `rows`; each column `{label, cell(row), class?, cellClass?(row)}`; `rowClass(row)` classes a row. */
export function table(columns, rows, attrs = {}, rowClass = () => null) {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', { class: rowClass(r) }, columns.map((c) => h('td', { class: typeof c.cellClass === 'function' ? c.cellClass(r) : c.class }, c.cell(r)))))),
  );
}
