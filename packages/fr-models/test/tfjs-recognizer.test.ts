/** `tfjs:<onnx model>`: the user's iResNet as a gradient-capable recogniser, equal to onnxruntime's embeddings. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '@aikd/runtime';
import type { RawImage } from '@aikd/datasets';
import { cosine, createRecognizer, recognizerMissing } from '@aikd/fr-models';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'iresnet');
const meta = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as { input: { shape: number[] } };
const [n, size] = meta.input.shape as [number, number];
const px = new Uint8Array(readFileSync(join(FIXTURE, 'input-pixels.u8')));
const crops: RawImage[] = Array.from({ length: n }, (_, i) => ({ width: size, height: size, channels: 3, data: px.slice(i * size * size * 3, (i + 1) * size * size * 3) }));

describe('tfjs:<model> recogniser', () => {
  it('embeds like onnxruntime, splits before the FC layer, and has input gradients', async () => {
    const file = join(FIXTURE, 'iresnet-folded.onnx');
    const tfjs = await createRecognizer(`tfjs:onnx:${file}`, { preprocess: { size } });
    const ort = await createRecognizer(`onnx:${file}`, { preprocess: { size } });
    expect(tfjs.spec.engine).toBe('tfjs');
    const a = await tfjs.embed(crops), b = await ort.embed(crops);
    for (let i = 0; i < n; i++) expect(cosine(a[i]!, b[i]!)).toBeGreaterThan(0.9999);
    const t = await tfjs.gradients!();
    const [full, split, g] = tf.tidy(() => {
      const x = t.toPixels(crops);
      const f = t.features(x);
      const grad = tf.grad((p: tf.Tensor) => tf.sum(t.forward(p as tf.Tensor4D)))(x);
      return [t.forward(x).arraySync() as number[][], t.head(f).arraySync() as number[][], grad.abs().max().dataSync()[0]!];
    });
    for (let i = 0; i < n; i++) expect(cosine(Float32Array.from(full[i]!), Float32Array.from(split[i]!))).toBeGreaterThan(0.99999);
    expect(g).toBeGreaterThan(0);
    await tfjs.dispose();
    await ort.dispose();
  });

  it('says what is missing for a model without weights', () => {
    expect(recognizerMissing('tfjs:onnx:/nowhere/x.onnx')).toEqual(['/nowhere/x.onnx']);
  });
});
