// Batch norm on the wasm backend: the forward kernel (FusedBatchNorm) and its gradient.
//
// tfjs differentiates FusedBatchNorm (batch norm in training: tfjs-layers' BatchNormalization)
// with generic ops: Tile of the per-channel vectors to the activation's shape, and a ones tensor
// of the input's shape built in JavaScript. Profiling one training step of the benchmark ResNet
// (batch 64, 28×28): Tile took 295 ms of 2.3 s of kernel time (9 calls), and building ones
// tensors ~3.5% of the process's CPU time. The gradient here computes all five results in one
// pass (assembly/norm.ts) for per-channel statistics, and otherwise calls tfjs's own gradient:
// other backends keep tfjs's exact behaviour.
import type { KernelConfig, NamedTensorMap, Tensor, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { type KernelVariant, kernelsFor, ptrOf, type WasmBackendLike } from "./module.js";
import {
  fastPathActive,
  type GradFunc,
  runOriginal,
  type TFJS_KERNEL,
  type WrappingKernelConfig,
  wasmKernel,
  wrappingKernel,
} from "./registry.js";

export const BATCH_NORM_GRAD = "ClassfitFusedBatchNormGrad";

function batchNormGrad(args: { inputs: NamedTensorMap; backend: WasmBackendLike; attrs: { varianceEpsilon: number } }) {
  const { inputs, backend, attrs } = args;
  const { x, dy, mean, variance, scale } = inputs as Record<string, TensorInfo>;
  if (!x || !dy || !mean || !variance) throw new Error(`${BATCH_NORM_GRAD}: needs x, dy, mean and variance`);
  const c = x.shape[x.shape.length - 1] ?? 1;
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const k = kernelsFor(backend);
  const dx = backend.makeOutput([...x.shape], "float32");
  const dmean = backend.makeOutput([...mean.shape], "float32");
  const dvar = backend.makeOutput([...variance.shape], "float32");
  const dscale = backend.makeOutput([...mean.shape], "float32");
  const doffset = backend.makeOutput([...mean.shape], "float32");
  const scratch = backend.wasm._malloc(16 * c);
  try {
    k.batchNormGrad(
      ptrOf(backend, x),
      ptrOf(backend, dy),
      ptrOf(backend, mean),
      ptrOf(backend, variance),
      scale ? ptrOf(backend, scale) : 0,
      attrs.varianceEpsilon,
      rows,
      c,
      ptrOf(backend, dx),
      ptrOf(backend, dmean),
      ptrOf(backend, dvar),
      ptrOf(backend, dscale),
      ptrOf(backend, doffset),
      scratch,
    );
  } finally {
    backend.wasm._free(scratch);
  }
  return [dx, dmean, dvar, dscale, doffset];
}

/** The five gradients of FusedBatchNorm in one call (run by fusedBatchNormGrad). */
export const batchNormGradConfig = wasmKernel(BATCH_NORM_GRAD, batchNormGrad);

/** FusedBatchNorm's gradient by batchNormGradConfig where it applies, else tfjs's `original`. */
export function fusedBatchNormGrad(original: GradFunc): GradFunc {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
    const g = dy as Tensor;
    const c = x.shape[x.rank - 1] ?? 0;
    const ok =
      fastPathActive() &&
      x.rank >= 1 &&
      x.dtype === "float32" &&
      g.dtype === "float32" &&
      tf.util.arraysEqual(g.shape, x.shape) &&
      mean.size === c &&
      variance.size === c &&
      (scale == null || scale.size === c);
    if (!ok) return original(dy, saved, attrs);
    const inputs: NamedTensorMap = { x, dy: g, mean, variance };
    if (scale != null) inputs.scale = scale;
    // Computed eagerly, once: the five results live in the enclosing tf.grads scope until the
    // tape consumes them (or disposes them, for inputs that need no gradient).
    const [dx, dmean, dvar, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_GRAD, inputs, {
      varianceEpsilon: (attrs as { varianceEpsilon: number }).varianceEpsilon,
    }) as Tensor[];
    return {
      x: () => dx as Tensor,
      mean: () => dmean as Tensor,
      variance: () => dvar as Tensor,
      scale: () => dscale as Tensor,
      offset: () => doffset as Tensor,
    };
  };
}

/**
 * FusedBatchNorm (batch norm forward, inference and training) for float32 x with per-channel
 * mean, variance, scale and offset over the last axis, by assembly/norm.ts's SIMD kernel, which
 * rounds exactly as tfjs-backend-wasm's own (so models keep their bytes); other cases (a missing
 * scale or offset, other broadcasts, other dtypes) give null, for tfjs's kernel. `variant` picks
 * the SIMD kernel or its scalar twin.
 */
export function fusedBatchNormWasm(
  backend: WasmBackendLike,
  inputs: Record<string, TensorInfo | undefined>,
  varianceEpsilon: number,
  variant: KernelVariant = "simd",
): TensorInfo | null {
  const { x, mean, variance, scale, offset } = inputs;
  if (!x || !mean || !variance || !scale || !offset || x.dtype !== "float32" || x.shape.length === 0) return null;
  const c = x.shape[x.shape.length - 1] ?? 0;
  const size = tf.util.sizeFromShape(x.shape);
  if (c === 0 || size === 0) return null;
  for (const t of [mean, variance, scale, offset]) {
    if (t.dtype !== "float32" || tf.util.sizeFromShape(t.shape) !== c) return null;
  }
  const k = kernelsFor(backend);
  const out = backend.makeOutput([...x.shape], "float32");
  const scratch = backend.wasm._malloc(16 * c);
  try {
    (variant === "simd" ? k.batchNormForward : k.batchNormForwardScalar)(
      ptrOf(backend, x),
      ptrOf(backend, mean),
      ptrOf(backend, variance),
      ptrOf(backend, scale),
      ptrOf(backend, offset),
      varianceEpsilon,
      size / c,
      c,
      ptrOf(backend, out),
      scratch,
    );
  } finally {
    backend.wasm._free(scratch);
  }
  return out;
}

/** FusedBatchNorm on wasm by fusedBatchNormWasm, falling back to tfjs's `original`. */
export function fusedBatchNormConfig(original: KernelConfig): WrappingKernelConfig & { [TFJS_KERNEL]?: KernelConfig } {
  const kernelFunc = (args: { inputs: NamedTensorMap; backend: WasmBackendLike; attrs: { varianceEpsilon: number } }) =>
    fusedBatchNormWasm(args.backend, args.inputs as Record<string, TensorInfo>, args.attrs.varianceEpsilon) ??
    runOriginal(original, args);
  return wrappingKernel(tf.FusedBatchNorm, kernelFunc, original);
}
