// The classfit kernels module (packages/models/assembly, AssemblyScript → SIMD wasm) instantiated
// on the heap of a tfjs-backend-wasm instance: it imports that WebAssembly.Memory, so its kernels
// read and write tfjs tensors in place, with no copies. The module has no data segments and no
// allocator (checked by its build), so sharing the memory cannot overwrite anything tfjs owns.
import type { DataType, TensorInfo } from "@tensorflow/tfjs-core";
import { KERNELS_WASM_BASE64 } from "../../build/classfit-kernels-wasm.js";

/** The parts of tfjs-backend-wasm's BackendWasm that the kernels use. */
export interface WasmBackendLike {
  wasm: {
    asm: { memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  /** tfjs's DataStorage: `get` of an unknown dataId asks the engine to move data (and throws
   * for a disposed one), so liveness checks use `has`. */
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
}

/** Which twin of a kernel runs: the SIMD one, or its scalar reference (bit-identical; tests). */
export type KernelVariant = "simd" | "scalar";

type Ptr = number;
/** n, h, w, ci, oh, ow, co: the batch, input and output sizes every convolution export takes. */
type Sizes = [n: number, h: number, w: number, ci: number, oh: number, ow: number, co: number];
/** The filter size and strides. */
type Window = [kh: number, kw: number, sh: number, sw: number];
/** The assembly/conv.ts kernels' geometry. */
export type ConvGeometry = [...Sizes, ...Window, dh: number, dw: number, padT: number, padL: number];
/** The assembly/direct.ts kernels' geometry (no dilation). */
export type DirectGeometry = [...Sizes, ...Window, padT: number, padL: number];
/** The geometry every Winograd export takes (3×3, stride 1, no dilation). */
export type TileGeometry = [...Sizes, padT: number, padL: number];
/** A geometry without its leading batch size (plans that fix the batch at each call). */
export type AfterBatch<G extends number[]> = G extends [number, ...infer Rest] ? Rest : never;
/** `geometry` without its batch size. */
export function afterBatch<G extends [number, ...number[]]>(geometry: G): AfterBatch<G> {
  return geometry.slice(1) as AfterBatch<G>;
}
/** x, mean, variance, scale, offset, eps, rows, c, y, scratch (see assembly/norm.ts). */
type BatchNormForwardArgs = [Ptr, Ptr, Ptr, Ptr, Ptr, number, number, number, Ptr, Ptr];
/** The buffers of a Winograd forward pass (see assembly/winograd.ts). */
type WinogradConvBuffers = [x: Ptr, u: Ptr, bias: Ptr, res: Ptr, out: Ptr, v: Ptr, m: Ptr];
type WinogradConvArgs = [...WinogradConvBuffers, ...TileGeometry, relu: number, tb: number];
type Winograd4ConvArgs = [...WinogradConvBuffers, tmp: Ptr, ...TileGeometry, relu: number, tb: number];
/** The buffers of a Winograd filter gradient. */
type FilterGradBuffers = [x: Ptr, dy: Ptr, dw: Ptr, v: Ptr, z: Ptr, acc: Ptr];
type WinogradFilterGradArgs = [...FilterGradBuffers, ...TileGeometry, tb: number];
type Winograd4FilterGradArgs = [...FilterGradBuffers, tmp: Ptr, ...TileGeometry, tb: number];
type DirectConvArgs = [x: Ptr, w: Ptr, bias: Ptr, res: Ptr, out: Ptr, ...DirectGeometry, relu: number];

/** The flat ABI of assembly/index.ts. */
export interface KernelExports {
  conv2dBackpropFilterSimd(x: Ptr, dy: Ptr, dw: Ptr, ...geometry: ConvGeometry): void;
  conv2dBackpropFilterScalar(x: Ptr, dy: Ptr, dw: Ptr, ...geometry: ConvGeometry): void;
  conv2dBackpropInputSimd(dy: Ptr, w: Ptr, dx: Ptr, wt: Ptr, ...geometry: ConvGeometry): void;
  conv2dBackpropInputScalar(dy: Ptr, w: Ptr, dx: Ptr, wt: Ptr, ...geometry: ConvGeometry): void;
  directConv(...args: DirectConvArgs): void;
  directConvScalar(...args: DirectConvArgs): void;
  batchNormGrad(
    x: Ptr,
    dy: Ptr,
    mean: Ptr,
    variance: Ptr,
    scale: Ptr,
    eps: number,
    rows: number,
    c: number,
    dx: Ptr,
    dmean: Ptr,
    dvar: Ptr,
    dscale: Ptr,
    doffset: Ptr,
    scratch: Ptr,
  ): void;
  batchNormForward(...args: BatchNormForwardArgs): void;
  batchNormForwardScalar(...args: BatchNormForwardArgs): void;
  winogradFilter(w: Ptr, u: Ptr, a: number, b: number, flip: number): void;
  winogradConv(...args: WinogradConvArgs): void;
  winogradConvScalar(...args: WinogradConvArgs): void;
  winograd4Filter(w: Ptr, u: Ptr, a: number, b: number, flip: number): void;
  winograd4Conv(...args: Winograd4ConvArgs): void;
  winograd4ConvScalar(...args: Winograd4ConvArgs): void;
  winograd4FilterGrad(...args: Winograd4FilterGradArgs): void;
  winograd4FilterGradScalar(...args: Winograd4FilterGradArgs): void;
  winogradFilterGrad(...args: WinogradFilterGradArgs): void;
  winogradFilterGradScalar(...args: WinogradFilterGradArgs): void;
  subLastAxis(a: Ptr, b: Ptr, rows: number, c: number, out: Ptr): void;
  /** assembly/head.ts; acc: c f64 of scratch. */
  globalAvgPool(x: Ptr, out: Ptr, n: number, px: number, c: number, acc: Ptr): void;
  denseForward(x: Ptr, w: Ptr, bias: Ptr, out: Ptr, n: number, inSize: number, units: number): void;
  broadcastMiddle(src: Ptr, out: Ptr, outer: number, mid: number, inner: number, divisor: number): void;
  reduceMiddle(src: Ptr, out: Ptr, outer: number, mid: number, inner: number, divisor: number, scratch: Ptr): void;
}

type Arity<F> = F extends (...args: infer A) => unknown ? A["length"] : never;

/**
 * Every export's parameter count. KernelExports is written by hand, so it can drift from
 * assembly/index.ts: the compiler holds this table to KernelExports (every name, each arity), and
 * module.test.ts holds it to the built module's exports.
 */
export const KERNEL_EXPORT_ARITY = {
  conv2dBackpropFilterSimd: 18,
  conv2dBackpropFilterScalar: 18,
  conv2dBackpropInputSimd: 19,
  conv2dBackpropInputScalar: 19,
  directConv: 19,
  directConvScalar: 19,
  batchNormGrad: 14,
  batchNormForward: 10,
  batchNormForwardScalar: 10,
  winogradFilter: 5,
  winogradConv: 18,
  winogradConvScalar: 18,
  winograd4Filter: 5,
  winograd4Conv: 19,
  winograd4ConvScalar: 19,
  winograd4FilterGrad: 17,
  winograd4FilterGradScalar: 17,
  winogradFilterGrad: 16,
  winogradFilterGradScalar: 16,
  subLastAxis: 5,
  globalAvgPool: 6,
  denseForward: 7,
  broadcastMiddle: 6,
  reduceMiddle: 7,
} as const satisfies { [K in keyof KernelExports]: Arity<KernelExports[K]> };

let compiled: Promise<WebAssembly.Module> | undefined;
const instances = new WeakMap<object, KernelExports>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Instantiates the kernels on `backend`'s heap (once per backend instance). Asynchronous
 * because browsers refuse synchronous compilation of modules over 4 KiB on the main thread. */
export async function attachKernels(backend: WasmBackendLike): Promise<KernelExports> {
  const have = instances.get(backend);
  if (have) return have;
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error(
      "classfit kernels: the backend is not tfjs-backend-wasm (no wasm.asm.memory); call after tf.setBackend('wasm')",
    );
  }
  compiled ??= WebAssembly.compile(decodeBase64(KERNELS_WASM_BASE64));
  const instance = await WebAssembly.instantiate(await compiled, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  instances.set(backend, exports);
  return exports;
}

/** The kernels attached to `backend`; throws if attachKernels has not run for it. */
export function kernelsFor(backend: WasmBackendLike): KernelExports {
  const k = instances.get(backend);
  if (!k) {
    throw new Error(
      "classfit kernels are not attached to this wasm backend: await registerClassfitKernels() (or initBackend()) after tf.setBackend('wasm')",
    );
  }
  return k;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function ptrOf(backend: WasmBackendLike, t: TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) throw new Error(`classfit kernels: tensor of shape [${t.shape}] is not on the wasm backend`);
  return d.memoryOffset;
}
