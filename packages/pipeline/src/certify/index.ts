export {
  type AdaptiveOptions,
  certifyAdaptive,
  defaultLooks,
  lookDecision,
  type ResolvedAdaptive,
  resolveAdaptive,
} from "./adaptive.js";
export {
  argmax,
  type CertifyParams,
  type CertifyResult,
  COHEN_DEFAULTS,
  certify,
  checkCertifyParams,
  finishCertify,
  type PredictParams,
  type PredictResult,
  predict,
  predictFromCounts,
  radiusOf,
  type SmoothedClassifierBackend,
  sampleCounts,
} from "./cohen.js";
export { type ClassF1, DEFAULT_RADII, type GroupMeasures, groupMeasures } from "./measures.js";
export {
  type BinTrainer,
  CERTIFY_CODE_VERSION,
  type CertificationOptions,
  type CertifyColumns,
  type CertifyDataset,
  type CertifySettings,
  certificationProtocol,
  certifyExamples,
  concatColumns,
  type DensityBinOptions,
  type DensityBins,
  decodeColumns,
  densityBinProtocol,
  densityBins,
  densityBinUnitPlan,
  encodeColumns,
  finalizeCertification,
  finalizeDensityBins,
  type ResolvedCertify,
  resolveCertify,
} from "./protocol.js";
export { type CertifyStats, coreStats } from "./stats.js";
export {
  type CertificationArtifact,
  type CertificationSummary,
  decodeCertification,
  summarizeCertification,
} from "./summary.js";
export { categoricalBackend, scriptedBackend } from "./synthetic.js";
