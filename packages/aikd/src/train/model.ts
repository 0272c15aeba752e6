/**
 * The AI-KD models (aikd.md §2): the student = a trainable copy of the FR backbone + MLP quality head
 * (embedding → hidden → GELU (exact) → 1), one tf.layers model with outputs [embedding, quality]; the teacher = a
 * separate frozen copy of the same backbone, always run in inference mode (the reference code shares one module
 * between the two and runs it with BN in train mode, §10.2 — not copied).
 */
import { tf } from '@aikd/runtime';
import { rngFor } from '@aikd/core';
import { Gelu, freezeAll, makeLastTrainable, ParamList, trainDepthTensors, type BackboneSource, type BackboneSpec, type ParamRef, type TrainDepth } from '@aikd/fr-models';

export interface AikdModels {
  spec: BackboneSpec;
  /** pixels → [embedding, quality]. */
  student: tf.LayersModel;
  teacher: tf.LayersModel;
  /** Backbone parameters in order, then the head's. */
  backboneParams: ParamRef[];
  headParams: ParamRef[];
  /** The ones the optimizer updates: the last N backbone tensors, and the whole head. */
  trainable: { backbone: ParamRef[]; head: ParamRef[] };
  dispose(): void;
}

/**
 * PyTorch's nn.Linear initialisation (kaiming-uniform with a = √5 ⇒ U(±1/√fan_in) for weights and biases), with
 * seeds drawn from (seed, 'head', layer) so a run's head is the same every time.
 */
function linearInit(seed: number | string, layer: string, fanIn: number) {
  const r = rngFor(seed, 'head', layer);
  const bound = 1 / Math.sqrt(fanIn);
  return {
    kernelInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: r.seed32() }),
    biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: r.seed32() }),
  };
}

/**
 * `trainDepth` (`head`, `last-block`, `last-stage`, `all`: the backbone's own mapping, `spec.depths`) replaces
 * `trainableTensors` (the last N tensors, the reference code's `limit`) when given.
 */
export function createAikdModels(source: BackboneSource, opts: { seed: number | string; trainableTensors: number; trainDepth?: TrainDepth; headHidden: number }): AikdModels {
  const size = source.spec.inputSize;
  // student
  const sIn = tf.input({ shape: [size, size, 3], name: 'pixels' });
  const sb = source.build(sIn);
  const emb = sb.output;
  const d = source.spec.embeddingSize;
  const H = new ParamList();
  const fc1 = tf.layers.dense({ units: opts.headHidden, name: 'head.fc1', ...linearInit(opts.seed, 'fc1', d) });
  const fc2 = tf.layers.dense({ units: 1, name: 'head.fc2', ...linearInit(opts.seed, 'fc2', opts.headHidden) });
  const hidden = new Gelu({ name: 'head.gelu' }).apply(fc1.apply(emb)) as tf.SymbolicTensor;
  const quality = fc2.apply(hidden) as tf.SymbolicTensor;
  H.add(fc1, ['head.fc1.weight', 'head.fc1.bias']);
  H.add(fc2, ['head.fc2.weight', 'head.fc2.bias']);
  const student = tf.model({ inputs: sIn, outputs: [emb, quality], name: 'aikd_student' });
  const n = opts.trainDepth ? trainDepthTensors(source.spec, sb.params, opts.trainDepth) : opts.trainableTensors;
  const backbone = makeLastTrainable(student, sb.params, n);
  // makeLastTrainable froze every layer outside the chosen backbone tensors, the head included: unfreeze the head
  for (const l of [fc1, fc2]) {
    l.trainable = true;
    for (const w of l.weights) w.trainable = true;
  }
  // teacher
  const tIn = tf.input({ shape: [size, size, 3], name: 'pixels' });
  const teacher = tf.model({ inputs: tIn, outputs: source.build(tIn).output, name: 'aikd_teacher' });
  freezeAll(teacher);
  return {
    spec: source.spec,
    student,
    teacher,
    backboneParams: sb.params,
    headParams: H.list,
    trainable: { backbone, head: H.list },
    dispose() {
      student.dispose();
      teacher.dispose();
    },
  };
}

/**
 * Student forward: [embedding, quality [n]]. `training` puts every BatchNorm layer in training mode (batch
 * statistics, running statistics updated; frozen blocks too, as PyTorch's `model.train()` in the reference code);
 * without it, running statistics (inference mode). No dropout exists. Backbones without real BN layers (the
 * built-in graph models, folded BNs of ONNX exports) compute the same either way.
 */
export function studentForward(student: tf.LayersModel, pixels: tf.Tensor4D, training = false): [tf.Tensor2D, tf.Tensor1D] {
  const [e, q] = student.apply(pixels, { training }) as tf.Tensor[];
  return [e as tf.Tensor2D, tf.reshape(q!, [-1]) as tf.Tensor1D];
}

export function teacherForward(teacher: tf.LayersModel, pixels: tf.Tensor4D): tf.Tensor2D {
  return teacher.apply(pixels, { training: false }) as tf.Tensor2D;
}
