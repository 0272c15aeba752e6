/**
 * AI-KD's loss (reference code train_main.py:86-92, aikd.md §4): consistency = mean(1 − cos(ê, e)) between the
 * student's embedding of the misaligned image and the frozen teacher's embedding of the aligned one (PyTorch's
 * CosineEmbeddingLoss with target 1, eps 1e-12 inside the norms), plus quality = SmoothL1(β)(q̂, q), both batch means.
 */
import { tf } from '@aikd/runtime';

const NORM_EPS = 1e-12;

/** mean over the batch of 1 − cos(a_i, b_i); a, b: [n, d]. */
export function consistencyLoss(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(a, b), 1);
    const na = tf.sqrt(tf.add(tf.sum(tf.square(a), 1), NORM_EPS));
    const nb = tf.sqrt(tf.add(tf.sum(tf.square(b), 1), NORM_EPS));
    return tf.mean(tf.sub(1, tf.div(dot, tf.mul(na, nb))));
  });
}

/** PyTorch SmoothL1Loss(beta): d = q̂ − q; 0.5·d²/β where |d| < β, else |d| − 0.5·β; mean over the batch. */
export function smoothL1Loss(pred: tf.Tensor, target: tf.Tensor, beta: number): tf.Scalar {
  return tf.tidy(() => {
    // with m = min(|d|, β): 0.5·m²/β + (|d| − m) is both branches in one differentiable expression
    const d = tf.abs(tf.sub(pred.reshape([-1]), target.reshape([-1])));
    const m = tf.minimum(d, beta);
    return tf.mean(tf.add(tf.div(tf.mul(tf.square(m), 0.5), beta), tf.sub(d, m)));
  });
}

export interface LossWeights {
  consistency: number;
  quality: number;
  beta: number;
}

export interface LossTerms {
  total: tf.Scalar;
  consistency: tf.Scalar;
  quality: tf.Scalar;
}

/** Both terms and their weighted sum (weights 1 : 1 by default, as in the reference code). */
export function aikdLoss(studentEmb: tf.Tensor2D, studentQuality: tf.Tensor, teacherEmb: tf.Tensor2D, labels: tf.Tensor, w: LossWeights): LossTerms {
  const consistency = consistencyLoss(studentEmb, teacherEmb);
  const quality = smoothL1Loss(studentQuality, labels, w.beta);
  const total = tf.tidy(() => tf.add(tf.mul(consistency, w.consistency), tf.mul(quality, w.quality)) as tf.Scalar);
  return { total, consistency, quality };
}
