/** The published table as data (one reader, one type), its checks, and the paper-style table built from our results. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@aikd/core';
import { agreementAcrossFrModels, checkPaperReference, paperKey, paucTables, readPaperReference, type PaucEntry } from '../src/index.ts';

const REAL = join(workspaceRoot, 'experiments/reference/paper-pauc.csv');
const dir = mkdtempSync(join(tmpdir(), 'aikd-paper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'condition,fr_model,method,dataset,pauc_norm,condition_id,fr_model_id,method_id,dataset_id';
function csv(name: string, rows: string[]): string {
  const f = join(dir, name);
  writeFileSync(f, [HEADER, ...rows].join('\n') + '\n');
  return f;
}

describe('the AI-KD paper table (experiments/reference/paper-pauc.csv)', () => {
  const ref = readPaperReference(REAL);

  it('reads 2 conditions × 4 FR models × 10 methods × 6 datasets and the 80 printed row means', () => {
    expect(ref.values.size).toBe(480);
    expect(ref.means.size).toBe(80);
    expect(ref.order.conditions).toEqual(['proper', 'landmark-jitter']);
    expect(ref.order.datasets).toEqual(['adience', 'lfw', 'cplfw', 'cfp-fp', 'calfw', 'xqlfw']);
    expect(ref.values.get(paperKey('proper', 'adaface', 'faceqan', 'adience'))).toBe(0.88);
    expect(ref.means.get(paperKey('proper', 'adaface', 'faceqan', 'mean'))).toBe(0.719);
    expect(ref.names.get('sddfiqa')).toBe('SDD-FIQA');
  });

  it('checks flag SER-FIQ = SDD-FIQA in all 8 blocks, and nothing else', () => {
    const issues = checkPaperReference(ref);
    expect(issues.map((i) => i.kind)).toEqual(Array(8).fill('identical_rows'));
    for (const i of issues) expect(i.methods).toEqual(['serfiq', 'sddfiqa']);
    expect(new Set(issues.map((i) => `${i.condition} ${i.fr_model}`)).size).toBe(8);
    expect(issues[0]!.detail).toBe('SER-FIQ = SDD-FIQA (AdaFace, aligned): all 6 values identical');
  });
});

describe('paper checks on made-up tables', () => {
  it('an implausible value and a printed mean that is not the mean of its row', () => {
    const f = csv('bad.csv', [
      'aligned,A,M1,D1,0.8,proper,a,m1,d1',
      'aligned,A,M1,D2,0.6,proper,a,m1,d2',
      'aligned,A,M1,mean,0.72,proper,a,m1,mean', // row mean 0.7
      'aligned,A,M2,D1,1.7,proper,a,m2,d1', // implausible
      'aligned,A,M2,D2,0.9,proper,a,m2,d2',
      'aligned,A,M2,mean,1.3,proper,a,m2,mean', // right
    ]);
    const issues = checkPaperReference(readPaperReference(f));
    expect(issues.map((i) => [i.kind, i.methods.join(), i.dataset])).toEqual([
      ['mean_mismatch', 'm1', null],
      ['implausible_value', 'm2', 'd1'],
    ]);
    expect(issues[0]!.detail).toBe('M1 (A, aligned): printed mean 0.72, mean of the row 0.7000');
  });

  it('bad files: the line and what was expected', () => {
    expect(() => readPaperReference(csv('h.csv', []).replace('h.csv', 'missing.csv'))).not.toThrow(); // missing = empty
    writeFileSync(join(dir, 'header.csv'), 'a,b\n');
    expect(() => readPaperReference(join(dir, 'header.csv'))).toThrow(/header\.csv, line 1: expected the header condition,fr_model/);
    expect(() => readPaperReference(csv('num.csv', ['aligned,A,M,D,x,proper,a,m,d']))).toThrow(/num\.csv, line 2: expected 9 non-empty fields with a numeric pauc_norm/);
    expect(() => readPaperReference(csv('dup.csv', ['aligned,A,M,D,0.5,proper,a,m,d', 'aligned,A,M,D,0.6,proper,a,m,d']))).toThrow(/dup\.csv, line 3: expected one row per condition/);
  });
});

/** Replicates c + noise, the noise of method k its own permutation (so a small difference is noise). */
const reps = (c: number, k: number) => Float64Array.from({ length: 400 }, (_, r) => c + (((r * (2 * k + 17)) % 400) / 400 - 0.5) * 0.1);

describe('paucTables: intervals, honest ranks, the paper beside ours', () => {
  const entry = (fr: string, method: string, dataset: string, v: number, k: number): PaucEntry => {
    const r = reps(v, k);
    const sorted = [...r].sort((a, b) => a - b);
    return { condition: 'proper', fr_model: fr, method, dataset, pauc_norm: v, ci: [sorted[10]!, sorted[389]!], replicates: r };
  };
  const entries = [
    entry('a', 'good', 'lfw-bin', 0.6, 1),
    entry('a', 'close', 'lfw-bin', 0.61, 2),
    entry('a', 'bad', 'lfw-bin', 0.9, 3),
    entry('a', 'good', 'cplfw', 0.7, 4),
    entry('a', 'close', 'cplfw', 0.72, 5),
    entry('a', 'bad', 'cplfw', 0.95, 6),
  ];
  const f = csv('ref.csv', [
    'aligned,A,Good,LFW,0.62,proper,a,good,lfw',
    'aligned,A,Good,CPLFW,0.9,proper,a,good,cplfw',
  ]);
  const [t] = paucTables(entries, { paper: readPaperReference(f) });

  it('shares rank 1 between methods within noise, ranks the clearly worse one 3', () => {
    expect(t!.ranking).toBe('significance');
    expect(t!.datasets).toEqual(['lfw-bin', 'cplfw']); // the paper's order (lfw-bin is its lfw)
    const rank = (m: string, d: string) => {
      const c = d === 'mean' ? t!.rows.find((r) => r.method === m)!.mean : t!.rows.find((r) => r.method === m)!.cells[d]!;
      return `${c.rank}${c.shared ? '=' : ''}`;
    };
    expect(['good', 'close', 'bad'].map((m) => rank(m, 'lfw-bin'))).toEqual(['1=', '1=', '3']);
    expect(['good', 'close', 'bad'].map((m) => rank(m, 'mean'))).toEqual(['1=', '1=', '3']);
  });

  it("the mean column's interval comes from replicate-wise means", () => {
    const good = t!.rows.find((r) => r.method === 'good')!;
    expect(good.mean.ours).toBeCloseTo(0.65, 15);
    const [lo, hi] = good.mean.ci!;
    expect(lo).toBeGreaterThan(0.6);
    expect(hi).toBeLessThan(0.7);
    expect(hi - lo).toBeLessThan(good.cells['cplfw']!.ci![1] - good.cells['cplfw']!.ci![0]); // averaging narrows it
  });

  it('ours − paper with our interval and whether the paper lies inside', () => {
    const good = t!.rows.find((r) => r.method === 'good')!;
    expect(good.cells['lfw-bin']!.paper).toBe(0.62);
    expect(good.cells['lfw-bin']!.vsPaper!.diff).toBeCloseTo(-0.02, 15);
    expect(good.cells['lfw-bin']!.vsPaper!.inside).toBe(true);
    expect(good.cells['cplfw']!.vsPaper!.inside).toBe(false); // 0.9 is far outside [0.65, 0.75]
    expect(good.mean.paper).toBeCloseTo(0.76, 15); // no printed mean for this block: the mean over the datasets shown
    expect(t!.rows.find((r) => r.method === 'bad')!.cells['lfw-bin']!.paper).toBeNull();
  });

  it('without replicates, ranks fall back to the point estimates (and say so)', () => {
    const [p] = paucTables(entries.map((e) => ({ ...e, ci: null, replicates: null })));
    expect(p!.ranking).toBe('point');
    expect(p!.rows.map((r) => [r.method, r.cells['lfw-bin']!.rank])).toEqual([
      ['bad', 3],
      ['close', 2],
      ['good', 1],
    ]);
  });
});

describe('agreementAcrossFrModels: Kendall τ-b of method rankings between FR models', () => {
  const e = (fr: string, method: string, v: number, k: number): PaucEntry => ({ condition: 'proper', fr_model: fr, method, dataset: 'demo', pauc_norm: v, ci: null, replicates: reps(v, k) });
  it('τ = 1 for the same order, −1 for the reversed one, and their mean with intervals', () => {
    const entries = [
      ...['m1', 'm2', 'm3', 'm4'].map((m, i) => e('x', m, 0.5 + 0.1 * i, i)),
      ...['m1', 'm2', 'm3', 'm4'].map((m, i) => e('y', m, 0.4 + 0.2 * i, i + 4)),
      ...['m1', 'm2', 'm3', 'm4'].map((m, i) => e('z', m, 0.9 - 0.1 * i, i + 8)),
    ];
    const [a] = agreementAcrossFrModels(entries);
    expect(a!.methods).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(a!.pairs.map((p) => [p.a, p.b, p.tau])).toEqual([
      ['x', 'y', 1],
      ['x', 'z', -1],
      ['y', 'z', -1],
    ]);
    expect(a!.mean.tau).toBeCloseTo(-1 / 3, 15);
    expect(a!.pairs[0]!.ci![0]).toBeLessThanOrEqual(1);
    expect(a!.mean.ci![0]).toBeLessThanOrEqual(a!.mean.ci![1]);
  });
});
