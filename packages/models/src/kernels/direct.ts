// Direct forward convolution on the wasm backend (assembly/direct.ts): conv(x, filter) (+ bias)
// (+ residual) (then relu) in one pass over the output, for the convolutions Winograd does not
// take: the shipped ResNet's stride-2 3×3 convolutions, its 1×1 stride-2 projection shortcuts and
// its one-channel stem, which otherwise go to XNNPACK (tfjs-backend-wasm's FusedConv2D). Not
// registered as a tfjs kernel: callers that know their network's convolutions call it directly.
// On those shapes at batch 64 it measured 1.1–1.65× faster than XNNPACK, the 1×1 projections
// about even (bench/direct-conv.mjs; see assembly/direct.ts).
// Every output is the plain left-to-right sum over (ky, kx, c), so results differ from tfjs's CPU
// backend only by f32 rounding, and the SIMD kernel equals its scalar twin bit for bit.
import type { backend_util, TensorInfo } from "@tensorflow/tfjs-core";
import { type DirectGeometry, type KernelVariant, kernelsFor, ptrOf, type WasmBackendLike } from "./module.js";

/** Whether directConv2d handles the convolution `info` describes: NHWC, dilation 1, non-empty,
 * and (for the SIMD kernel, whose lanes run over output channels) out channels a multiple of 4. */
export function directApplies(info: backend_util.Conv2DInfo, variant: KernelVariant = "simd"): boolean {
  return (
    info.dataFormat === "channelsLast" &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.strideHeight > 0 &&
    info.strideWidth > 0 &&
    info.filterHeight > 0 &&
    info.filterWidth > 0 &&
    info.inChannels > 0 &&
    info.outChannels > 0 &&
    info.batchSize > 0 &&
    info.outHeight > 0 &&
    info.outWidth > 0 &&
    (variant === "scalar" || info.outChannels % 4 === 0)
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** directConv's geometry arguments for `info`. */
export function directGeometry(info: backend_util.Conv2DInfo): DirectGeometry {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/**
 * out = relu?(conv(x, filter) + bias + res) for a convolution where directApplies(info): x
 * (n, h, w, ci), filter (kh, kw, ci, co), bias (co) or null, res (n, oh, ow, co) or null; a new
 * (n, oh, ow, co) tensor. `variant` "scalar" runs the scalar twin (tests).
 */
export function directConv2d(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  res: TensorInfo | null,
  relu: boolean,
  info: backend_util.Conv2DInfo,
  variant: KernelVariant = "simd",
): TensorInfo {
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (!directApplies(info, variant)) throw new Error("classfit directConv2d: convolution not supported");
  // The kernel reads and writes through these shapes: check them (and f32), so a mismatch cannot
  // touch memory outside a tensor.
  if (
    ![x, filter, bias, res].every((t) => t == null || t.dtype === "float32") ||
    !sameShape(x.shape, [info.batchSize, info.inHeight, info.inWidth, info.inChannels]) ||
    !sameShape(filter.shape, [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels]) ||
    (bias != null && !sameShape(bias.shape, [info.outChannels])) ||
    (res != null && !sameShape(res.shape, outShape))
  ) {
    throw new Error(
      `classfit directConv2d: shapes x [${x.shape}], filter [${filter.shape}], bias [${bias?.shape ?? ""}], res [${res?.shape ?? ""}] do not match the convolution's (or are not float32)`,
    );
  }
  const k = kernelsFor(backend);
  const out = backend.makeOutput(outShape, "float32");
  (variant === "simd" ? k.directConv : k.directConvScalar)(
    ptrOf(backend, x),
    ptrOf(backend, filter),
    bias ? ptrOf(backend, bias) : 0,
    res ? ptrOf(backend, res) : 0,
    ptrOf(backend, out),
    ...directGeometry(info),
    relu ? 1 : 0,
  );
  return out;
}
