export { Core, type CoreExports, Rng, Scope, WasmCoreError } from "./core.js";
export * from "./stats.js";
export * from "./samplers.js";
