import { describe, expect, it } from 'vitest';
import { METHOD_IDS, createQualityMethod, listMethods, parseParamArgs, registerQualityMethodFactory, type QualityMethod } from '../src/index.ts';
import { tempDir } from './helpers.ts';

describe('method registry', () => {
  it('unknown and not-yet-runnable methods are clear errors', async () => {
    await expect(createQualityMethod('ser-fiq')).rejects.toThrow(/unknown method "ser-fiq": expected one of serfiq, faceqan, magface, embedding-norm/);
    await expect(createQualityMethod('crfiqa')).rejects.toThrow(/CR-FIQA\) needs trained weights: train it here with `aikd teacher train --method crfiqa --dataset NAME` and score with crfiqa:<run-id> or the official weights as ONNX \(--onnx FILE: CR-FIQA iResNet/);
    await expect(createQualityMethod('nope:1')).rejects.toThrow(/no method family "nope:" is registered/);
  });

  it('other packages register families: the factory gets what follows the prefix, and methods list shows it', async () => {
    const seen: string[] = [];
    const fake = { id: 'x' } as unknown as QualityMethod;
    registerQualityMethodFactory('student', async (spec) => {
      seen.push(spec);
      return fake;
    }, { title: 'student', description: 'a test family', requires: { training: true }, available: true, example: 'student:<run-id>' });
    expect(await createQualityMethod('student:run-7:best')).toBe(fake);
    expect(seen).toEqual(['run-7:best']);
    expect(() => registerQualityMethodFactory('serfiq', async () => fake)).toThrow(/built-in method/);
    expect(() => registerQualityMethodFactory('Bad_Prefix', async () => fake)).toThrow(/expected lower-case/);
    const rows = await listMethods();
    expect(rows.find((r) => r.id === 'student:<…>')).toMatchObject({ description: 'a test family', note: 'student:<run-id>' });
  });

  it('methods list covers every method id, with needs and availability (magface needs user weights)', async () => {
    const saved = process.env.AIKD_MODELS;
    process.env.AIKD_MODELS = tempDir('models');
    try {
      const rows = await listMethods();
      for (const id of METHOD_IDS) expect(rows.some((r) => r.id === id)).toBe(true);
      const by = Object.fromEntries(rows.map((r) => [r.id, r]));
      expect(by.serfiq).toMatchObject({ available: true, requires: { frModel: true }, params: { T: 100, p: 0.4 }, note: 'default FR model faceres' });
      expect(by.serfiq!.frModels![0]).toBe('faceres');
      expect(by.faceqan).toMatchObject({ available: true, requires: { gradients: true } });
      expect(by.faceqan!.note).toMatch(/tfjs models only/);
      expect(by.magface).toMatchObject({ available: false });
      expect(by.magface!.note).toMatch(/needs your MagFace iResNet ONNX file/);
      expect(by['diffiqa-r']).toMatchObject({ available: false, requires: { training: true } });
      expect(by['diffiqa-r']!.note).toMatch(/official ONNX \(--onnx FILE; DifFIQA\(R\).*aikd teacher train --method diffiqa-r → diffiqa-r:<run-id>/);
      expect(by.sddfiqa!.params).toMatchObject({ m: 24, K: 12, beta: 1, hidden: 64, input: 'embedding' });
      expect(by.diffiqa!.params).toMatchObject({ R: 10, t: 5, steps: 6, eta: 1, size: 56, channels: [8, 16, 32], trainSteps: 500 });
      // the learned methods' own runs are registered families
      for (const id of ['crfiqa', 'sddfiqa', 'faceqnet', 'diffiqa', 'diffiqa-r']) expect(by[`${id}:<…>`]).toMatchObject({ available: true, requires: { training: true } });
      expect(by['crfiqa:<…>']!.description).toMatch(/frozen-backbone variant: the original trains the head jointly with ArcFace/);
    } finally {
      if (saved === undefined) delete process.env.AIKD_MODELS;
      else process.env.AIKD_MODELS = saved;
    }
  });

  it('--param key=value parsing', () => {
    expect(parseParamArgs(['T=50', 'p=0.5', 'rescale=true', 'name=x'])).toEqual({ T: 50, p: 0.5, rescale: true, name: 'x' });
    expect(() => parseParamArgs(['T'])).toThrow(/--param T: expected key=value/);
  });
});
