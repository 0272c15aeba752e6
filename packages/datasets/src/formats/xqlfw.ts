/**
 * XQLFW: the LFW folder layout — either the original-size release (`xqlfw.zip` unpacks to
 * `lfw_original_imgs_min_qual0.85variant11/`) or the MTCNN-aligned 112×112 copies (`xqlfw_aligned_112/`), same
 * `<Name>/<Name>_NNNN.jpg` naming — with `xqlfw_pairs.txt` in LFW pairs.txt format (header `10 300`). The optional
 * `xqlfw_scores.txt` (header `ID Num Score`, lines `name num score`) becomes the attribute `xqlfw_score`.
 */
import { parseCount, readTextLines, tokens } from '../text-files.ts';
import { lfwImageId, loadLfwLayout, LFW_NAMING } from './lfw.ts';
import type { FormatLoader } from './types.ts';

export const xqlfwFormat: FormatLoader = {
  requiredPaths: ['images', 'pairs'],
  optionalPaths: ['scores'],
  load(ctx) {
    const parts = loadLfwLayout(ctx);
    const scoresFile = ctx.path('scores');
    if (scoresFile) {
      const byId = new Map(parts.images.map((r) => [r.id, r]));
      const naming = { ext: ctx.options.string('ext', LFW_NAMING.ext), digits: ctx.options.int('digits', LFW_NAMING.digits, 1) };
      for (const { line, text } of readTextLines(scoresFile, 'a readable xqlfw_scores.txt')) {
        const t = tokens(text);
        if (t[0] === 'ID') continue; // header `ID Num Score`
        const num = parseCount(t[1]);
        const score = Number(t[2]);
        if (t.length !== 3 || !num || !Number.isFinite(score)) {
          ctx.sink.report({ severity: 'error', file: scoresFile, where: `line ${line}`, expected: '`name num score`', got: JSON.stringify(text.trim().slice(0, 80)) });
          continue;
        }
        const rec = byId.get(lfwImageId(t[0]!, num, naming));
        if (rec) rec.attributes = { ...rec.attributes, xqlfw_score: score };
      }
    }
    return parts;
  },
};
