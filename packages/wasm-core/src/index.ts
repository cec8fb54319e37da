export { Core, type CoreExports, Rng, Scope, WasmCoreError } from "./core.js";
export {
  type Chains,
  type ConvergenceSummary,
  convergenceSummary,
  essBulk,
  essMean,
  essQuantile,
  essTail,
  mcseMean,
  mcseQuantile,
  rhat,
  rhatBulk,
  rhatTail,
} from "./diagnostics.js";
export {
  allTraces,
  type ChainState,
  type ClassModel,
  type DpgmmConfig,
  decodeClassModel,
  dpgmmConfig,
  encodeClassModel,
  type FitTrace,
  fitClassModel,
  type KlReference,
  logPredictive,
  type NiwPrior,
  type PredictiveVariant,
  type Profile,
  type RelativeEntropyOptions,
  relativeEntropy,
  splitRhat,
  validateMatrix,
} from "./dpgmm.js";
export * from "./linalg.js";
export * from "./samplers.js";
export * from "./stats.js";
