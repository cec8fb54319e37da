export { Core, type CoreExports, Rng, Scope, WasmCoreError } from "./core.js";
