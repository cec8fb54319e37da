// Building a fresh, seeded network in one call.
import type { Core } from "@classfit/wasm-core";
import { type BuiltModel, buildModel } from "../arch/build.js";
import type { ArchConfig, InputSpec } from "../arch/config.js";
import { initWeights } from "../arch/init.js";

/** Builds `config` for `spec` and draws its weights from wasm-core's Rng with `seed`. */
export function createModel(config: ArchConfig, spec: InputSpec, core: Core, seed: number): BuiltModel {
  const built = buildModel(config, spec);
  initWeights(built.model, core, seed, built.zeroGamma);
  return built;
}
