// CoreExports is a hand-kept mirror of assembly/index.ts; CORE_EXPORT_ARITY is held to it by the
// compiler, and here to the module that was actually built.
import { describe, expect, it } from "vitest";
import { CORE_EXPORT_ARITY, Core } from "./core.js";
import { loadCoreModule } from "./node.js";

describe("CoreExports mirrors classfit-core.wasm", () => {
  it("names every function export with its arity, and the memory", async () => {
    const module = await loadCoreModule();
    const kinds = Object.fromEntries(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
    const { exports } = await Core.instantiate(module);
    const functions = Object.entries(exports as unknown as Record<string, unknown>)
      .filter(([, v]) => typeof v === "function")
      .map(([name, fn]) => [name, (fn as () => unknown).length] as const);
    expect(Object.fromEntries(functions)).toEqual(CORE_EXPORT_ARITY);
    expect(Object.keys(kinds).sort()).toEqual([...Object.keys(CORE_EXPORT_ARITY), "memory"].sort());
    expect(kinds.memory).toBe("memory");
  });
});
