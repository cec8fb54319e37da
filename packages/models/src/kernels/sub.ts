// Sub on the wasm backend for x − mean in batch-norm moments: 3.3 ms per 64×28×28×16 call by
// tfjs-backend-wasm's general broadcast.
import type { KernelConfig, NamedTensorMap, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { kernelsFor, ptrOf, type WasmBackendLike } from "./module.js";
import { runOriginal, type WrappingKernelConfig, wrappingKernel } from "./registry.js";

/**
 * Sub of a float32 tensor a and a float32 b that broadcasts along a's last axis only (b's shape all
 * ones but a last dimension of a's size, or just that dimension). Other cases go to `original`.
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
    if (!broadcastsLast) return runOriginal(original, args);
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
  return wrappingKernel(tf.Sub, kernelFunc);
}
