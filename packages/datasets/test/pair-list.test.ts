import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatasetEntry } from '../src/open.ts';
import { jpeg, png, tempDir, writeFile } from './helpers/fixtures.ts';

describe('pair-list format', async () => {
  const dir = tempDir('pairlist');
  const imgs = new Map<string, Uint8Array>();
  for (const [k, name] of ['00000.jpg', '00001.jpg', '00002.jpg', '00003.jpg', 'sub/x.png'].entries()) {
    const b = name.endsWith('.png') ? await png(k) : await jpeg(k);
    imgs.set(name, b);
    writeFile(join(dir, 'q/images', name), b);
  }

  it('CR-FIQA extract_bin output: stems as names, numpy-style 00001 labels, an image list with parent-relative paths', async () => {
    // image_path_list.txt lines as CR-FIQA writes them (relative to a parent folder), pair_list.txt from np.savetxt('%05d')
    writeFile(join(dir, 'q/image_path_list.txt'), ['00000', '00001', '00002', '00003'].map((s) => `quality_data/lfw/images/${s}.jpg`).join('\n') + '\n');
    writeFile(join(dir, 'q/pair_list.txt'), '00000 00001 00001\n00002 00003 00000\n');
    const ds = await openDatasetEntry({ name: 'p', format: 'pair-list', paths: { images: 'q/images', list: 'q/image_path_list.txt', pairs: 'q/pair_list.txt' } }, { dataRoot: dir });
    expect(ds.images().map((r) => r.id)).toEqual(['00000.jpg', '00001.jpg', '00002.jpg', '00003.jpg']);
    expect(ds.pairs()).toEqual([
      { a: '00000.jpg', b: '00001.jpg', mated: true },
      { a: '00002.jpg', b: '00003.jpg', mated: false },
    ]);
    expect(await ds.readImage('00003.jpg')).toEqual(imgs.get('00003.jpg'));
  });

  it('without a list: scans the folder; names by path, file name; labels true/false; 4th column = fold; header skipped', async () => {
    writeFile(join(dir, 'q/pairs2.txt'), 'img1 img2 label fold\n00000.jpg sub/x.png false 1\nx.png 00003 True 0\n');
    const ds = await openDatasetEntry({ name: 'p', format: 'pair-list', paths: { images: 'q/images', pairs: 'q/pairs2.txt' } }, { dataRoot: dir });
    expect(ds.images()).toHaveLength(5);
    expect(ds.pairs()).toEqual([
      { a: '00000.jpg', b: 'sub/x.png', mated: false, fold: 1 },
      { a: 'sub/x.png', b: '00003.jpg', mated: true, fold: 0 },
    ]);
  });

  it('option folds: k contiguous folds', async () => {
    writeFile(join(dir, 'q/pairs3.txt'), Array.from({ length: 7 }, (_, i) => `0000${i % 4} 0000${(i + 1) % 4} ${i % 2}`).join('\n'));
    const ds = await openDatasetEntry({ name: 'p', format: 'pair-list', paths: { images: 'q/images', pairs: 'q/pairs3.txt' }, options: { folds: 3 } }, { dataRoot: dir });
    expect(ds.pairs().map((p) => p.fold)).toEqual([0, 0, 0, 1, 1, 2, 2]);
  });

  it('pairs naming missing images and bad labels: errors with file and line', async () => {
    writeFile(join(dir, 'q/bad1.txt'), '00000 00001 1\n00000 00009 0\n');
    await expect(openDatasetEntry({ name: 'p', format: 'pair-list', paths: { images: 'q/images', pairs: 'q/bad1.txt' } }, { dataRoot: dir })).rejects.toThrow(
      `${join(dir, 'q/bad1.txt')}, line 2: expected image 00009 in ${join(dir, 'q/images')} (got no such image)`,
    );
    writeFile(join(dir, 'q/bad2.txt'), '00000 00001 1\n00000 00002 maybe\n');
    await expect(openDatasetEntry({ name: 'p', format: 'pair-list', paths: { images: 'q/images', pairs: 'q/bad2.txt' } }, { dataRoot: dir })).rejects.toThrow(/bad2.txt, line 2: expected `img1 img2 label \[fold\]`/);
    writeFile(join(dir, 'q/list-bad.txt'), '00000.jpg\nnothere.jpg\n');
    await expect(openDatasetEntry({ name: 'p', format: 'pair-list', paths: { images: 'q/images', list: 'q/list-bad.txt', pairs: 'q/bad1.txt' } }, { dataRoot: dir })).rejects.toThrow(
      /list-bad.txt, line 2: expected an image file \(tried .*\) \(got no such file\)/,
    );
  });
});
