// The single-page app: a nav, and one view rendered from the URL (`#/<view>?<selection>`) on every change.
import { api, currentRoute, errorBox, h, href } from './lib.js';
import { runsView } from './views/runs.js';
import { edcView } from './views/edc.js';
import { paucView } from './views/pauc.js';
import { trainingView } from './views/training.js';
import { compareView } from './views/compare.js';
import { sensitivityView } from './views/sensitivity.js';
import { agreementView } from './views/agreement.js';

const VIEWS = {
  runs: { title: 'Runs', render: runsView },
  edc: { title: 'EDC', render: edcView },
  pauc: { title: 'pAUC tables', render: paucView },
  training: { title: 'Training', render: trainingView },
  compare: { title: 'Compare', render: compareView },
  sensitivity: { title: 'Sensitivity', render: sensitivityView },
  agreement: { title: 'Agreement', render: agreementView },
};

const nav = document.getElementById('nav');
const main = document.getElementById('view');
const overviewEl = document.getElementById('overview');

async function render() {
  const { view, params } = currentRoute();
  const name = VIEWS[view] ? view : 'runs';
  nav.replaceChildren(...Object.entries(VIEWS).map(([k, v]) => h('a', { href: href(k), class: k === name ? 'active' : null }, v.title)));
  document.title = `${VIEWS[name].title} · AI-KD Workbench`;
  // each render fills a fresh element; a slower, older render only ever writes into its detached one
  const root = h('div', { class: `view view-${name}` }, h('p', { class: 'loading' }, 'loading…'));
  main.replaceChildren(root);
  try {
    await VIEWS[name].render(root, params);
  } catch (e) {
    // keep whatever controls the view had drawn, so another selection is one click away
    root.querySelector(':scope > .loading')?.remove();
    root.append(errorBox(e));
  }
  root.dataset.ready = '1';
}

async function showOverview() {
  try {
    const o = await api('overview');
    overviewEl.textContent = `${o.runs} runs${o.running ? ` · ${o.running} running` : ''} · ${o.results_dir}`;
  } catch (e) {
    overviewEl.textContent = `server unreachable: ${e.message}`;
  }
}

window.addEventListener('hashchange', render);
render();
showOverview();
