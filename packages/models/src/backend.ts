// initBackend(): tfjs on its wasm backend, the same way in Node and in a browser, so that a model
// trained or evaluated in either gives the same bytes. Always the SIMD, single-threaded binary
// (tfjs-backend-wasm-simd.wasm): the threaded build splits work by thread count and the plain build
// rounds differently, so either would break Node-vs-browser bit identity. Then classfit's kernels
// (./kernels) are registered on top of tfjs's own.
import * as tf from "@tensorflow/tfjs-core";
// Training needs tfjs's gradient functions. tfjs-core's Node bundle does not register them and its
// ESM register_all_gradients module cannot be loaded by Node; tfjs-layers registers them on import
// in both its Node and browser builds.
import "@tensorflow/tfjs-layers";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerClassfitKernels } from "./kernels/index.js";

/** File name of the tfjs wasm binary classfit uses, as shipped in tfjs-backend-wasm's dist/. */
export const TFJS_WASM_SIMD_FILE = "tfjs-backend-wasm-simd.wasm";
const TFJS_WASM_PACKAGE_FILE = `@tensorflow/tfjs-backend-wasm/dist/${TFJS_WASM_SIMD_FILE}`;

export interface BackendOptions {
  /** Where to load tfjs-backend-wasm-simd.wasm from: a file path (Node) or URL (browser). In Node
   * the default is the installed package's file; a browser must pass the URL it serves it at. */
  wasmPath?: string;
}

let ready: Promise<void> | undefined;

function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

async function defaultWasmPath(): Promise<string> {
  if (!isNode()) {
    throw new Error(
      `initBackend: in a browser pass { wasmPath } (the URL where ${TFJS_WASM_SIMD_FILE} from @tensorflow/tfjs-backend-wasm/dist is served)`,
    );
  }
  // A computed specifier keeps browser bundlers from trying to resolve a Node builtin.
  const nodeModule = "node:module";
  const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as typeof import("node:module");
  return createRequire(import.meta.url).resolve(TFJS_WASM_PACKAGE_FILE);
}

async function init(options: BackendOptions): Promise<void> {
  const path = options.wasmPath ?? (await defaultWasmPath());
  // Pin the binary: all three names map to the SIMD build, and the feature probes are overridden
  // so tfjs never picks the threaded build (where available) or the non-SIMD one.
  tf.env().set("WASM_HAS_SIMD_SUPPORT", true);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  setWasmPaths({
    "tfjs-backend-wasm.wasm": path,
    "tfjs-backend-wasm-simd.wasm": path,
    "tfjs-backend-wasm-threaded-simd.wasm": path,
  });
  setThreadsCount(1);
  if (!(await tf.setBackend("wasm"))) {
    throw new Error(`initBackend: tfjs could not initialise its wasm backend from ${path}`);
  }
  await tf.ready();
  await registerClassfitKernels();
}

/**
 * Initialises tfjs-core on tfjs-backend-wasm (SIMD, one thread) with classfit's kernels, and makes
 * it the active backend. Safe to call more than once: later calls wait for the first and only
 * re-select 'wasm' if something switched the backend meanwhile.
 */
export async function initBackend(options: BackendOptions = {}): Promise<void> {
  if (!ready) {
    ready = init(options);
    ready.catch(() => {
      ready = undefined;
    });
  }
  await ready;
  if (tf.getBackend() !== "wasm") await tf.setBackend("wasm");
}
