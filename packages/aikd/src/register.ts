/**
 * Registers the `aikd:<run-id>` method family with the teachers' registry, so `aikd score --method aikd:<run-id>`
 * (and anything else that opens methods by name) can use trained students. Light: the student is loaded only when
 * the method is opened.
 */
import { registerQualityMethodFactory } from '@aikd/teachers';

let done = false;
export function registerAikdMethod(): void {
  if (done) return;
  done = true;
  registerQualityMethodFactory('aikd', async (spec, opts) => (await import('./method.ts')).createAikdMethod(spec, opts), {
    title: 'AI-KD',
    description: 'a trained AI-KD student: the FR backbone fine-tuned to be alignment-invariant, with a quality head distilled from a teacher FIQA method (Babnik et al. 2024)',
    requires: { training: true },
    available: true,
    note: 'train one with `aikd train --config experiments/<file>.yaml`, then use aikd:<run-id>',
    example: 'aikd:train-20261128-120000-abc123',
  });
}
