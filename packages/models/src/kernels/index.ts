// registerClassfitKernels(): classfit's kernels for tfjs-backend-wasm, making `model.fit` of a
// ResNet (conv + batch norm + relu + residual adds + pooling + dense) run, and run fast, on the
// wasm backend. Call it after `await tf.setBackend("wasm")` (initBackend() in ../backend.ts does).
import { engine, getKernel, type KernelConfig, registerKernel, unregisterKernel } from "@tensorflow/tfjs-core";
// tfjs-layers registers tfjs's gradient functions on import; overrideGradients() wraps some.
import "@tensorflow/tfjs-layers";
import * as tf from "@tensorflow/tfjs-core";
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig } from "./conv.js";
import { attachKernels, type WasmBackendLike } from "./module.js";
import {
  batchNormGradConfig,
  broadcastMiddleConfig,
  castConfig,
  fusedBatchNormConfig,
  identityConfig,
  overrideGradients,
  reductionConfig,
  subConfig,
  WRAPS_TFJS_KERNEL,
  type WrappingKernelConfig,
} from "./norm.js";
import { conv2dConfig, fusedConv2dConfig } from "./winograd.js";

export { conv2dBackpropFilterInfo, conv2dBackpropInputInfo } from "./conv.js";
export { directApplies, directConv2d } from "./direct.js";
export { attachKernels, type KernelVariant, type WasmBackendLike } from "./module.js";
export { BATCH_NORM_GRAD, BROADCAST_MIDDLE, fusedBatchNormWasm } from "./norm.js";
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

/** Every kernel classfit registers (or replaces) on the 'wasm' backend. */
export const CLASSFIT_WASM_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  batchNormGradConfig,
  broadcastMiddleConfig,
  identityConfig,
];

/**
 * Registers classfit's kernels for the 'wasm' backend, replacing tfjs's own where it has one,
 * attaches the kernels module to the current wasm backend's heap, and wraps tfjs's gradients of
 * FusedBatchNorm, Mean and Sum with wasm fast paths (other backends keep tfjs's gradients).
 * Idempotent. Requires the wasm backend to be initialised (`await tf.setBackend("wasm")`).
 */
export async function registerClassfitKernels(): Promise<void> {
  const backend = engine().findBackend("wasm") as unknown as WasmBackendLike | null;
  if (!backend) {
    throw new Error(
      "registerClassfitKernels: the 'wasm' backend is not initialised; await tf.setBackend('wasm') first",
    );
  }
  await attachKernels(backend);
  for (const config of CLASSFIT_WASM_KERNELS) {
    const current = getKernel(config.kernelName, "wasm");
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) unregisterKernel(config.kernelName, "wasm");
    registerKernel(config);
  }
  // Kernels that keep tfjs's own as the fallback for the cases they do not handle.
  const wrappers: Array<[string, (original: KernelConfig) => WrappingKernelConfig]> = [
    [tf.Sum, (o) => reductionConfig(tf.Sum, o)],
    [tf.Mean, (o) => reductionConfig(tf.Mean, o)],
    [tf.Cast, castConfig],
    [tf.FusedBatchNorm, fusedBatchNormConfig],
    [tf.Sub, subConfig],
    [tf.Conv2D, conv2dConfig],
    [tf.FusedConv2D, fusedConv2dConfig],
  ];
  for (const [name, wrap] of wrappers) {
    const current = getKernel(name, "wasm") as (KernelConfig & { [WRAPS_TFJS_KERNEL]?: true }) | undefined;
    if (!current) throw new Error(`registerClassfitKernels: tfjs-backend-wasm has no ${name} kernel to wrap`);
    if (current[WRAPS_TFJS_KERNEL]) continue;
    unregisterKernel(name, "wasm");
    registerKernel(wrap(current));
  }
  overrideGradients();
}
