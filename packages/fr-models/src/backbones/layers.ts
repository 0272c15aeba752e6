/**
 * The few layers tf.layers lacks for the rebuilt recognisers and the quality head. `registerBackboneLayers()`
 * registers them with tf.serialization, so `tf.loadLayersModel` reads back what `model.save()` wrote (`instantiate`
 * calls it; anyone loading a saved model calls it first; importing this module changes nothing).
 */
import { tf } from '@aikd/runtime';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
type Shape = (number | null)[];

/** Pixels 0..255 → network input: optional RGB→BGR swap, then (x − mean) · scale, or (x − mean) / scale per channel. */
export class PixelNormalize extends tf.layers.Layer {
  static className = 'AikdPixelNormalize';
  readonly mean: number[];
  readonly scale: number[];
  readonly op: 'mul' | 'div';
  readonly reverseChannels: boolean;

  constructor(args: LayerArgs & { mean: number[]; scale: number[]; op?: 'mul' | 'div'; reverseChannels?: boolean }) {
    super(args);
    this.mean = args.mean;
    this.scale = args.scale;
    this.op = args.op ?? 'mul';
    this.reverseChannels = args.reverseChannels ?? false;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (this.reverseChannels) x = tf.reverse(x, -1);
      const centred = tf.sub(x, tf.tensor1d(this.mean));
      return this.op === 'mul' ? tf.mul(centred, tf.tensor1d(this.scale)) : tf.div(centred, tf.tensor1d(this.scale));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mean: this.mean, scale: this.scale, op: this.op, reverseChannels: this.reverseChannels };
  }
}

/**
 * Per-channel x · mul + add over the last axis: a BatchNorm folded into constants (the graph models), or face-api's
 * "scale" layers. Both tensors are parameters (they train like a frozen BN's γ and β).
 */
export class ChannelAffine extends tf.layers.Layer {
  static className = 'AikdChannelAffine';
  private mul!: tf.LayerVariable;
  private add!: tf.LayerVariable;

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const c = shape[shape.length - 1]!;
    this.mul = this.addWeight('mul', [c], 'float32', tf.initializers.ones());
    this.add = this.addWeight('add', [c], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.add(tf.mul(x, this.mul.read()), this.add.read());
    });
  }
}

/** GELU in its exact form 0.5 · x · (1 + erf(x / √2)) (PyTorch's default), not the tanh approximation. */
export class Gelu extends tf.layers.Layer {
  static className = 'AikdGelu';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    });
  }
}

/** Appends `extra` all-zero channels (face-api's residual-down shortcut: avg-pool, then zero-pad the channels). */
export class ZeroChannels extends tf.layers.Layer {
  static className = 'AikdZeroChannels';
  readonly extra: number;
  constructor(args: LayerArgs & { extra: number }) {
    super(args);
    this.extra = args.extra;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...((Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape)];
    s[s.length - 1] = s[s.length - 1]! + this.extra;
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.concat([x, tf.zeros([...x.shape.slice(0, -1), this.extra])], -1);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), extra: this.extra };
  }
}

let registered = false;
export function registerBackboneLayers(): void {
  if (registered) return;
  registered = true;
  for (const cls of [PixelNormalize, ChannelAffine, Gelu, ZeroChannels]) tf.serialization.registerClass(cls);
}
