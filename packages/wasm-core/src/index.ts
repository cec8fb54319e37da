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
  BRACKET_FACTOR,
  type ChainState,
  type ClassModel,
  chainSubset,
  type DpgmmConfig,
  decodeClassModel,
  dpgmmConfig,
  encodeClassModel,
  type FitTrace,
  fitClassModel,
  INIT_SCHEMES,
  type InitScheme,
  initialClusters,
  type KlReference,
  logPredictive,
  looLogDensity,
  type NiwPrior,
  type PredictiveVariant,
  type Profile,
  type RelativeEntropyOptions,
  relativeEntropy,
  splitRhat,
  validateMatrix,
} from "./dpgmm.js";
export * from "./linalg.js";
export { type Convergence, ESS_OK, RHAT_OK, type SamplerSummary, samplerSummary } from "./sampler-summary.js";
export * from "./samplers.js";
export * from "./stats.js";
