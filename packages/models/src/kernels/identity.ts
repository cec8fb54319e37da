// Identity, and Cast to a tensor's own dtype, without a copy, as the CPU backend does them: tfjs
// tensors are immutable, so sharing the buffer (reference counted) is safe. tfjs-backend-wasm
// copies: ~370 Identity calls per ResNet training step, and tfjs-layers casts every weight and
// input to float32 on each call.
import type { KernelConfig, NamedTensorMap, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./module.js";
import { runOriginal, type WrappingKernelConfig, wasmKernel, wrappingKernel } from "./registry.js";

interface WasmBackendWithRefs extends WasmBackendLike {
  incRef(dataId: object): void;
}

/** x itself, its buffer's reference count raised. */
function share(backend: WasmBackendWithRefs, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig = wasmKernel(
  tf.Identity,
  (args: { inputs: NamedTensorMap; backend: WasmBackendWithRefs }): TensorInfo =>
    share(args.backend, args.inputs.x as TensorInfo),
);

/** Cast to the tensor's own dtype shares the buffer; real conversions go to `original`. */
export function castConfig(original: KernelConfig): WrappingKernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorMap; backend: WasmBackendWithRefs; attrs: { dtype: string } }) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype !== args.attrs.dtype || x.dtype === "string") return runOriginal(original, args);
    return share(args.backend, x);
  };
  return wrappingKernel(tf.Cast, kernelFunc);
}
