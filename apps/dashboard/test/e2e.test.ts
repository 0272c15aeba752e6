/// <reference lib="dom" />
/**
 * End to end in headless Chromium (Debian's, driven by playwright-core): the EDC browser draws one SVG curve per
 * selected method, follows the mode toggle, shows a tooltip on hover and keeps the selection in the URL; every
 * view renders without errors; the training view marks the checkpoint and draws the lr search; the sensitivity view
 * shows each teacher beside its student. Screenshots go to test-artifacts/dashboard/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { workspaceRoot } from '@aikd/core';
import { serve, type RunningDashboard } from '../src/index.ts';
import { buildFixture, curveKey, type Fixture } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(workspaceRoot, 'test-artifacts', 'dashboard');

let fx: Fixture;
let dash: RunningDashboard;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium; .ci/run does)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  fx = await buildFixture();
  dash = await serve({ port: 0, resultsDir: fx.root });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 960 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
});

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  if (fx) rmSync(fx.root, { recursive: true, force: true });
});

/** Open a view and wait until it has finished rendering. */
async function open(hash: string): Promise<void> {
  await page.goto(`${dash.url}#/${hash}`);
  await page.waitForSelector('main .view[data-ready]');
}

/** Wait until the EDC chart's SVG holds `n` curve mark groups of the given layer. */
async function waitForCurves(n: number, layer = 'edc_curve'): Promise<number> {
  const selector = `#edc-chart svg g.mark-line.${layer}_marks`;
  await page.waitForFunction(({ selector, n }) => document.querySelectorAll(selector).length === n && document.querySelector('main .view[data-ready]'), { selector, n });
  return page.locator(selector).count();
}

const selection = () => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.hash.split('?')[1] ?? '')));

describe('dashboard in the browser', () => {
  it('EDC browser: curves per selected method, mode toggle, tooltip, deep link', async () => {
    await open('edc?dataset=lfw&fr_model=adaface&condition=proper&mode=iso&methods=serfiq');
    expect(await waitForCurves(1)).toBe(1);

    // select a second method by clicking its checkbox
    await page.locator('#edc-methods input[value="aikd(serfiq)"]').check();
    expect(await waitForCurves(2)).toBe(2);
    expect(await selection()).toMatchObject({ dataset: 'lfw', fr_model: 'adaface', condition: 'proper', mode: 'iso', methods: 'serfiq,aikd(serfiq)' });
    // the legend carries each curve's pAUC_norm at L = 0.3, as computed by the EDC package
    const legend = (await page.locator('#edc-chart svg .role-legend').textContent()) ?? '';
    for (const m of ['serfiq', 'aikd(serfiq)']) {
      const r = fx.results.get(curveKey('lfw', 'adaface', 'proper', m, 'iso'))!;
      const [lo, hi] = r.intervals!.paucNorm['0.3']!;
      expect(legend).toContain(`${m} (pAUC_norm@0.3 ${r.paucNorm['0.3']!.toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}])`);
    }
    // two methods, two distinct colours
    const strokes = await page.locator('#edc-chart svg g.edc_curve_marks path').evaluateAll((els) => els.map((e) => e.getAttribute('stroke')));
    expect(new Set(strokes).size).toBe(2);
    // starting error, theoretical best and the two discard limits are drawn too
    expect(await page.locator('#edc-chart svg g.edc_starting_error_marks').count()).toBe(1);
    expect(await page.locator('#edc-chart svg g.edc_theoretical_best_marks').count()).toBe(1);
    expect(await page.locator('#edc-chart svg g.edc_pauc_limit_marks, #edc-chart svg g[class*="edc_pauc_limit"]').count()).toBeGreaterThan(0);
    expect(await page.locator('#edc-areas tbody tr').count()).toBe(2);

    // hover inside the plot: the nearest point's tooltip names discard fraction, FNMR and mated comparisons left
    const box = (await page.locator('#edc-chart svg').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.35);
    await page.mouse.move(box.x + box.width * 0.32, box.y + box.height * 0.36);
    const tooltip = page.locator('#vg-tooltip-element.visible');
    await tooltip.waitFor();
    const tip = await tooltip.innerText();
    for (const field of ['method', 'discard fraction', 'FNMR', 'mated comparisons left']) expect(tip).toContain(field);
    await page.screenshot({ path: join(ARTIFACTS, 'edc-browser.png'), fullPage: true });
    await page.mouse.move(0, 0);

    // iso → recomputed: the same two methods as linear (trapezoid) curves
    await page.locator('#mode-toggle input[value="recomputed"]').check();
    expect(await waitForCurves(2, 'edc_curve_linear')).toBe(2);
    expect(await selection()).toMatchObject({ mode: 'recomputed', methods: 'serfiq,aikd(serfiq)' });
    await page.screenshot({ path: join(ARTIFACTS, 'edc-browser-recomputed.png'), fullPage: true });

    // bootstrap bands: one shaded area per curve
    await page.locator('#edc-bands input').check();
    await page.waitForFunction(() => document.querySelectorAll('#edc-chart svg g[class*="edc_band_linear_marks"]').length === 2 && document.querySelector('main .view[data-ready]'));
    expect(await selection()).toMatchObject({ bands: '1' });
    await page.locator('#edc-bands input').uncheck();
    await page.waitForFunction(() => document.querySelectorAll('#edc-chart svg g[class*="edc_band"]').length === 0 && document.querySelectorAll('#edc-chart svg g.edc_curve_linear_marks').length === 2);

    // the URL is the state: reloading it draws the same chart
    await page.reload();
    await page.waitForSelector('main .view[data-ready]');
    expect(await waitForCurves(2, 'edc_curve_linear')).toBe(2);
    expect(await page.locator('#edc-methods input:checked').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['serfiq', 'aikd(serfiq)']);
  });

  it('every other view renders its data', async () => {
    await open(`runs?run=${fx.experiment}`);
    expect(await page.locator('table.runs tbody tr').count()).toBe(fx.runCount);
    expect(await page.locator('#run-detail').innerText()).toContain('17 child runs');
    await page.screenshot({ path: join(ARTIFACTS, 'runs.png'), fullPage: true });

    await open('pauc?condition=proper&mode=iso');
    expect(await page.locator('#pauc-table tbody tr').count()).toBe(6);
    // at least one rank-1 cell per FR model and column (shared ones included), and an interval in every cell
    expect(await page.locator('#pauc-table td.rank1').count()).toBeGreaterThanOrEqual(2 * 3);
    expect(await page.locator('#pauc-table td .ci').count()).toBe(6 * 3);
    expect(await page.locator('#pauc-table .paper').count()).toBe(6 * 3);
    expect(await page.locator('#paper-checks li').count()).toBe(8); // SER-FIQ = SDD-FIQA in all 8 blocks of the paper
    expect(await page.locator('#pauc-csv').getAttribute('href')).toContain('format=csv');
    // the chart's error bars are in the rendered SVG: one rule per method × FR model × (2 datasets + mean)
    await page.waitForSelector('#pauc-chart svg');
    const bars = page.locator('#pauc-chart svg g[class*="pauc_errorbar_marks"] line');
    expect(await bars.count()).toBe(6 * 3);
    const heights = await bars.evaluateAll((els) => els.map((e) => (e as SVGGraphicsElement).getBBox().height));
    expect(heights.every((x) => x > 0)).toBe(true);
    expect(await page.locator('#pauc-chart svg g[class*="pauc_point_marks"] path').count()).toBe(6 * 3);
    await page.screenshot({ path: join(ARTIFACTS, 'pauc.png'), fullPage: true });

    // a student's training: each loss term for training and validation, lr, gradient norm, the chosen checkpoint
    // marked on every chart over steps, and its lr search (loss against lr)
    await open(`training?run=${fx.trainRun}`);
    expect(await page.locator('#training-charts svg').count()).toBe(6);
    expect(await page.locator('#training-charts svg g[class*="series_mark_marks"] line, #training-charts svg g[class*="series_mark_marks"] path').count()).toBe(6);
    const labels = await page.locator('#training-charts svg g[class*="series_mark_label_marks"] text').allTextContents();
    expect(labels).toEqual([...Array(5).fill(`checkpoint (step ${fx.bestStep})`), 'suggested lr 0.00032']);
    const facts = await page.locator('#training-facts').innerText();
    expect(facts).toContain(`chosen checkpoint: step ${fx.bestStep}`);
    expect(facts).toContain(`learning-rate search: ${fx.lrFindRun}`);
    const legends = await page.locator('#training-charts svg .role-legend').allTextContents();
    expect(legends[0]).toContain('val_loss');
    expect(legends[0]).toContain('loss');
    await page.screenshot({ path: join(ARTIFACTS, 'training.png'), fullPage: true });
    // the lr search itself: its curve first, on a log lr axis
    await page.locator(`#training-facts a`).click();
    await page.waitForFunction((id) => location.hash.includes(id) && document.querySelector('main .view[data-ready]'), fx.lrFindRun);
    await page.waitForSelector('#training-charts svg');
    expect(await page.locator('#training-charts .chart').first().innerText()).toContain('Learning-rate search');
    await page.screenshot({ path: join(ARTIFACTS, 'lr-find.png'), fullPage: true });

    await open(`compare?a=${fx.experiment}&b=${fx.oldExperiment}`);
    expect(await page.locator('#compare-pauc tbody tr').count()).toBe(8);
    await page.screenshot({ path: join(ARTIFACTS, 'compare.png'), fullPage: true });

    await open(`agreement?experiment=${fx.experiment}`);
    expect(await page.locator('#agreement-table tbody tr').count()).toBe(4 * 2); // 4 condition × dataset: a pair and the mean
    expect(await page.locator('#agreement-chart svg g[class*="agreement_cell_marks"] path').count()).toBe(4 * 4);
    await page.screenshot({ path: join(ARTIFACTS, 'agreement.png'), fullPage: true });

    await open('sensitivity?dataset=lfw&fr_model=adaface');
    expect(await page.locator('#sensitivity-charts svg g.series_line_marks, #sensitivity-charts svg g[class*="series_line"]').count()).toBeGreaterThanOrEqual(6);
    // alignment stability: the teacher's row directly followed by its student's, with the numbers the results hold
    const stab = page.locator('table.stability tbody tr');
    expect(await stab.evaluateAll((rows) => rows.map((r) => r.className))).toEqual(['method', 'teacher', 'student']);
    const cells = await stab.nth(2).locator('td').allInnerTexts();
    const student = fx.stabilityRows.find((r) => r.method === 'aikd(serfiq)' && r.discard_limit === 0.3)!;
    expect(cells.slice(0, 3)).toEqual(['↳ aikd(serfiq)', 'student', 'serfiq']);
    expect(cells[4]).toBe(student.spearman_teacher!.toFixed(3));
    expect(cells[5]).toBe(student.spearman_self!.toFixed(3));
    expect(cells[9]).toContain(`[${student.delta_lo! >= 0 ? '+' : '−'}${Math.abs(student.delta_lo!).toFixed(3)}`);
    // Δ pAUC_norm per method × FR model: one error bar each, all with a height
    await page.waitForSelector('#stability-chart svg');
    const deltaBars = page.locator('#stability-chart svg g[class*="pauc_errorbar_marks"] line');
    expect(await deltaBars.count()).toBe(3 * 2);
    expect((await deltaBars.evaluateAll((els) => els.map((e) => (e as SVGGraphicsElement).getBBox().height))).every((x) => x > 0)).toBe(true);
    const teacherCells = await stab.nth(1).locator('td').allInnerTexts();
    expect(teacherCells[4]).toBe(fx.stabilityRows.find((r) => r.method === 'serfiq' && r.discard_limit === 0.3)!.spearman_teacher!.toFixed(3));
    await page.screenshot({ path: join(ARTIFACTS, 'sensitivity.png'), fullPage: true });

    expect(problems).toEqual([]);
  });
});
