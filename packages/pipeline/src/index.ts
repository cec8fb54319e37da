// @classfit/pipeline: the study as host-agnostic steps over typed artifacts. Filled in by
// the pipeline issue.
export const PACKAGE = "@classfit/pipeline";
