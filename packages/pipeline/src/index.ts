// @classfit/pipeline: the study as host-agnostic steps over typed artifacts. The hosts
// (host-node, host-web) import only from here; ARCHITECTURE.md follows one study through it.
export * from "./analysis/index.js";
export * from "./certify/index.js";
export { type Compactness, type CompactnessOptions, compactness } from "./compactness.js";
export { InputError, isInputError, readingInput } from "./errors.js";
export * from "./formats/index.js";
export * from "./host/index.js";
export * from "./memorization/index.js";
export { isStudyProfile, STUDY_PROFILES_BY_COST } from "./profiles.js";
export { type Report, type ReportMeta, renderReport } from "./report/index.js";
export * from "./shard/index.js";
export * from "./steps/index.js";
export * from "./study/index.js";
export * from "./units/index.js";
