// registerClassfitKernels(): classfit's kernels for tfjs-backend-wasm, making `model.fit` of a
// ResNet (conv + batch norm + relu + residual adds + pooling + dense) run, and run fast, on the
// wasm backend. Call it after `await tf.setBackend("wasm")` (initBackend() in ../backend.ts does).
import { engine } from "@tensorflow/tfjs-core";
// tfjs-layers registers tfjs's gradient functions on import; the gradient entries below wrap some.
import "@tensorflow/tfjs-layers";
import * as tf from "@tensorflow/tfjs-core";
import { batchNormGradConfig, fusedBatchNormConfig, fusedBatchNormGrad } from "./batch-norm.js";
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig } from "./conv.js";
import { castConfig, identityConfig } from "./identity.js";
import { attachKernels, type WasmBackendLike } from "./module.js";
import { broadcastMiddleConfig, meanGrad, reductionConfig, sumGrad } from "./reduction.js";
import { applyKernels, type ClassfitKernel } from "./registry.js";
import { subConfig } from "./sub.js";
import { conv2dConfig, fusedConv2dConfig } from "./winograd.js";

export { BATCH_NORM_GRAD, fusedBatchNormWasm } from "./batch-norm.js";
export { conv2dBackpropFilterInfo, conv2dBackpropInputInfo } from "./conv.js";
export { directApplies, directConv2d } from "./direct.js";
export { attachKernels, type KernelVariant, type WasmBackendLike } from "./module.js";
export { BROADCAST_MIDDLE } from "./reduction.js";
export type { ClassfitKernel } from "./registry.js";
export {
  blockTiles,
  cachedFilterCount,
  prefersF4,
  useWinograd,
  winograd4Conv2d,
  winogradApplies,
  winogradBackpropFilter,
  winogradBackpropInput,
  winogradConv2d,
  winogradForward,
  winogradRoutes,
} from "./winograd.js";

/** Every change classfit makes to the 'wasm' backend, in the order registerClassfitKernels
 * applies them: kernels it adds or replaces, kernels wrapping tfjs's own (which stay the fallback
 * for the cases they do not handle), and gradients wrapping tfjs's own (which other backends
 * keep using, since gradients are global in tfjs). */
export const CLASSFIT_WASM_KERNELS: readonly ClassfitKernel[] = [
  { kind: "kernel", config: conv2DBackpropFilterConfig },
  { kind: "kernel", config: conv2DBackpropInputConfig },
  { kind: "kernel", config: batchNormGradConfig },
  { kind: "kernel", config: broadcastMiddleConfig },
  { kind: "kernel", config: identityConfig },
  { kind: "wrapper", kernelName: tf.Sum, wrap: (o) => reductionConfig(tf.Sum, o) },
  { kind: "wrapper", kernelName: tf.Mean, wrap: (o) => reductionConfig(tf.Mean, o) },
  { kind: "wrapper", kernelName: tf.Cast, wrap: castConfig },
  { kind: "wrapper", kernelName: tf.FusedBatchNorm, wrap: fusedBatchNormConfig },
  { kind: "wrapper", kernelName: tf.Sub, wrap: subConfig },
  { kind: "wrapper", kernelName: tf.Conv2D, wrap: conv2dConfig },
  { kind: "wrapper", kernelName: tf.FusedConv2D, wrap: fusedConv2dConfig },
  { kind: "gradient", kernelName: tf.FusedBatchNorm, wrap: fusedBatchNormGrad },
  { kind: "gradient", kernelName: tf.Mean, wrap: meanGrad },
  { kind: "gradient", kernelName: tf.Sum, wrap: sumGrad },
];

/**
 * Attaches the kernels module to the current wasm backend's heap and applies
 * CLASSFIT_WASM_KERNELS. Idempotent. Requires the wasm backend to be initialised
 * (`await tf.setBackend("wasm")`).
 */
export async function registerClassfitKernels(): Promise<void> {
  const backend = engine().findBackend("wasm") as unknown as WasmBackendLike | null;
  if (!backend) {
    throw new Error(
      "registerClassfitKernels: the 'wasm' backend is not initialised; await tf.setBackend('wasm') first",
    );
  }
  await attachKernels(backend);
  applyKernels(CLASSFIT_WASM_KERNELS);
}
