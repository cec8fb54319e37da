// Sum and Mean on the wasm backend, and their gradients.
//
// tfjs-backend-wasm reduces over non-innermost axes (batch-norm moments over N, H, W; global
// average pooling over H, W) by first transposing them innermost, a strided copy of the whole
// activation; the kernel here reduces in one pass. tfjs differentiates Sum and Mean with Tile and
// a ones tensor of the input's shape built in JavaScript (see batch-norm.ts for what they cost);
// the gradient here broadcasts dy in one pass. Both handle contiguous reduction axes and hand
// every other case to tfjs's own.
import type { KernelConfig, NamedTensorMap, Tensor, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { kernelsFor, ptrOf, type WasmBackendLike } from "./module.js";
import {
  fastPathActive,
  type GradFunc,
  runOriginal,
  type WrappingKernelConfig,
  wasmKernel,
  wrappingKernel,
} from "./registry.js";

export const BROADCAST_MIDDLE = "ClassfitBroadcastMiddle";

/** outer × mid × inner split of `shape` around the sorted `axes`, or undefined when the axes are
 * not one contiguous block. */
function middleBlock(
  shape: readonly number[],
  axis: number | number[],
): { first: number; last: number; outer: number; mid: number; inner: number } | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axis, [...shape]))].sort((a, b) => a - b);
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (first === undefined || last === undefined || last - first + 1 !== axes.length) return undefined;
  return {
    first,
    last,
    outer: tf.util.sizeFromShape(shape.slice(0, first)),
    mid: tf.util.sizeFromShape(shape.slice(first, last + 1)),
    inner: tf.util.sizeFromShape(shape.slice(last + 1)),
  };
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

/** dy broadcast over a reduced middle block and divided (run by the reduction gradients). */
export const broadcastMiddleConfig = wasmKernel(BROADCAST_MIDDLE, broadcastMiddle);

/** Gradient of a reduction over `axis` as a broadcast of dy divided by `divisor(reducedSize)`. */
function reductionGrad(original: GradFunc, divisor: (reduced: number) => number): GradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved as [Tensor];
    const g = dy as Tensor;
    if (!fastPathActive() || x.dtype !== "float32" || g.dtype !== "float32") return original(dy, saved, attrs);
    const block = middleBlock(x.shape, (attrs as { axis: number | number[] }).axis);
    if (!block) return original(dy, saved, attrs);
    const { outer, mid, inner } = block;
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

/** Mean's gradient, by broadcastMiddleConfig where it applies. */
export const meanGrad = (original: GradFunc): GradFunc => reductionGrad(original, (n) => n);
/** Sum's gradient, by broadcastMiddleConfig where it applies. */
export const sumGrad = (original: GradFunc): GradFunc => reductionGrad(original, () => 1);

/**
 * Sum or Mean over a contiguous, non-innermost block of axes in one pass. Other cases go to
 * `original`.
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
    const fallback = () => runOriginal(original, args);
    if (x.dtype !== "float32" || x.shape.length === 0) return fallback();
    const block = middleBlock(x.shape, args.attrs.axis);
    if (!block || block.last === x.shape.length - 1) return fallback();
    const { first, last, outer, mid, inner } = block;
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
  return wrappingKernel(kernelName, kernelFunc);
}
