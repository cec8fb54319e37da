// An inference-only executor for convolutional LayersModels that folds each batch norm into the
// convolution before it and fuses the following ReLU, so a ResNet block's conv → BN → ReLU is one
// FusedConv2D (XNNPACK, bias + ReLU in its epilogue) instead of three kernels. On the shipped
// ResNet this removes the FusedBatchNorm and Relu passes, about a third of a forward pass
// (bench/noisy-forward.mjs). Inference only: the moving statistics are read once, at build time.
//
// Folding (Ioffe & Szegedy 2015, inference form; as in PyTorch's fuse_conv_bn_eval):
//   s = γ / sqrt(σ²_moving + ε),  W' = W·s (per output channel),  b' = (b − μ_moving)·s + β.
// computed in f64 with + − × ÷ and sqrt only (bit-identical in every engine), then rounded to
// f32. The logits differ from model.predict only by f32 rounding; Node and the browser compute
// the same bits because both run this same code on the same tfjs wasm binary.
import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";

type LayerLike = LayersModel["layers"][number];

/** A convolution with its batch norm folded in (filter HWIO (kh, kw, ci, co), bias (co)). */
export interface FoldedConv {
  kind: "conv";
  filter: Float32Array;
  filterShape: [number, number, number, number];
  bias: Float32Array;
  strides: [number, number];
  pad: "same" | "valid";
  relu: boolean;
}
/** One layer of the folded network, with plain arrays for its weights. "alias" passes its input
 * on (a layer absorbed into the convolution before it, or a linear activation). */
export type FoldedOp =
  | FoldedConv
  | { kind: "input" | "alias" | "relu" | "add" | "gap" }
  | {
      kind: "bn";
      mean: Float32Array;
      variance: Float32Array;
      offset: Float32Array;
      scale: Float32Array;
      eps: number;
    }
  | { kind: "dense"; kernel: Float32Array; kernelShape: [number, number]; bias: Float32Array | null };
export interface FoldedStep {
  name: string;
  /** Names of the steps whose outputs this one reads. */
  inputs: string[];
  op: FoldedOp;
}
/** A model's layers in topological order with batch norms folded: what both executors run. */
export interface FoldedPlan {
  steps: FoldedStep[];
  outputName: string;
}

/** A step of the tfjs executor: the plan's, with its weights as tensors. */
type Step =
  | { name: string; inputs: string[]; op: { kind: "input" | "alias" | "relu" | "add" | "gap" } }
  | {
      name: string;
      inputs: string[];
      op: Omit<FoldedConv, "filter" | "bias"> & { filter: tf.Tensor4D; bias: tf.Tensor1D };
    }
  | {
      name: string;
      inputs: string[];
      op: {
        kind: "bn";
        mean: tf.Tensor1D;
        variance: tf.Tensor1D;
        offset: tf.Tensor1D;
        scale: tf.Tensor1D;
        eps: number;
      };
    }
  | { name: string; inputs: string[]; op: { kind: "dense"; kernel: tf.Tensor2D; bias: tf.Tensor1D | null } };

/** A folded forward pass: logits for a batch, and the tensors it holds. */
export interface FoldedForward {
  predict(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

function inboundNames(layer: LayerLike): string[] {
  const nodes = (layer as unknown as { inboundNodes: { inboundLayers: { name: string }[] }[] }).inboundNodes;
  return (nodes[0]?.inboundLayers ?? []).map((l) => l.name);
}

function weightByName(layer: LayerLike, suffix: string): Float32Array | undefined {
  const w = layer.weights.find((v) => v.originalName.endsWith(`/${suffix}`) || v.originalName === suffix);
  // A copy: a backend's dataSync may hand out its own storage.
  return w ? Float32Array.from(w.read().dataSync() as Float32Array) : undefined;
}

function pair(v: unknown): [number, number] | undefined {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number"))
    return [v[0] as number, v[1] as number];
  return undefined;
}

/**
 * The folded plan of `model`, or undefined when the model has a layer (or a configuration) it
 * does not handle — then use model.predict. Handles InputLayer, Conv2D (channels-last, no
 * dilation, linear or ReLU activation), BatchNormalization (channels axis), Activation (linear,
 * ReLU), Add, GlobalAveragePooling2D and Dense (linear): the ResNet and ConvNet of ../arch.
 */
export function planFolded(model: LayersModel): FoldedPlan | undefined {
  const layers = model.layers;
  const consumers = new Map<string, string[]>();
  for (const l of layers)
    for (const src of inboundNames(l)) consumers.set(src, [...(consumers.get(src) ?? []), l.name]);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const only = (name: string): LayerLike | undefined => {
    const c = consumers.get(name);
    return c && c.length === 1 ? byName.get(c[0] as string) : undefined;
  };
  const outputName = model.outputs[0]
    ? (model.outputs[0] as unknown as { sourceLayer: { name: string } }).sourceLayer.name
    : "";
  const steps: FoldedStep[] = [];
  const absorbed = new Set<string>();
  const fail = (): undefined => undefined;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return fail();
  for (const layer of layers) {
    if (absorbed.has(layer.name)) {
      steps.push({ name: layer.name, inputs: inboundNames(layer), op: { kind: "alias" } });
      continue;
    }
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const inputs = inboundNames(layer);
    switch (cls) {
      case "InputLayer":
        steps.push({ name: layer.name, inputs, op: { kind: "input" } });
        break;
      case "Conv2D": {
        const strides = pair(cfg.strides);
        const dil = pair(cfg.dilationRate ?? 1);
        const pad = cfg.padding;
        if (!strides || !dil || dil[0] !== 1 || dil[1] !== 1 || (pad !== "same" && pad !== "valid")) return fail();
        if (cfg.dataFormat !== undefined && cfg.dataFormat !== "channelsLast") return fail();
        const act = cfg.activation ?? "linear";
        if (act !== "linear" && act !== "relu") return fail();
        const kernelVar = layer.weights.find((v) => /kernel$/.test(v.originalName));
        if (!kernelVar) return fail();
        const shape = kernelVar.shape as [number, number, number, number];
        const cout = shape[3];
        const w = Float64Array.from(kernelVar.read().dataSync() as Float32Array);
        const b = new Float64Array(cout);
        const ownBias = cfg.useBias ? weightByName(layer, "bias") : undefined;
        if (ownBias) b.set(ownBias);
        let relu = act === "relu";
        let tail = layer.name;
        const bn = act === "linear" ? only(layer.name) : undefined;
        if (bn && bn.getClassName() === "BatchNormalization") {
          const bcfg = bn.getConfig() as Record<string, unknown>;
          const axis = bcfg.axis;
          if (
            axis === -1 ||
            axis === 3 ||
            (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))
          ) {
            const eps = bcfg.epsilon as number;
            const gamma = bcfg.scale === false ? undefined : weightByName(bn, "gamma");
            const beta = bcfg.center === false ? undefined : weightByName(bn, "beta");
            const mean = weightByName(bn, "moving_mean");
            const variance = weightByName(bn, "moving_variance");
            if (!mean || !variance || typeof eps !== "number") return fail();
            for (let o = 0; o < cout; o++) {
              const s = (gamma ? (gamma[o] as number) : 1) / Math.sqrt((variance[o] as number) + eps);
              for (let i = o; i < w.length; i += cout) w[i] = (w[i] as number) * s;
              b[o] = ((b[o] as number) - (mean[o] as number)) * s + (beta ? (beta[o] as number) : 0);
            }
            absorbed.add(bn.name);
            tail = bn.name;
          }
        }
        if (!relu) {
          const next = only(tail);
          if (
            next &&
            next.getClassName() === "Activation" &&
            (next.getConfig() as { activation?: string }).activation === "relu"
          ) {
            relu = true;
            absorbed.add(next.name);
          }
        }
        steps.push({
          name: layer.name,
          inputs,
          op: {
            kind: "conv",
            filter: Float32Array.from(w),
            filterShape: shape,
            bias: Float32Array.from(b),
            strides,
            pad,
            relu,
          },
        });
        break;
      }
      case "BatchNormalization": {
        const axis = cfg.axis;
        if (
          !(
            axis === -1 ||
            axis === 3 ||
            (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))
          )
        )
          return fail();
        const mean = weightByName(layer, "moving_mean");
        const variance = weightByName(layer, "moving_variance");
        if (!mean || !variance) return fail();
        const gamma = cfg.scale === false ? new Float32Array(mean.length).fill(1) : weightByName(layer, "gamma");
        const beta = cfg.center === false ? new Float32Array(mean.length) : weightByName(layer, "beta");
        if (!gamma || !beta) return fail();
        steps.push({
          name: layer.name,
          inputs,
          op: {
            kind: "bn",
            mean,
            variance,
            offset: beta,
            scale: gamma,
            eps: cfg.epsilon as number,
          },
        });
        break;
      }
      case "Activation": {
        const a = cfg.activation;
        if (a === "relu") steps.push({ name: layer.name, inputs, op: { kind: "relu" } });
        else if (a === "linear") steps.push({ name: layer.name, inputs, op: { kind: "alias" } });
        else return fail();
        break;
      }
      case "Add":
        steps.push({ name: layer.name, inputs, op: { kind: "add" } });
        break;
      case "GlobalAveragePooling2D":
        if (cfg.dataFormat !== undefined && cfg.dataFormat !== "channelsLast") return fail();
        steps.push({ name: layer.name, inputs, op: { kind: "gap" } });
        break;
      case "Dense": {
        if ((cfg.activation ?? "linear") !== "linear") return fail();
        const k = layer.weights.find((v) => /kernel$/.test(v.originalName));
        if (k?.shape.length !== 2) return fail();
        const bias = cfg.useBias ? weightByName(layer, "bias") : undefined;
        steps.push({
          name: layer.name,
          inputs,
          op: {
            kind: "dense",
            kernel: Float32Array.from(k.read().dataSync() as Float32Array),
            kernelShape: k.shape as [number, number],
            bias: bias ?? null,
          },
        });
        break;
      }
      default:
        return fail();
    }
  }
  if (!steps.some((s) => s.name === outputName)) return fail();
  return { steps, outputName };
}

/** The folded executor of `model` on tfjs kernels (any backend), or undefined where planFolded is. */
export function foldedForward(model: LayersModel): FoldedForward | undefined {
  const plan = planFolded(model);
  if (!plan) return undefined;
  const { outputName } = plan;
  const held: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    held.push(tf.keep(t));
    return t;
  };
  const steps: Step[] = plan.steps.map((s) => {
    const op = s.op;
    switch (op.kind) {
      case "conv":
        return {
          ...s,
          op: {
            ...op,
            filter: keep(tf.tensor4d(op.filter, op.filterShape)),
            bias: keep(tf.tensor1d(op.bias)),
          },
        };
      case "bn":
        return {
          ...s,
          op: {
            ...op,
            mean: keep(tf.tensor1d(op.mean)),
            variance: keep(tf.tensor1d(op.variance)),
            offset: keep(tf.tensor1d(op.offset)),
            scale: keep(tf.tensor1d(op.scale)),
          },
        };
      case "dense":
        return {
          ...s,
          op: {
            ...op,
            kernel: keep(tf.tensor2d(op.kernel, op.kernelShape)),
            bias: op.bias ? keep(tf.tensor1d(op.bias)) : null,
          },
        };
      default:
        return { ...s, op };
    }
  });
  // The step after which each value is no longer read: predict frees it there instead of at the
  // end of its tidy. Holding every activation of a batch of 256 (~100 MB on the shipped ResNet)
  // made folding 12% slower than model.predict, which frees as it goes (bench/noisy-forward.mjs).
  const lastUse = new Map<string, number>();
  steps.forEach((s, i) => {
    for (const n of s.inputs) lastUse.set(n, i);
  });
  return {
    predict(x: tf.Tensor4D): tf.Tensor2D {
      return tf.tidy(() => {
        const values = new Map<string, tf.Tensor>();
        // Frees the inputs of step i that nothing later reads (aliases share their source's
        // tensor, and the caller's x and the output are never freed here).
        const release = (s: Step, i: number) => {
          for (const n of s.inputs) {
            const v = values.get(n);
            if (lastUse.get(n) !== i || !v || v === x || n === outputName) continue;
            values.delete(n);
            let shared = false;
            for (const w of values.values()) if (w === v) shared = true;
            if (!shared) v.dispose();
          }
        };
        const arg = (s: Step, i = 0): tf.Tensor => {
          const v = values.get(s.inputs[i] as string);
          if (!v) throw new Error(`folded forward: layer ${s.name} has no input ${s.inputs[i]}`);
          return v;
        };
        for (let i = 0; i < steps.length; i++) {
          const s = steps[i] as Step;
          let out: tf.Tensor;
          switch (s.op.kind) {
            case "input":
              out = x;
              break;
            case "alias":
              out = arg(s);
              break;
            case "conv":
              out = tf.fused.conv2d({
                x: arg(s) as tf.Tensor4D,
                filter: s.op.filter,
                strides: s.op.strides,
                pad: s.op.pad,
                bias: s.op.bias,
                activation: s.op.relu ? "relu" : "linear",
              });
              break;
            case "bn":
              out = tf.batchNorm(arg(s), s.op.mean, s.op.variance, s.op.offset, s.op.scale, s.op.eps);
              break;
            case "relu":
              out = tf.relu(arg(s));
              break;
            case "add":
              out = s.inputs.slice(1).reduce((acc, _n, i) => tf.add(acc, arg(s, i + 1)), arg(s, 0));
              break;
            case "gap":
              out = tf.mean(arg(s), [1, 2]);
              break;
            case "dense":
              out = tf.fused.matMul({
                a: arg(s) as tf.Tensor2D,
                b: s.op.kernel,
                ...(s.op.bias ? { bias: s.op.bias } : {}),
              });
              break;
          }
          values.set(s.name, out);
          release(s, i);
        }
        return values.get(outputName) as tf.Tensor2D;
      });
    },
    dispose(): void {
      for (const t of held) t.dispose();
      held.length = 0;
    },
  };
}
