import { describe, expect, it } from 'vitest';
import { z } from '@aikd/core';
import { BUILTIN_METHODS, MethodCatalogue, createQualityMethod, listMethods, methodCatalogue, parseParamArgs, type MethodDescriptor, type QualityMethod } from '../src/index.ts';
import { tempDir } from './helpers.ts';

/** A descriptor with runs, as another package (AI-KD) gives one; `open` records what it was asked for. */
function familyDescriptor(seen: string[], fake: QualityMethod): MethodDescriptor {
  return {
    id: 'student',
    title: 'Student',
    description: 'a test family',
    needs: { frModel: false, frFeatures: [], gradients: false, training: true },
    params: z.object({}),
    open: async () => {
      throw new Error('give a run');
    },
    runs: {
      title: 'Student (trained here)',
      description: 'a test family',
      note: 'train one, then student:<run-id>',
      example: 'student:run-1',
      open: async (spec) => {
        seen.push(spec);
        return fake;
      },
    },
  };
}

describe('method catalogue', () => {
  it('unknown and not-yet-runnable methods are clear errors', async () => {
    await expect(createQualityMethod('ser-fiq')).rejects.toThrow(/unknown method "ser-fiq": expected one of serfiq, faceqan, magface, embedding-norm/);
    await expect(createQualityMethod('crfiqa')).rejects.toThrow(/CR-FIQA\) needs trained weights: train it here with `aikd method train --method crfiqa --dataset NAME` and score with crfiqa:<run-id>, or the official weights: --weights NAME\|FILE\.pth \(aikd models import 181952backbone\.pth --as crfiqa → crfiqa-l; .*\) or the official weights as ONNX \(--onnx FILE: CR-FIQA iResNet/);
    await expect(createQualityMethod('nope:1')).rejects.toThrow(/^method "nope:1": no method family "nope:" \(expected one of crfiqa:<run-id>, sddfiqa:<run-id>, faceqnet:<run-id>, diffiqa:<run-id>, diffiqa-r:<run-id>\)$/);
  });

  it('a registered descriptor with runs opens <id>:<run-id>, and methods list shows it; ids are unique', async () => {
    const seen: string[] = [];
    const fake = { id: 'x' } as unknown as QualityMethod;
    const cat = new MethodCatalogue(BUILTIN_METHODS);
    const student = familyDescriptor(seen, fake);
    cat.register(student);
    cat.register(student); // the same descriptor again: no-op
    expect(await cat.open('student:run-7:best')).toBe(fake);
    expect(seen).toEqual(['run-7:best']);
    expect(() => cat.register({ ...student })).toThrow(/method "student" is already in the catalogue/);
    expect(() => cat.register({ ...student, id: 'Bad_Id' })).toThrow(/expected lower-case/);
    const rows = await cat.describe();
    expect(rows.find((r) => r.id === 'student:<…>')).toMatchObject({ description: 'a test family', note: 'train one, then student:<run-id>' });
    expect(cat.knows('student:r1')).toBe(true);
    expect(cat.knows('serfiq:r1')).toBe(false);
    expect(cat.title('student:r1')).toBe('Student:r1');
    // the workbench's catalogue was not touched
    expect(methodCatalogue.has('student')).toBe(false);
  });

  it('titles labels the way experiments write them', () => {
    expect(methodCatalogue.title('serfiq')).toBe('SER-FIQ');
    expect(methodCatalogue.title('diffiqa-r')).toBe('DifFIQA(R)');
    expect(methodCatalogue.title('crfiqa:teacher-train-1')).toBe('CR-FIQA:teacher-train-1');
    expect(methodCatalogue.title('my-own')).toBe('my-own');
  });

  it('methods list covers every method of the catalogue, with needs and availability (magface needs user weights)', async () => {
    const saved = process.env.AIKD_MODELS;
    process.env.AIKD_MODELS = tempDir('models');
    try {
      const rows = await listMethods();
      expect(rows.slice(0, BUILTIN_METHODS.length).map((r) => r.id)).toEqual(['serfiq', 'faceqan', 'magface', 'embedding-norm', 'crfiqa', 'sddfiqa', 'faceqnet', 'diffiqa', 'diffiqa-r']);
      const by = Object.fromEntries(rows.map((r) => [r.id, r]));
      expect(by.serfiq).toMatchObject({ available: true, requires: { frModel: true }, params: { T: 100, p: 0.4 }, note: 'default FR model faceres', paper: 'Terhörst et al., CVPR 2020' });
      expect(by.serfiq!.frModels![0]).toBe('faceres');
      expect(by.faceqan).toMatchObject({ available: true, requires: { gradients: true } });
      expect(by.faceqan!.note).toMatch(/tfjs models only/);
      expect(by.magface).toMatchObject({ available: false });
      expect(by.magface!.note).toMatch(/needs the MagFace weights: --weights NAME\|FILE\.pth \(aikd models import magface_epoch_00025\.pth --as magface → magface\), or your MagFace ONNX file/);
      expect(by['diffiqa-r']).toMatchObject({ available: false, requires: { training: true } });
      expect(by['diffiqa-r']!.note).toMatch(/official ONNX \(--onnx FILE; DifFIQA\(R\).*aikd method train --method diffiqa-r → diffiqa-r:<run-id>/);
      expect(by.sddfiqa!.params).toMatchObject({ m: 24, K: 12, beta: 1, hidden: 64, input: 'embedding' });
      expect(by.diffiqa!.params).toMatchObject({ R: 10, t: 5, steps: 6, eta: 1, size: 56, channels: [8, 16, 32], trainSteps: 500 });
      // the learned methods' own runs are families
      for (const id of ['crfiqa', 'sddfiqa', 'faceqnet', 'diffiqa', 'diffiqa-r']) expect(by[`${id}:<…>`]).toMatchObject({ available: true, requires: { training: true } });
      expect(by['crfiqa:<…>']!.description).toMatch(/frozen-backbone variant: the original trains the head jointly with ArcFace/);
    } finally {
      if (saved === undefined) delete process.env.AIKD_MODELS;
      else process.env.AIKD_MODELS = saved;
    }
  });

  it('every descriptor declares what it reads from its FR model, and parameter schemas whose defaults parse', () => {
    for (const d of methodCatalogue.list()) {
      if (d.needs.frModel) expect(d.needs.frFeatures.length, d.id).toBeGreaterThan(0);
      expect(() => d.params.parse({}), d.id).not.toThrow();
      if (d.trainer?.params) expect(() => d.trainer!.params!.parse({}), d.id).not.toThrow();
    }
  });

  it('--param key=value parsing', () => {
    expect(parseParamArgs(['T=50', 'p=0.5', 'rescale=true', 'name=x'])).toEqual({ T: 50, p: 0.5, rescale: true, name: 'x' });
    expect(() => parseParamArgs(['T'])).toThrow(/--param T: expected key=value/);
  });
});
