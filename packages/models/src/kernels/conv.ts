// Conv2DBackpropFilter (missing from tfjs-backend-wasm 4.x) and Conv2DBackpropInput (present, but
// a naive loop: ~60 ms per call on a 64×28×28×16 batch) for the wasm backend, computed in place
// on the tfjs heap by the SIMD kernels of assembly/conv.ts; 3×3 stride-1 convolutions go to the
// Winograd kernels (./winograd.ts), the general direct kernels take the rest.
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type Conv2DBackpropInputInputs,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { type ConvGeometry, type KernelVariant, kernelsFor, ptrOf, type WasmBackendLike } from "./module.js";
import { wasmKernel } from "./registry.js";
import { winogradBackpropFilter, winogradBackpropInput, winogradRoutes } from "./winograd.js";

type Shape4 = [number, number, number, number];

function checkInfo(info: backend_util.Conv2DInfo, kernel: string): void {
  if (info.dataFormat !== "channelsLast") {
    throw new Error(`${kernel} (classfit, wasm): dataFormat '${info.dataFormat}' is not supported; use 'channelsLast'`);
  }
}

function geometry(info: backend_util.Conv2DInfo): ConvGeometry {
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
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

function checkFloat(t: TensorInfo, what: string, kernel: string): void {
  if (t.dtype !== "float32") throw new Error(`${kernel} (classfit, wasm): ${what} must be float32, got ${t.dtype}`);
}

/** dW for the convolution described by `info` (shape info.filterShape), from x and dy. */
export function conv2dBackpropFilterInfo(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  variant: KernelVariant = "simd",
): TensorInfo {
  checkInfo(info, Conv2DBackpropFilter);
  checkFloat(x, "x", Conv2DBackpropFilter);
  checkFloat(dy, "dy", Conv2DBackpropFilter);
  const k = kernelsFor(backend);
  const out = backend.makeOutput([...info.filterShape], "float32");
  const run = variant === "simd" ? k.conv2dBackpropFilterSimd : k.conv2dBackpropFilterScalar;
  run(ptrOf(backend, x), ptrOf(backend, dy), ptrOf(backend, out), ...geometry(info));
  return out;
}

/** dx (shape info.inShape) for the convolution described by `info`, from dy and the filter. */
export function conv2dBackpropInputInfo(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  variant: KernelVariant = "simd",
): TensorInfo {
  checkInfo(info, Conv2DBackpropInput);
  checkFloat(dy, "dy", Conv2DBackpropInput);
  checkFloat(filter, "filter", Conv2DBackpropInput);
  const k = kernelsFor(backend);
  const out = backend.makeOutput([...info.inShape], "float32");
  const scratch = backend.wasm._malloc(info.filterHeight * info.filterWidth * info.inChannels * info.outChannels * 4);
  try {
    const run = variant === "simd" ? k.conv2dBackpropInputSimd : k.conv2dBackpropInputScalar;
    run(ptrOf(backend, dy), ptrOf(backend, filter), ptrOf(backend, out), scratch, ...geometry(info));
  } finally {
    backend.wasm._free(scratch);
  }
  return out;
}

function conv2dBackpropFilter(args: {
  inputs: Conv2DBackpropFilterInputs;
  backend: WasmBackendLike;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filterShape as Shape4,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (winogradRoutes(info, "filter") && x.dtype === "float32" && dy.dtype === "float32") {
    return winogradBackpropFilter(args.backend, x, dy, info);
  }
  return conv2dBackpropFilterInfo(args.backend, x, dy, info);
}

function conv2dBackpropInput(args: {
  inputs: Conv2DBackpropInputInputs;
  backend: WasmBackendLike;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape as Shape4,
    filter.shape as Shape4,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (winogradRoutes(info, "input") && dy.dtype === "float32" && filter.dtype === "float32") {
    return winogradBackpropInput(args.backend, dy, filter, info);
  }
  return conv2dBackpropInputInfo(args.backend, dy, filter, info);
}

export const conv2DBackpropFilterConfig = wasmKernel(Conv2DBackpropFilter, conv2dBackpropFilter);
export const conv2DBackpropInputConfig = wasmKernel(Conv2DBackpropInput, conv2dBackpropInput);
