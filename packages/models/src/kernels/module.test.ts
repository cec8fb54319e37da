// KernelExports is a hand-kept mirror of assembly/index.ts; KERNEL_EXPORT_ARITY is held to it by
// the compiler, and here to the module that was actually built (the bytes attachKernels loads).
import { describe, expect, it } from "vitest";
import { KERNELS_WASM_BASE64 } from "../../build/classfit-kernels-wasm.js";
import { KERNEL_EXPORT_ARITY } from "./module.js";

describe("KernelExports mirrors classfit-kernels.wasm", () => {
  it("names every function export with its arity", async () => {
    const module = await WebAssembly.compile(Buffer.from(KERNELS_WASM_BASE64, "base64"));
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const functions = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === "function")
      .map((e) => [e.name, (instance.exports[e.name] as () => unknown).length] as const);
    expect(Object.fromEntries(functions)).toEqual(KERNEL_EXPORT_ARITY);
  });
});
