// Batch-norm backward, reduction gradients and Identity for the wasm backend.
//
// tfjs differentiates FusedBatchNorm (batch norm in training: tfjs-layers' BatchNormalization),
// Mean and Sum with generic ops: Tile of the per-channel vectors to the activation's shape, and a
// ones tensor of the input's shape built in JavaScript. Profiling one training step of the
// benchmark ResNet (batch 64, 28×28): Tile took 295 ms of 2.3 s of kernel time (9 calls), and
// building ones tensors ~3.5% of the process's CPU time. Gradient functions are global in
// tfjs, so the overrides here take the fast path only on the wasm backend with classfit's kernels
// attached, for the shapes they handle (per-channel statistics; contiguous reduction axes), and
// otherwise call tfjs's own gradient: other backends keep tfjs's exact behaviour.

import type { GradConfig, KernelConfig, KernelFunc, NamedTensorMap, Tensor, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { kernelsFor, ptrOf, type WasmBackendLike } from "./module.js";

export const BATCH_NORM_GRAD = "ClassfitFusedBatchNormGrad";
export const BROADCAST_MIDDLE = "ClassfitBroadcastMiddle";

interface WasmBackendWithRefs extends WasmBackendLike {
  incRef(dataId: object): void;
}

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

function broadcastMiddle(args: {
  inputs: NamedTensorMap;
  backend: WasmBackendLike;
  attrs: { shape: number[]; outer: number; mid: number; inner: number; divisor: number };
}) {
  const { inputs, backend, attrs } = args;
  const src = inputs.x as TensorInfo;
  const out = backend.makeOutput([...attrs.shape], "float32");
  kernelsFor(backend).broadcastMiddle(
    ptrOf(backend, src),
    ptrOf(backend, out),
    attrs.outer,
    attrs.mid,
    attrs.inner,
    attrs.divisor,
  );
  return out;
}

/** Identity without a copy, as the CPU backend does it: tfjs tensors are immutable, so sharing
 * the buffer (reference counted) is safe; tfjs-backend-wasm copies, ~370 times per ResNet step. */
function identity(args: { inputs: NamedTensorMap; backend: WasmBackendWithRefs }): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const batchNormGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_GRAD,
  backendName: "wasm",
  kernelFunc: batchNormGrad as unknown as KernelFunc,
};
export const broadcastMiddleConfig: KernelConfig = {
  kernelName: BROADCAST_MIDDLE,
  backendName: "wasm",
  kernelFunc: broadcastMiddle as unknown as KernelFunc,
};
export const identityConfig: KernelConfig = {
  kernelName: tf.Identity,
  backendName: "wasm",
  kernelFunc: identity as unknown as KernelFunc,
};

/** Whether the fast gradients may run now: the active backend is wasm with our kernels. */
function fastPathActive(): boolean {
  if (tf.getBackend() !== "wasm") return false;
  try {
    kernelsFor(tf.backend() as unknown as WasmBackendLike);
    return true;
  } catch {
    return false;
  }
}

type GradFunc = GradConfig["gradFunc"];

function fusedBatchNormGrad(original: GradFunc): GradFunc {
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

/** Gradient of a reduction over `axis` as a broadcast of dy divided by `divisor(reducedSize)`. */
function reductionGrad(original: GradFunc, divisor: (reduced: number) => number): GradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved as [Tensor];
    const g = dy as Tensor;
    if (!fastPathActive() || x.dtype !== "float32" || g.dtype !== "float32") return original(dy, saved, attrs);
    const axes = [...new Set(tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape))].sort(
      (a, b) => a - b,
    );
    const first = axes[0];
    const last = axes[axes.length - 1];
    if (first === undefined || last === undefined || last - first + 1 !== axes.length)
      return original(dy, saved, attrs);
    const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
    const mid = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
    if (g.size !== outer * inner) return original(dy, saved, attrs);
    return {
      x: () =>
        tf
          .engine()
          .runKernel(
            BROADCAST_MIDDLE,
            { x: g },
            { shape: x.shape, outer, mid, inner, divisor: divisor(mid) },
          ) as Tensor,
    };
  };
}

const WRAPPED = Symbol.for("classfit.wrappedGradient");

/** Replaces tfjs's gradients of FusedBatchNorm, Mean and Sum with the wasm fast paths above
 * (falling back to tfjs's own). Idempotent; requires tfjs's gradients to be registered. */
export function overrideGradients(): void {
  const wrappers: Array<[string, (g: GradFunc) => GradFunc]> = [
    [tf.FusedBatchNorm, fusedBatchNormGrad],
    [tf.Mean, (g) => reductionGrad(g, (n) => n)],
    [tf.Sum, (g) => reductionGrad(g, () => 1)],
  ];
  for (const [name, wrap] of wrappers) {
    const current = tf.getGradient(name) as (GradConfig & { [WRAPPED]?: true }) | undefined;
    if (!current) {
      throw new Error(
        `classfit kernels: tfjs has no gradient registered for ${name}; import @tensorflow/tfjs-layers first`,
      );
    }
    if (current[WRAPPED]) continue;
    const config = { ...current, gradFunc: wrap(current.gradFunc), [WRAPPED]: true as const };
    // registerGradient warns on replacement only in debug mode; replacing is its documented use.
    tf.registerGradient(config);
  }
}

/** Marks kernel configs that wrap a tfjs kernel, so registering twice does not wrap twice. */
export const WRAPS_TFJS_KERNEL = Symbol.for("classfit.wrapsTfjsKernel");
export type WrappingKernelConfig = KernelConfig & { [WRAPS_TFJS_KERNEL]: true };

/**
 * Sum or Mean over a contiguous, non-innermost block of axes (batch-norm moments over N, H, W;
 * global average pooling over H, W) in one pass; tfjs-backend-wasm first transposes the reduced
 * axes innermost (a strided copy of the whole activation). Other cases go to `original`.
 */
export function reductionConfig(
  kernelName: typeof tf.Sum | typeof tf.Mean,
  original: KernelConfig,
): WrappingKernelConfig {
  const kernelFunc = (args: {
    inputs: NamedTensorMap;
    backend: WasmBackendLike;
    attrs: { axis: number | number[]; keepDims: boolean };
  }) => {
    const x = args.inputs.x as TensorInfo;
    const fallback = () => original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    if (x.dtype !== "float32" || x.shape.length === 0) return fallback();
    const axes = [...new Set(tf.util.parseAxisParam(args.attrs.axis, x.shape))].sort((a, b) => a - b);
    const first = axes[0];
    const last = axes[axes.length - 1];
    if (first === undefined || last === undefined || last - first + 1 !== axes.length || last === x.shape.length - 1) {
      return fallback();
    }
    const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
    const mid = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
    if (mid === 0) return fallback();
    const outShape = args.attrs.keepDims
      ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : [...x.shape.slice(0, first), ...x.shape.slice(last + 1)];
    const backend = args.backend;
    const out = backend.makeOutput(outShape, "float32");
    const scratch = backend.wasm._malloc(8 * inner);
    try {
      kernelsFor(backend).reduceMiddle(
        ptrOf(backend, x),
        ptrOf(backend, out),
        outer,
        mid,
        inner,
        kernelName === tf.Mean ? mid : 1,
        scratch,
      );
    } finally {
      backend.wasm._free(scratch);
    }
    return out;
  };
  return {
    kernelName,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as KernelFunc,
    [WRAPS_TFJS_KERNEL]: true,
  };
}

/** Cast to the tensor's own dtype shares the buffer (tfjs-layers casts every weight and input to
 * float32 on each call; tfjs-backend-wasm copies). Real conversions go to `original`. */
export function castConfig(original: KernelConfig): WrappingKernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorMap; backend: WasmBackendWithRefs; attrs: { dtype: string } }) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype !== args.attrs.dtype || x.dtype === "string") {
      return original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    }
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return {
    kernelName: tf.Cast,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as KernelFunc,
    [WRAPS_TFJS_KERNEL]: true,
  };
}

/**
 * FusedBatchNorm (batch norm forward, inference and training) for float32 x with per-channel
 * mean, variance, scale and offset over the last axis, by assembly/norm.ts's SIMD kernel, which
 * rounds exactly as tfjs-backend-wasm's own (so models keep their bytes); other cases (a missing scale or offset, other
 * broadcasts, other dtypes) go to tfjs's kernel. `variant` picks the SIMD kernel or its scalar twin.
 */
export function fusedBatchNormWasm(
  backend: WasmBackendLike,
  inputs: Record<string, TensorInfo | undefined>,
  varianceEpsilon: number,
  variant: "simd" | "scalar" = "simd",
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

/** Where fusedBatchNormConfig keeps tfjs's own kernel (its tests compare the two bit for bit). */
export const TFJS_KERNEL = Symbol.for("classfit.tfjsKernel");

/** FusedBatchNorm on wasm by fusedBatchNormWasm, falling back to tfjs's `original`. */
export function fusedBatchNormConfig(original: KernelConfig): WrappingKernelConfig & { [TFJS_KERNEL]: KernelConfig } {
  const kernelFunc = (args: { inputs: NamedTensorMap; backend: WasmBackendLike; attrs: { varianceEpsilon: number } }) =>
    fusedBatchNormWasm(args.backend, args.inputs as Record<string, TensorInfo>, args.attrs.varianceEpsilon) ??
    original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
  return {
    kernelName: tf.FusedBatchNorm,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as KernelFunc,
    [WRAPS_TFJS_KERNEL]: true,
    [TFJS_KERNEL]: original,
  };
}

/**
 * Sub of a float32 tensor a and a float32 b that broadcasts along a's last axis only (b's shape all
 * ones but a last dimension of a's size, or just that dimension): x − mean in batch-norm moments,
 * 3.3 ms per 64×28×28×16 call by tfjs-backend-wasm's general broadcast. Other cases go to
 * `original`.
 */
export function subConfig(original: KernelConfig): WrappingKernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorMap; backend: WasmBackendLike }) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const c = a.shape[a.shape.length - 1] ?? 0;
    const broadcastsLast =
      a.dtype === "float32" &&
      b.dtype === "float32" &&
      a.shape.length >= 2 &&
      c > 0 &&
      b.shape.length <= a.shape.length &&
      b.shape[b.shape.length - 1] === c &&
      b.shape.slice(0, -1).every((d) => d === 1) &&
      tf.util.sizeFromShape(a.shape) > 0;
    if (!broadcastsLast) return original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    const backend = args.backend;
    const out = backend.makeOutput([...a.shape], "float32");
    kernelsFor(backend).subLastAxis(
      ptrOf(backend, a),
      ptrOf(backend, b),
      tf.util.sizeFromShape(a.shape) / c,
      c,
      ptrOf(backend, out),
    );
    return out;
  };
  return {
    kernelName: tf.Sub,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as KernelFunc,
    [WRAPS_TFJS_KERNEL]: true,
  };
}
