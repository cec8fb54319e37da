// @classfit/pipeline: the study as host-agnostic steps over typed artifacts. Filled in by
// the pipeline issue.
export const PACKAGE = "@classfit/pipeline";
// [section: evaluation protocols — memorization, certification, sharding, work units]
export * from "./certify/index.js";
export * from "./memorization/index.js";
export * from "./shard/index.js";
export * from "./units/index.js";
