// Winograd convolution for the 3×3 stride-1 convolutions of the wasm backend
// (assembly/winograd.ts: F(2×2, 3×3); assembly/winograd4.ts: F(4×4, 3×3); each the forward pass
// and the filter gradient): the forward pass (Conv2D, FusedConv2D with optional bias and relu) in
// place of XNNPACK's direct convolution, the input gradient (a 3×3 stride-1 convolution itself)
// and the filter gradient. 16 multiplies per 2×2 output tile and channel pair (F(2×2)) or 36 per
// 4×4 tile (F(4×4)) instead of 36 or 144: on the benchmark ResNet these convolutions were ~70% of
// a training step's kernel time (BENCHMARKS.md). prefersF4 picks the tile size by the
// output size, from measurements.
//
// Applies when the filter is 3×3, strides and dilations are 1, the layout is NHWC and both channel
// counts are multiples of 4 (SIMD lanes run over channels); other convolutions keep their
// kernels. Results differ from the direct method only by f32 rounding (the transforms reorder
// the sums; F(4×4)'s larger constants give errors of a few 1e-6 of the output scale, F(2×2)'s
// under 1e-6); they are deterministic and identical in every engine (plain wasm SIMD, no FMA).
import {
  backend_util,
  Conv2D,
  type Conv2DAttrs,
  type Conv2DInputs,
  FusedConv2D,
  type FusedConv2DAttrs,
  type FusedConv2DInputs,
  type KernelConfig,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { type KernelVariant, kernelsFor, ptrOf, type TileGeometry, type WasmBackendLike } from "./module.js";
import { runOriginal, type TFJS_KERNEL, type WrappingKernelConfig, wrappingKernel } from "./registry.js";

let enabled = true;
/** Turns the Winograd path of the registered kernels on (the default) or off, for benchmarks
 * that measure it against the direct kernels in one process. Returns the previous setting. */
export function useWinograd(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether the registered kernels route `info` to Winograd (the forward pass and the input
 * gradient: every applicable shape; the filter gradient: from 16×16 channel pairs up, where it
 * measured 1.3–1.7× faster than assembly/conv.ts's direct kernel; at 8×8 it was 0.85–0.88×;
 * bench/conv-kernels.mjs). The tile size follows prefersF4 in every case. */
export function winogradRoutes(info: backend_util.Conv2DInfo, kernel: "forward" | "input" | "filter"): boolean {
  if (!enabled || !winogradApplies(info)) return false;
  return kernel !== "filter" || info.inChannels * info.outChannels >= 256;
}

/** Whether the Winograd kernels handle the convolution `info` describes. */
export function winogradApplies(info: backend_util.Conv2DInfo): boolean {
  return (
    info.dataFormat === "channelsLast" &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.inChannels % 4 === 0 &&
    info.outChannels % 4 === 0 &&
    info.inChannels > 0 &&
    info.outChannels > 0 &&
    info.batchSize > 0 &&
    info.outHeight > 0 &&
    info.outWidth > 0
  );
}

/**
 * Tiles per block, a multiple of 4: the block's transformed inputs and products, 16·tb·(ci + co)
 * floats, about 64 KiB. Measured on the benchmark ResNet's shapes (tb from 8 to 512, CPU time,
 * bench/train-throughput.mjs's network): blocks of 8–32 tiles were fastest, larger ones lost up to
 * 40% to cache misses.
 */
export function blockTiles(ci: number, co: number): number {
  const tb = Math.floor(1024 / (ci + co)) & ~3;
  return Math.min(32, Math.max(8, tb));
}

/** The geometry arguments every Winograd export takes, for `info`. */
export function tileGeometry(info: backend_util.Conv2DInfo): TileGeometry {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** malloc'd scratch on the tfjs heap, freed after `run` however it ends. */
function withScratch<T>(backend: WasmBackendLike, floats: number[], run: (ptrs: number[]) => T): T {
  const ptrs: number[] = [];
  try {
    for (const f of floats) {
      const p = backend.wasm._malloc(f * 4);
      if (!p) throw new Error(`classfit winograd: could not allocate ${f * 4} bytes on the wasm heap`);
      ptrs.push(p);
    }
    return run(ptrs);
  } finally {
    for (const p of ptrs) backend.wasm._free(p);
  }
}

/** A transformed filter on the tfjs heap, kept while its source tensor's data lives. */
interface FilterEntry {
  dataId: object;
  key: string;
  ptr: number;
  bytes: number;
}
const filterCache = new WeakMap<WasmBackendLike, FilterEntry[]>();
/** At most this much heap for kept transforms (F(4×4)'s U is 4× its filter: a 512×512 layer
 * needs 36 MiB); the least recently used go first. */
const FILTER_CACHE_BYTES = 64 * 2 ** 20;

/**
 * U for a forward convolution's `filter` (winogradFilter / winograd4Filter), computed once per
 * filter tensor and tile size. The transform was ~30% of a 32- or 64-channel convolution's time
 * (1.2 ms for 64×64 channels at F(4×4)), redone on every call although inference reuses the same
 * weights for every batch. tfjs tensors are immutable and every write gets a new dataId object
 * (a trained variable's assign too), so an entry stays valid while its dataId is live in the
 * backend; entries whose data tfjs has disposed are freed on the next call. Input-gradient
 * (`flip`) transforms are never reused (a training step's weights change before the next one),
 * so they are not kept: `run` gets a transform freed after it returns.
 */
function withFilter<T>(
  backend: WasmBackendLike,
  filter: TensorInfo,
  tile: 2 | 4,
  flip: boolean,
  ci: number,
  co: number,
  run: (u: number) => T,
): T {
  const k = kernelsFor(backend);
  const transform = (ptr: number) =>
    (tile === 4 ? k.winograd4Filter : k.winogradFilter)(ptrOf(backend, filter), ptr, ci, co, flip ? 1 : 0);
  const bytes = (tile === 4 ? 36 : 16) * ci * co * 4;
  if (flip || bytes > FILTER_CACHE_BYTES) {
    return withScratch(backend, [bytes / 4], ([u]) => {
      transform(u as number);
      return run(u as number);
    });
  }
  const entries = filterCache.get(backend) ?? [];
  filterCache.set(backend, entries);
  let kept = 0;
  for (const e of entries) {
    if (backend.dataIdMap.has(e.dataId)) entries[kept++] = e;
    else backend.wasm._free(e.ptr);
  }
  entries.length = kept;
  const key = `${tile}:${ci}:${co}`;
  const at = entries.findIndex((e) => e.dataId === filter.dataId && e.key === key);
  let entry: FilterEntry;
  if (at >= 0) {
    entry = entries.splice(at, 1)[0] as FilterEntry;
  } else {
    let total = bytes;
    for (const e of entries) total += e.bytes;
    while (total > FILTER_CACHE_BYTES && entries.length > 0) {
      const old = entries.shift() as FilterEntry;
      backend.wasm._free(old.ptr);
      total -= old.bytes;
    }
    const ptr = backend.wasm._malloc(bytes);
    if (!ptr) throw new Error(`classfit winograd: could not allocate ${bytes} bytes on the wasm heap`);
    transform(ptr);
    entry = { dataId: filter.dataId, key, ptr, bytes };
  }
  entries.push(entry); // most recently used last
  return run(entry.ptr);
}

/** Transformed filters held for `backend`, disposed sources included until the next call frees
 * them (for tests). */
export function cachedFilterCount(backend: WasmBackendLike): number {
  return filterCache.get(backend)?.length ?? 0;
}

/**
 * out = conv(x, filter) (+ bias) (+ res, a tensor of out's shape) (then relu) by Winograd
 * F(`tile`×`tile`, 3×3), for a convolution where winogradApplies(info). `flip`: filter holds the FORWARD filter (3, 3, out, in)
 * of a convolution whose input gradient this is; it is rotated by 180° and its channel axes
 * swapped (see assembly/winograd.ts).
 */
function winogradTiles(
  tile: 2 | 4,
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  relu: boolean,
  info: backend_util.Conv2DInfo,
  flip: boolean,
  variant: KernelVariant,
  res: TensorInfo | null = null,
): TensorInfo {
  const k = kernelsFor(backend);
  const ci = info.inChannels;
  const co = info.outChannels;
  const four = tile === 4;
  const tb = four ? BLOCK_TILES_4 : blockTiles(ci, co);
  const p = four ? 36 : 16;
  const out = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, co], "float32");
  withFilter(backend, filter, tile, flip, ci, co, (u) =>
    withScratch(backend, [p * tb * ci, p * tb * co, 160], ([v, m, tmp]) => {
      const ptrs: [number, number, number, number, number, number, number] = [
        ptrOf(backend, x),
        u,
        bias ? ptrOf(backend, bias) : 0,
        res ? ptrOf(backend, res) : 0,
        ptrOf(backend, out),
        v as number,
        m as number,
      ];
      const geometry = [...tileGeometry(info), relu ? 1 : 0, tb] as const;
      if (four) (variant === "simd" ? k.winograd4Conv : k.winograd4ConvScalar)(...ptrs, tmp as number, ...geometry);
      else (variant === "simd" ? k.winogradConv : k.winogradConvScalar)(...ptrs, ...geometry);
    }),
  );
  return out;
}

/** winogradTiles with 2×2 output tiles (F(2×2, 3×3)). */
export function winogradConv2d(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  relu: boolean,
  info: backend_util.Conv2DInfo,
  flip = false,
  variant: KernelVariant = "simd",
  res: TensorInfo | null = null,
): TensorInfo {
  return winogradTiles(2, backend, x, filter, bias, relu, info, flip, variant, res);
}

/** Tiles per block for F(4×4, 3×3). Measured from 4 to 32 on the bench networks' shapes (8–64
 * channels, 7–28 px): 12 was within 5% of the best everywhere; larger blocks lost up to 25%. */
export const BLOCK_TILES_4 = 12;

/**
 * Whether F(4×4, 3×3) beats F(2×2, 3×3) for this output size. Per-kernel CPU time on the bench
 * shapes (bench/conv-kernels.mjs, batch 64): F(4×4) was 1.2–1.4× faster at 28 and 7 px and
 * 1.03–1.08× at 14 px, but 0.8× at 4 px (one tile per image, so the 36 transformed filter
 * matrices are streamed once per 12 tiles). So: both sides at least 7.
 */
export function prefersF4(outHeight: number, outWidth: number): boolean {
  return outHeight >= 7 && outWidth >= 7;
}

/** The forward convolution (or, with `flip`, the input gradient; see winogradConv2d) by the
 * Winograd variant that suits the output size. */
export function winogradForward(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  relu: boolean,
  info: backend_util.Conv2DInfo,
  flip = false,
): TensorInfo {
  return prefersF4(info.outHeight, info.outWidth)
    ? winograd4Conv2d(backend, x, filter, bias, relu, info, flip)
    : winogradConv2d(backend, x, filter, bias, relu, info, flip);
}

/** winogradTiles with 4×4 output tiles (F(4×4, 3×3), assembly/winograd4.ts). */
export function winograd4Conv2d(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  relu: boolean,
  info: backend_util.Conv2DInfo,
  flip = false,
  variant: KernelVariant = "simd",
  res: TensorInfo | null = null,
): TensorInfo {
  return winogradTiles(4, backend, x, filter, bias, relu, info, flip, variant, res);
}

/** dx of the convolution `info` (winogradApplies(info)) from dy and its filter: a 3×3 stride-1
 * convolution of dy with the flipped filter and padding 2 − pad, by F(`tile`×`tile`, 3×3)
 * (default: the one prefersF4 picks for dx's size). */
export function winogradBackpropInput(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  variant: KernelVariant = "simd",
  tile?: 2 | 4,
): TensorInfo {
  const back = {
    ...info,
    inHeight: info.outHeight,
    inWidth: info.outWidth,
    inChannels: info.outChannels,
    outHeight: info.inHeight,
    outWidth: info.inWidth,
    outChannels: info.inChannels,
    padInfo: { ...info.padInfo, top: 2 - info.padInfo.top, left: 2 - info.padInfo.left },
  } as backend_util.Conv2DInfo;
  const t = tile ?? (prefersF4(back.outHeight, back.outWidth) ? 4 : 2);
  return t === 4
    ? winograd4Conv2d(backend, dy, filter, null, false, back, true, variant)
    : winogradConv2d(backend, dy, filter, null, false, back, true, variant);
}

/** dW (3, 3, ci, co) of the convolution `info` (winogradApplies(info)) from x and dy, by
 * F(`tile`×`tile`, 3×3) in the transform domain (default: the one prefersF4 picks for dy's size). */
export function winogradBackpropFilter(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  variant: KernelVariant = "simd",
  tile?: 2 | 4,
): TensorInfo {
  const k = kernelsFor(backend);
  const ci = info.inChannels;
  const co = info.outChannels;
  const four = (tile ?? (prefersF4(info.outHeight, info.outWidth) ? 4 : 2)) === 4;
  const tb = four ? BLOCK_TILES_4 : blockTiles(ci, co);
  const p = four ? 36 : 16;
  const out = backend.makeOutput([3, 3, ci, co], "float32");
  withScratch(backend, [p * tb * ci, p * tb * co, p * ci * co, 160], ([v, z, acc, tmp]) => {
    const geometry = [...tileGeometry(info), tb] as const;
    const ptrs = [
      ptrOf(backend, x),
      ptrOf(backend, dy),
      ptrOf(backend, out),
      v as number,
      z as number,
      acc as number,
    ] as const;
    if (four)
      (variant === "simd" ? k.winograd4FilterGrad : k.winograd4FilterGradScalar)(...ptrs, tmp as number, ...geometry);
    else (variant === "simd" ? k.winogradFilterGrad : k.winogradFilterGradScalar)(...ptrs, ...geometry);
  });
  return out;
}

function isFloat(...ts: Array<TensorInfo | null | undefined>): boolean {
  return ts.every((t) => t == null || t.dtype === "float32");
}

type Shape4 = [number, number, number, number];

/** Conv2D by Winograd where it applies, else tfjs's own kernel (`original`). */
export function conv2dConfig(original: KernelConfig): WrappingKernelConfig & { [TFJS_KERNEL]?: KernelConfig } {
  const kernelFunc = (args: { inputs: Conv2DInputs; backend: WasmBackendLike; attrs: Conv2DAttrs }) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs;
    if (x.shape.length === 4 && filter.shape.length === 4 && isFloat(x, filter)) {
      const info = backend_util.computeConv2DInfo(
        x.shape as Shape4,
        filter.shape as Shape4,
        strides,
        dilations,
        pad,
        dimRoundingMode,
        false,
        backend_util.convertConv2DDataFormat(dataFormat),
      );
      if (winogradRoutes(info, "forward")) return winogradForward(args.backend, x, filter, null, false, info);
    }
    return runOriginal(original, args);
  };
  return wrappingKernel(Conv2D, kernelFunc, original);
}

/** FusedConv2D (no activation or relu; rank-1 bias of out-channel size or none) by Winograd where
 * it applies, else tfjs's own kernel (`original`). */
export function fusedConv2dConfig(original: KernelConfig): WrappingKernelConfig & { [TFJS_KERNEL]?: KernelConfig } {
  const kernelFunc = (args: { inputs: FusedConv2DInputs; backend: WasmBackendLike; attrs: FusedConv2DAttrs }) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as {
      x: TensorInfo;
      filter: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const { strides, pad, dilations, dimRoundingMode, activation } = args.attrs;
    const act = activation ?? "linear";
    if (
      (act === "linear" || act === "relu") &&
      preluActivationWeights == null &&
      x.shape.length === 4 &&
      filter.shape.length === 4 &&
      isFloat(x, filter, bias)
    ) {
      // tfjs-backend-wasm's FusedConv2D reads NHWC whatever dataFormat says; so does this.
      const info = backend_util.computeConv2DInfo(
        x.shape as Shape4,
        filter.shape as Shape4,
        strides,
        dilations,
        pad,
        dimRoundingMode,
      );
      const biasOk = bias == null || (bias.shape.length === 1 && bias.shape[0] === info.outChannels);
      if (biasOk && winogradRoutes(info, "forward")) {
        return winogradForward(args.backend, x, filter, bias ?? null, act === "relu", info);
      }
    }
    return runOriginal(original, args);
  };
  return wrappingKernel(FusedConv2D, kernelFunc, original);
}
