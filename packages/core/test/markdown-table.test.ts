/** markdownTable: GitHub-flavoured markdown with the first `left` columns left-aligned and the rest right-aligned. */
import { describe, expect, it } from 'vitest';
import { markdownTable } from '../src/index.ts';

describe('markdownTable', () => {
  it('writes the head, the alignment row and one line per body row', () => {
    expect(markdownTable(['method', 'model', 'pAUC'], [['serfiq', 'faceres', '0.749'], ['crfiqa', 'faceres', '0.81']], 2)).toEqual([
      '| method | model | pAUC |',
      '|---|---|---:|',
      '| serfiq | faceres | 0.749 |',
      '| crfiqa | faceres | 0.81 |',
    ]);
  });
  it('left-aligns only the first column by default, and none with left 0', () => {
    expect(markdownTable(['a', 'b'], [])[1]).toBe('|---|---:|');
    expect(markdownTable(['a', 'b'], [], 0)[1]).toBe('|---:|---:|');
  });
});
