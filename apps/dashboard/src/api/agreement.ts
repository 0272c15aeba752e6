/**
 * `/api/agreement`: do the FR models agree on which FIQA method is better? Per test condition × dataset, Kendall
 * τ-b between every two FR models' pAUC_norm over the methods they share, and the mean over the pairs, with
 * bootstrap intervals (edc's `agreementAcrossFrModels`, as `aikd report` prints it); and a heat map per panel.
 */
import { agreementAcrossFrModels, inOrder } from '@aikd/edc';
import { number, parse, query } from '../params.ts';
import { EDC_SUMMARY_VIEW, EMPTY_HINT, PAPER_SETTING } from '../constants.ts';
import { requireRun, settingOf, settingParams } from './edc.ts';
import { paucEntries } from './pauc.ts';
import { agreementChartSpec } from '../charts.ts';
import type { ApiContext } from '../types.ts';

const agreementQuery = query({ discard_limit: number.optional(), ...settingParams });

export async function agreement(ctx: ApiContext, input: unknown) {
  const o = parse(agreementQuery, input);
  const s = settingOf(o);
  const limit = o.discard_limit ?? PAPER_SETTING.discard_limit;
  await requireRun(ctx, o.experiment);
  const setting = { ...s, discard_limit: limit, experiment: o.experiment ?? null };
  if (!(await ctx.store.has(EDC_SUMMARY_VIEW))) return { empty: true, empty_hint: EMPTY_HINT, setting, agreement: [], spec: null };
  const { entries, bootstrap } = await paucEntries(ctx, { experiment: o.experiment, setting: s, limit });
  const ref = ctx.reference.order;
  const agreement = agreementAcrossFrModels(entries, { order: ref });
  const panel = (a: { condition: string; dataset: string }) => `${a.condition || '(none)'} · ${a.dataset || '(none)'}`;
  const frModels = inOrder(agreement.flatMap((a) => a.pairs.flatMap((p) => [p.a, p.b])), ref.fr_models);
  const rows = agreement.flatMap((a) => [
    ...frModels.filter((fr) => a.pairs.some((p) => p.a === fr || p.b === fr)).map((fr) => ({ panel: panel(a), a: fr, b: fr, tau: 1 })),
    ...a.pairs.flatMap((p) => [
      { panel: panel(a), a: p.a, b: p.b, tau: p.tau },
      { panel: panel(a), a: p.b, b: p.a, tau: p.tau },
    ]),
  ]);
  return {
    empty: false,
    setting,
    bootstrap,
    agreement,
    spec: agreement.length ? agreementChartSpec(rows, { title: `Kendall τ-b between FR models' rankings of the methods (pAUC_norm@${limit}, ${s.mode})`, frModels, panels: agreement.map(panel) }) : null,
  };
}
