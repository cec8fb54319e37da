// @classfit/pipeline: the study as host-agnostic steps over typed artifacts. Filled in by
// the pipeline issue.
export const PACKAGE = "@classfit/pipeline";

// [section: analysis and report — class density split, correlations, HTML/SVG/CSV report]
export * from "./analysis/index.js";
// [section: evaluation protocols — memorization, certification, sharding, work units]
export * from "./certify/index.js";
export { type Compactness, type CompactnessOptions, compactness } from "./compactness.js";
// [section: shared with the hosts — bad-input errors, profiles]
export { InputError, isInputError, readingInput } from "./errors.js";
// [section: study orchestration — steps, host interface, runStudy]
export * from "./host/index.js";
export * from "./memorization/index.js";
export { isStudyProfile, STUDY_PROFILES_BY_COST } from "./profiles.js";
export { type Report, type ReportMeta, renderReport } from "./report/index.js";
export * from "./shard/index.js";
export * from "./steps/index.js";
export * from "./study/index.js";
export * from "./units/index.js";
