// Custom tfjs-layers layers the transformer architectures need and tfjs-layers 4.22 lacks:
// a learned position embedding and multi-head self-attention. They are registered with
// tfjs's serialization registry on import, so a saved ViT reloads with loadLayersModel as
// long as @classfit/models has been imported.
import * as tf from "@tensorflow/tfjs-core";
import { initializers, type LayerVariable, layers } from "@tensorflow/tfjs-layers";

// Every weight starts at zero; arch/init.ts then draws the real values from a seeded wasm-core Rng.
const zeros = () => initializers.zeros();

type Kwargs = Record<string, unknown>;
type ShapeLike = (number | null)[];

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`expected one input tensor, got ${inputs.length}`);
    return inputs[0] as tf.Tensor;
  }
  return inputs;
}

function shapeOf(inputShape: ShapeLike | ShapeLike[]): ShapeLike {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as ShapeLike;
}

/** Adds a learned (tokens × dim) embedding to a (batch, tokens, dim) sequence. */
export class PositionEmbedding extends layers.Layer {
  static className = "ClassfitPositionEmbedding";
  private embedding: LayerVariable | undefined;

  override build(inputShape: ShapeLike | ShapeLike[]): void {
    const s = shapeOf(inputShape);
    const tokens = s[1];
    const dim = s[2];
    if (typeof tokens !== "number" || typeof dim !== "number")
      throw new Error(`${this.name}: needs a known (tokens, dim) input shape, got [${s.join(", ")}]`);
    this.embedding = this.addWeight("embedding", [tokens, dim], "float32", zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      if (!this.embedding) throw new Error(`${this.name}: called before build`);
      return tf.add(one(inputs), this.embedding.read());
    });
  }
}
tf.serialization.registerClass(PositionEmbedding);

export interface SelfAttentionArgs {
  heads: number;
  name?: string;
}

/**
 * Multi-head self-attention over a (batch, tokens, dim) sequence (Vaswani et al. 2017):
 * softmax(Q Kᵀ / √d_h) V per head, heads concatenated and projected back to dim.
 * Weights: qkv_kernel (dim × 3·dim), qkv_bias, out_kernel (dim × dim), out_bias.
 */
export class SelfAttention extends layers.Layer {
  static className = "ClassfitSelfAttention";
  readonly heads: number;
  private qkvKernel: LayerVariable | undefined;
  private qkvBias: LayerVariable | undefined;
  private outKernel: LayerVariable | undefined;
  private outBias: LayerVariable | undefined;

  constructor(args: SelfAttentionArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    if (!Number.isInteger(args.heads) || args.heads < 1)
      throw new Error(`heads must be a positive integer, got ${args.heads}`);
    this.heads = args.heads;
  }

  override build(inputShape: ShapeLike | ShapeLike[]): void {
    const s = shapeOf(inputShape);
    const dim = s[2];
    if (typeof dim !== "number") throw new Error(`${this.name}: needs a known dim`);
    if (dim % this.heads !== 0) throw new Error(`${this.name}: dim ${dim} is not divisible by ${this.heads} heads`);
    this.qkvKernel = this.addWeight("qkv_kernel", [dim, 3 * dim], "float32", zeros());
    this.qkvBias = this.addWeight("qkv_bias", [3 * dim], "float32", zeros());
    this.outKernel = this.addWeight("out_kernel", [dim, dim], "float32", zeros());
    this.outBias = this.addWeight("out_bias", [dim], "float32", zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const { qkvKernel, qkvBias, outKernel, outBias } = this;
      if (!qkvKernel || !qkvBias || !outKernel || !outBias) throw new Error(`${this.name}: called before build`);
      const x = one(inputs);
      const [b, t, d] = x.shape as [number, number, number];
      const h = this.heads;
      const dh = d / h;
      const qkv = tf.add(tf.matMul(tf.reshape(x, [b * t, d]), qkvKernel.read()), qkvBias.read());
      const heads = (m: tf.Tensor): tf.Tensor3D =>
        tf.reshape(tf.transpose(tf.reshape(m, [b, t, h, dh]), [0, 2, 1, 3]), [b * h, t, dh]);
      const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      // 1/√d_h computed once in JS: a single correctly rounded sqrt, identical in every engine.
      const scores = tf.mul(tf.matMul(heads(q), heads(k), false, true), tf.scalar(1 / Math.sqrt(dh)));
      const attended = tf.matMul(tf.softmax(scores), heads(v));
      const merged = tf.reshape(tf.transpose(tf.reshape(attended, [b, h, t, dh]), [0, 2, 1, 3]), [b * t, d]);
      return tf.reshape(tf.add(tf.matMul(merged, outKernel.read()), outBias.read()), [b, t, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads };
  }
}
tf.serialization.registerClass(SelfAttention);
