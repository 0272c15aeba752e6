/**
 * The weights registry: each official file is imported as an architecture of the catalogue with the layout it
 * names, its table rows are rows of the paper's table (the project's copy, experiments/reference/paper-pauc.csv),
 * its input convention is its kind's, and no hash is claimed that the publisher does not state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '@aikd/core';
import {
  OFFICIAL_WEIGHTS, TORCH_ARCHITECTURES, TORCH_MODEL_KINDS, importCommand, kindArchitecture, officialByModel, officialFor, officialInput, torchModelKind,
} from '../src/index.ts';

const paper = readFileSync(join(workspaceRoot, 'experiments', 'reference', 'paper-pauc.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const paperMethods = new Set(paper.map((r) => r[2]));
const paperFrModels = new Set(paper.map((r) => r[1]));

describe('the official weights registry', () => {
  it('covers the paper family’s files, each id and models.yaml name once', () => {
    expect(OFFICIAL_WEIGHTS.map((w) => w.file)).toEqual([
      'glint360k_cosface_r100_fp16_0.1/backbone.pth', '181952backbone.pth', '32572backbone.pth', 'magface_epoch_00025.pth', 'diffiqa(r).pth', 'aikd-best.pth',
    ]);
    expect(new Set(OFFICIAL_WEIGHTS.map((w) => w.id)).size).toBe(OFFICIAL_WEIGHTS.length);
    expect(new Set(OFFICIAL_WEIGHTS.map((w) => w.model)).size).toBe(OFFICIAL_WEIGHTS.length);
    for (const w of OFFICIAL_WEIGHTS) expect(w.model).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  for (const w of OFFICIAL_WEIGHTS)
    it(`${w.id}: imported as ${w.architecture} by its kind, named in messages by what was published`, () => {
      const arch = TORCH_ARCHITECTURES[w.architecture];
      // an import of a file with this architecture's layout picks this catalogue entry and this registry entry
      expect(kindArchitecture(torchModelKind(w.kind), arch.backbone)).toBe(arch);
      expect(officialFor(w.kind, w.architecture)).toBe(w);
      expect(officialByModel(w.model)).toBe(w);
      expect(w.published.link).toMatch(/^https:\/\//);
      expect(w.published.page).toMatch(/^https:\/\/github\.com\//);
      // no invented hashes: the publishers state none (a stated one would be 64 hex digits)
      expect(w.sha256).toBeUndefined();
      for (const row of w.tables.rows) expect(paperMethods).toContain(row);
      for (const col of w.tables.frModels) expect(paperFrModels).toContain(col);
      expect(importCommand(w)).toMatch(new RegExp(`^aikd models import .+ --as ${w.kind}$`));
    });

  it('every method row of the paper that runs on a network of its own, and the CosFace column, name a file', () => {
    const rows = new Set(OFFICIAL_WEIGHTS.flatMap((w) => w.tables.rows));
    for (const m of ['CR-FIQA', 'DifFIQA(R)', 'MagFace', 'AI-KD(SER-FIQ)', 'AI-KD(CR-FIQA)', 'AI-KD(DifFIQA(R))', 'FaceQAN', 'SER-FIQ']) expect(rows).toContain(m);
    expect(OFFICIAL_WEIGHTS.flatMap((w) => w.tables.frModels)).toEqual(['CosFace']);
  });

  it('input conventions are the kinds’: MagFace BGR x/255, the rest RGB (x − 127.5)/127.5, 112 px NCHW', () => {
    const conv = (id: string) => officialInput(OFFICIAL_WEIGHTS.find((w) => w.id === id)!);
    expect(conv('magface-r100')).toEqual({ size: 112, colour: 'BGR', mean: 0, std: 255, layout: 'NCHW' });
    for (const id of ['glint360k-cosface-r100', 'crfiqa-l', 'crfiqa-s', 'diffiqa-r', 'aikd-best'])
      expect(conv(id)).toEqual({ size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' });
  });

  it('the command quotes names a shell would split: diffiqa(r).pth', () => {
    expect(importCommand(OFFICIAL_WEIGHTS.find((w) => w.id === 'diffiqa-r')!)).toBe("aikd models import 'diffiqa(r).pth' --as diffiqa-r");
    expect(importCommand(OFFICIAL_WEIGHTS.find((w) => w.id === 'magface-r100')!)).toBe('aikd models import magface_epoch_00025.pth --as magface');
  });

  it('a kind that is not one is an error listing the kinds', () => {
    expect(() => torchModelKind('arcface')).toThrowError(`--as arcface: expected one of ${Object.keys(TORCH_MODEL_KINDS).join(', ')}`);
  });
});
