/**
 * Matching score-file keys (paths as another tool saw them) to dataset images by path suffix: a key matches an
 * image when the image's id (or file path) is a whole-component suffix of the key
 * (`/home/x/lfw/Aaron/Aaron_0001.jpg` → `Aaron/Aaron_0001.jpg`), or the key is a whole-component suffix of the
 * id (`Aaron_0001.jpg`, when only one image ends so). If neither fits, the same is tried without file
 * extensions (crops saved as .png from .jpg originals). Keys that fit several images are ambiguous, never guessed.
 */
import type { ImageRecord } from '@aikd/datasets';
import type { ScoreEntry } from './read.ts';

const AMBIGUOUS = -1;

function components(p: string): string[] {
  return p.replace(/\\/g, '/').split('/').filter((c) => c !== '' && c !== '.');
}

function stripExt(comps: string[]): string[] {
  if (!comps.length) return comps;
  const last = comps[comps.length - 1]!;
  const dot = last.lastIndexOf('.');
  return dot > 0 ? [...comps.slice(0, -1), last.slice(0, dot)] : comps;
}

export interface MatchReport {
  /** Score entries that named a dataset image. */
  matched: number;
  /** Keys that fit no image (first ones kept). */
  unmatched: string[];
  unmatchedCount: number;
  /** Keys that fit several images. */
  ambiguous: string[];
  ambiguousCount: number;
  /** Images named by more than one key (the first key's score is kept). */
  duplicates: string[];
  /** Dataset images with no score (their quality is NaN: not assessed). */
  missing: string[];
  missingCount: number;
}

const KEEP = 20;

class SuffixIndex {
  /** whole id/path → image */
  private full = new Map<string, number>();
  /** every whole-component suffix of an id → image, or AMBIGUOUS */
  private suffix = new Map<string, number>();

  add(comps: string[], image: number): void {
    const whole = comps.join('/');
    const prev = this.full.get(whole);
    this.full.set(whole, prev === undefined || prev === image ? image : AMBIGUOUS);
    for (let j = 0; j < comps.length; j++) {
      const s = comps.slice(j).join('/');
      const p = this.suffix.get(s);
      this.suffix.set(s, p === undefined || p === image ? image : AMBIGUOUS);
    }
  }

  /** image index, AMBIGUOUS, or undefined. */
  find(comps: string[]): number | undefined {
    // the longest suffix of the key that is a whole id
    for (let j = 0; j < comps.length; j++) {
      const hit = this.full.get(comps.slice(j).join('/'));
      if (hit !== undefined) return hit;
    }
    // the key is a suffix of (exactly one) id
    return this.suffix.get(comps.join('/'));
  }
}

export function matchScores(images: readonly ImageRecord[], entries: readonly ScoreEntry[]): { quality: Float64Array; report: MatchReport } {
  const exact = new SuffixIndex();
  const loose = new SuffixIndex();
  images.forEach((r, i) => {
    for (const name of r.path && r.path !== r.id ? [r.id, r.path] : [r.id]) {
      const c = components(name);
      exact.add(c, i);
      loose.add(stripExt(c), i);
    }
  });
  const quality = new Float64Array(images.length).fill(NaN);
  const seen = new Uint8Array(images.length);
  const report: MatchReport = { matched: 0, unmatched: [], unmatchedCount: 0, ambiguous: [], ambiguousCount: 0, duplicates: [], missing: [], missingCount: 0 };
  for (const e of entries) {
    const c = components(e.key);
    let hit = exact.find(c);
    if (hit === undefined) hit = loose.find(stripExt(c));
    if (hit === undefined) {
      report.unmatchedCount++;
      if (report.unmatched.length < KEEP) report.unmatched.push(e.key);
    } else if (hit === AMBIGUOUS) {
      report.ambiguousCount++;
      if (report.ambiguous.length < KEEP) report.ambiguous.push(e.key);
    } else if (seen[hit]) {
      if (report.duplicates.length < KEEP) report.duplicates.push(`${images[hit]!.id} (again as ${e.key})`);
    } else {
      seen[hit] = 1;
      quality[hit] = e.score;
      report.matched++;
    }
  }
  images.forEach((r, i) => {
    if (seen[i]) return;
    report.missingCount++;
    if (report.missing.length < KEEP) report.missing.push(r.id);
  });
  return { quality, report };
}
