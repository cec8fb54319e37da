// How classfit's kernels go onto tfjs's 'wasm' backend. Three kinds of change, all listed in one
// array (CLASSFIT_WASM_KERNELS in index.ts) and applied by applyKernels: a kernel tfjs-backend-wasm
// lacks or that is replaced outright; a kernel that wraps tfjs's own, which stays the fallback for
// the cases the wrapper does not handle; and a gradient that wraps tfjs's own. Applying twice
// changes nothing, so registration can run again on a new backend instance.
import type { GradConfig, KernelConfig, KernelFunc } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import { kernelsFor, type WasmBackendLike } from "./module.js";

/** Marks kernel configs that wrap a tfjs kernel, so registering twice does not wrap twice. */
export const WRAPS_TFJS_KERNEL = Symbol.for("classfit.wrapsTfjsKernel");
export type WrappingKernelConfig = KernelConfig & { [WRAPS_TFJS_KERNEL]: true };
/** Where a wrapper keeps tfjs's own kernel, for tests that compare the two bit for bit. */
export const TFJS_KERNEL = Symbol.for("classfit.tfjsKernel");
const WRAPPED_GRADIENT = Symbol.for("classfit.wrappedGradient");

export type GradFunc = GradConfig["gradFunc"];

export type ClassfitKernel =
  | { kind: "kernel"; config: KernelConfig }
  | { kind: "wrapper"; kernelName: string; wrap: (original: KernelConfig) => WrappingKernelConfig }
  | { kind: "gradient"; kernelName: string; wrap: (original: GradFunc) => GradFunc };

/** A kernel of the 'wasm' backend; `kernelFunc` takes tfjs's kernel arguments as it types them. */
export function wasmKernel(kernelName: string, kernelFunc: (args: never) => unknown): KernelConfig {
  return { kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** A wasm kernel in place of tfjs's `original`, which it keeps (under TFJS_KERNEL) when given. */
export function wrappingKernel(
  kernelName: string,
  kernelFunc: (args: never) => unknown,
  original?: KernelConfig,
): WrappingKernelConfig & { [TFJS_KERNEL]?: KernelConfig } {
  return {
    ...wasmKernel(kernelName, kernelFunc),
    [WRAPS_TFJS_KERNEL]: true,
    ...(original ? { [TFJS_KERNEL]: original } : {}),
  };
}

/** tfjs's `original` kernel run on the wrapper's own arguments. */
export function runOriginal(original: KernelConfig, args: unknown): ReturnType<KernelFunc> {
  return original.kernelFunc(args as Parameters<KernelFunc>[0]);
}

/** Whether wrapped gradients may take their fast path now: gradients are global in tfjs, so they
 * must check that the active backend is wasm with classfit's kernels attached. */
export function fastPathActive(): boolean {
  if (tf.getBackend() !== "wasm") return false;
  try {
    kernelsFor(tf.backend() as unknown as WasmBackendLike);
    return true;
  } catch {
    return false;
  }
}

/** Applies every change in `kernels`, in order, skipping those already applied. */
export function applyKernels(kernels: readonly ClassfitKernel[]): void {
  for (const k of kernels) {
    if (k.kind === "kernel") {
      const current = tf.getKernel(k.config.kernelName, "wasm");
      if (current?.kernelFunc === k.config.kernelFunc) continue;
      if (current) tf.unregisterKernel(k.config.kernelName, "wasm");
      tf.registerKernel(k.config);
    } else if (k.kind === "wrapper") {
      const current = tf.getKernel(k.kernelName, "wasm") as (KernelConfig & { [WRAPS_TFJS_KERNEL]?: true }) | undefined;
      if (!current) {
        throw new Error(`registerClassfitKernels: tfjs-backend-wasm has no ${k.kernelName} kernel to wrap`);
      }
      if (current[WRAPS_TFJS_KERNEL]) continue;
      tf.unregisterKernel(k.kernelName, "wasm");
      tf.registerKernel(k.wrap(current));
    } else {
      const current = tf.getGradient(k.kernelName) as (GradConfig & { [WRAPPED_GRADIENT]?: true }) | undefined;
      if (!current) {
        throw new Error(
          `classfit kernels: tfjs has no gradient registered for ${k.kernelName}; import @tensorflow/tfjs-layers first`,
        );
      }
      if (current[WRAPPED_GRADIENT]) continue;
      // registerGradient warns on replacement only in debug mode; replacing is its documented use.
      const config = { ...current, gradFunc: k.wrap(current.gradFunc), [WRAPPED_GRADIENT]: true as const };
      tf.registerGradient(config);
    }
  }
}
