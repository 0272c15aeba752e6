/** `aikd score --images DIR --out scores.csv`: every file gets a row, and a file without a score says why. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '@aikd/datasets';
import { templateForSize } from '@aikd/alignment';
import { scoreImageFiles, imageScoresCsv, type QualityMethod } from '../src/index.ts';
import { randomCrop, tempDir } from './helpers.ts';

/** A method whose quality is the crop's mean pixel value (the pipeline, not a FIQA method, is under test). */
const meanPixel: QualityMethod = {
  id: 'mean-pixel',
  requires: {},
  params: {},
  range: { min: 0, max: 255 },
  input: { size: 8, template: templateForSize(8) },
  async score(crops) {
    return Float64Array.from(crops, (c) => c.data.reduce((a, b) => a + b, 0) / c.data.length);
  },
  async dispose() {},
};

describe('scoring image files', () => {
  it('writes file, quality and the reason a file has no score', async () => {
    const dir = tempDir('files');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const img = randomCrop(1, 8);
    writeFileSync(join(dir, 'a.png'), await encodePng(img));
    writeFileSync(join(dir, 'sub', 'b, broken.png'), 'not an image');
    const records = await scoreImageFiles(dir, meanPixel, { aligned: true });
    expect(records.map((r) => r.file)).toEqual(['a.png', 'sub/b, broken.png']);
    expect(records[0]!.quality).toBeCloseTo(img.data.reduce((a, b) => a + b, 0) / img.data.length, 9);
    expect(records[1]).toMatchObject({ quality: null, error: expect.stringMatching(/decod/) });
    const csv = imageScoresCsv(records).split('\n');
    expect(csv[0]).toBe('file,quality,error');
    expect(csv[1]).toBe(`a.png,${records[0]!.quality},`);
    expect(csv[2]).toBe(`"sub/b, broken.png",,${/[",]/.test(records[1]!.error!) ? `"${records[1]!.error!.replace(/"/g, '""')}"` : records[1]!.error}`);
  });
});
