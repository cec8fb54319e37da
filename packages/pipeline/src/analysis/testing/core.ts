// Test-only helpers shared by the analysis and report tests: a wasm-core instance for Node.
// Not exported from the package index.
import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";

let core: Promise<Core> | undefined;

/** One Core per test process (instantiating is cheap, but there is no reason to repeat it). */
export function testCore(): Promise<Core> {
  core ??= createCore();
  return core;
}
