import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatasetEntry } from '../src/open.ts';
import { jpeg, tempDir, writeFile } from './helpers/fixtures.ts';

// Adience-style faces: (user_id = Flickr album, face_id = subject, original image, age, gender)
const FACES: [user: string, faceId: number, image: string, age: string, gender: string][] = [
  ['10399863@N03', 1, '111_a_o.jpg', '(25, 32)', 'f'],
  ['10399863@N03', 1, '112_b_o.jpg', '(25, 32)', 'f'],
  ['10399863@N03', 1, '113_c_o.jpg', '(25, 32)', 'f'],
  ['10399863@N03', 2, '111_a_o.jpg', '(38, 43)', 'm'],
  ['10399863@N03', 2, '114_d_o.jpg', '(38, 43)', 'm'],
  ['7285955@N06', 2050, '221_e_o.jpg', '35', 'm'],
  ['7285955@N06', 2050, '222_f_o.jpg', 'None', ''],
  ['7285955@N06', 2051, '223_g_o.jpg', '(0, 2)', 'u'],
];
const HEADER = 'user_id\toriginal_image\tface_id\tage\tgender\tx\ty\tdx\tdy\ttilt_ang\tfiducial_yaw_angle\tfiducial_score';
const row = (f: (typeof FACES)[number]) => [f[0], f[2], f[1], f[3], f[4], 10, 20, 300, 300, -5, 0, 42].join('\t');
const idOf = (f: (typeof FACES)[number]) => `${f[0]}/coarse_tilt_aligned_face.${f[1]}.${f[2]}`;

describe('adience format', async () => {
  const dir = tempDir('adience');
  for (const [k, f] of FACES.entries()) writeFile(join(dir, 'adience/faces', idOf(f)), await jpeg(k));
  writeFile(join(dir, 'adience/fold_0_data.txt'), [HEADER, ...FACES.slice(0, 5).map(row)].join('\n') + '\n');
  writeFile(join(dir, 'adience/fold_1_data.txt'), [HEADER, ...FACES.slice(5).map(row)].join('\n') + '\n');
  writeFile(join(dir, 'adience/fold_frontal_0_data.txt'), HEADER + '\n'); // not a fold file we read
  const entry = (paths: Record<string, string>, options: Record<string, unknown> = {}) => ({ name: 'a', format: 'adience', paths, options });

  it('fold files: faces by face_id with age/gender/fold attributes; all-vs-all pairs, mated = same subject', async () => {
    const ds = await openDatasetEntry(entry({ images: 'adience/faces', folds: 'adience' }), { dataRoot: dir });
    expect(ds.images()).toHaveLength(8);
    const first = ds.image(idOf(FACES[0]!))!;
    expect(first.identity).toBe('1');
    expect(first.attributes).toEqual({ user_id: '10399863@N03', age: '(25, 32)', gender: 'f', adience_fold: 0 });
    expect(ds.image(idOf(FACES[5]!))!.attributes).toEqual({ user_id: '7285955@N06', age: 35, gender: 'm', adience_fold: 1 });
    expect(ds.image(idOf(FACES[6]!))!.attributes).toEqual({ user_id: '7285955@N06', adience_fold: 1 });
    // 8 faces → 28 pairs; mated: C(3,2) + C(2,2) + C(2,2) = 5
    const pairs = ds.pairs();
    expect(pairs).toHaveLength(28);
    expect(pairs.filter((p) => p.mated)).toHaveLength(5);
    for (const p of pairs) expect(p.mated).toBe(ds.image(p.a)!.identity === ds.image(p.b)!.identity);
    expect(new Set(pairs.map((p) => [p.a, p.b].sort().join('|'))).size).toBe(28);
  });

  it('without fold files: scans <user>/<prefix>_face.<face_id>.<image>; adience_folds, keep and identity options', async () => {
    writeFile(join(dir, 'adience/faces/7285955@N06/landmark_aligned_face.2051.224_h_o.jpg'), await jpeg(99));
    writeFile(join(dir, 'adience/faces/stray.jpg'), await jpeg(98));
    const scanned = await openDatasetEntry(entry({ images: 'adience/faces' }), { dataRoot: dir });
    expect(scanned.images()).toHaveLength(9);
    expect(scanned.problems.map((p) => p.got)).toEqual(['1 other image(s), ignored (e.g. stray.jpg)']);
    expect(scanned.pairs().filter((p) => p.mated)).toHaveLength(6); // subject 2051 now has 2 faces

    const fold1 = await openDatasetEntry(entry({ images: 'adience/faces', folds: 'adience' }, { adience_folds: [1] }), { dataRoot: dir });
    expect(fold1.images().map((r) => r.identity)).toEqual(['2050', '2050', '2051']);

    writeFile(join(dir, 'adience/keep.txt'), `${idOf(FACES[0]!)}\ncoarse_tilt_aligned_face.1.112_b_o.jpg\n${idOf(FACES[3]!)}\n`);
    const kept = await openDatasetEntry(entry({ images: 'adience/faces', folds: 'adience', keep: 'adience/keep.txt' }), { dataRoot: dir });
    expect(kept.images().map((r) => r.id)).toEqual([idOf(FACES[0]!), idOf(FACES[1]!), idOf(FACES[3]!)]);
    expect(kept.pairs().map((p) => p.mated)).toEqual([true, false, false]);

    const userFace = await openDatasetEntry(entry({ images: 'adience/faces', folds: 'adience' }, { identity: 'user_face' }), { dataRoot: dir });
    expect(userFace.image(idOf(FACES[5]!))!.identity).toBe('7285955@N06/2050');
  });

  it('seeded subsampling: max_mated / non_mated give exact counts, reproducible per seed', async () => {
    const open = (seed: number) => openDatasetEntry(entry({ images: 'adience/faces', folds: 'adience' }, { max_mated: 3, non_mated: 10, seed }), { dataRoot: dir });
    const a = (await open(1)).pairs();
    expect(a.filter((p) => p.mated)).toHaveLength(3);
    expect(a.filter((p) => !p.mated)).toHaveLength(10);
    expect((await open(1)).pairs()).toEqual(a);
    const b = (await open(2)).pairs();
    expect(b).not.toEqual(a);
  });

  it('max_pairs refuses a protocol too large to hold, naming the options that reduce it', async () => {
    await expect(openDatasetEntry(entry({ images: 'adience/faces', folds: 'adience' }, { max_pairs: 20 }), { dataRoot: dir })).rejects.toThrow(
      /dataset "a" would have 28 pairs, more than max_pairs \(20\); set options.non_mated and\/or options.max_mated/,
    );
  });

  it('fold-file problems: missing columns, a missing image, a bad option', async () => {
    writeFile(join(dir, 'bad/fold_0_data.txt'), 'user\tface\nx\t1\n');
    await expect(openDatasetEntry(entry({ images: 'adience/faces', folds: 'bad' }), { dataRoot: dir })).rejects.toThrow(/fold_0_data.txt, line 1: expected a tab-separated header with user_id, original_image, face_id/);
    writeFile(join(dir, 'bad2/fold_3_data.txt'), `${HEADER}\n${row(FACES[0]!)}\n${row(['10399863@N03', 1, 'gone.jpg', '', ''])}\n`);
    await expect(openDatasetEntry(entry({ images: 'adience/faces', folds: 'bad2' }), { dataRoot: dir })).rejects.toThrow(
      `${join(dir, 'bad2/fold_3_data.txt')}, line 3: expected image file ${join(dir, 'adience/faces/10399863@N03/coarse_tilt_aligned_face.1.gone.jpg')} (got no such file)`,
    );
    await expect(openDatasetEntry(entry({ images: 'adience/faces' }, { non_mated: 'lots' }), { dataRoot: dir })).rejects.toThrow(/dataset "a", options.non_mated: expected an integer >= 0 or one of all, balanced \(got "lots"\)/);
  });
});
