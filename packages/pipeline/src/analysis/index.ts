// Public API of the study analysis (METHOD.md §6, §7, §11).
export {
  compareMixtures,
  type DipTest,
  dipStatistic,
  dipTest,
  fitTwoGaussians,
  type GapSplit,
  gapSplit,
  type MixtureComparison,
  type TwoGaussians,
} from "./bimodality.js";
export { detExp, detLog, detLogSumExp } from "./detmath.js";
export {
  type BootstrapCI,
  type BootstrapOptions,
  midranks,
  quantileSorted,
  spearman,
  spearmanBootstrap,
} from "./stats.js";
export {
  type AnalysisOptions,
  analyzeStudy,
  type CertifiedCurve,
  type ClassRow,
  type Correlation,
  type CorrelationLevel,
  type DensityBin,
  type GenerativeResult,
  type Group,
  type GroupMeans,
  type NetworkAnalysis,
  type SplitEvidence,
  type StageSummary,
  type StudyAnalysis,
  VARIABLES,
} from "./study.js";
export {
  type ClassCertified,
  type ClassScoreTable,
  type ClassStageRecord,
  classStageRecordSchema,
  type ExampleRecord,
  type ExampleTable,
  examplesToTables,
  type NetworkInfo,
  networkInfoSchema,
  type StudyInput,
  StudyInputError,
} from "./types.js";
