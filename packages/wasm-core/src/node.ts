// Node host for wasm-core: reads the built module from this package's build/ folder.
import { readFile } from "node:fs/promises";
import { Core } from "./core.js";

/** Path of the release build, as a file URL. */
export const wasmUrl: URL = new URL("../build/classfit-core.wasm", import.meta.url);

let cached: Promise<WebAssembly.Module> | undefined;

/** Compiles (once per process) and returns the classfit-core module. */
export function loadCoreModule(): Promise<WebAssembly.Module> {
  cached ??= readFile(wasmUrl).then(
    (bytes) => WebAssembly.compile(bytes),
    (err: unknown) => {
      cached = undefined;
      throw new Error(
        `classfit-core.wasm not found at ${wasmUrl.pathname}; build it with \`npm run build\` (${String(err)})`,
      );
    },
  );
  return cached;
}

/** A fresh Core instance (its own linear memory) in this process. */
export async function createCore(): Promise<Core> {
  return Core.instantiate(await loadCoreModule());
}
