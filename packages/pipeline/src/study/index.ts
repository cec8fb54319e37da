export {
  componentsFor,
  type NetworkConfig,
  PROFILE_SETTINGS,
  resolveStudyConfig,
  STUDY_PROFILES,
  type StepSettings,
  type StudyConfig,
  StudyConfigError,
  type StudyConfigInput,
  type StudyProfile,
  studyConfigSchema,
} from "./config.js";
export {
  DEMO_CERTIFY_PER_CLASS,
  DEMO_NAME,
  DEMO_NETWORKS,
  DEMO_TITLE,
  type DemoChoices,
  type DemoNetwork,
  demoNotes,
  demoStudyInput,
  SHIPPED_PATHS,
} from "./demo.js";
export {
  deriveSeed,
  firstPerClass,
  REPORT_DIR,
  RUN_MANIFEST,
  type RunManifest,
  type RunStudyOptions,
  runStudy,
  StudyInterrupted,
  type StudyResult,
} from "./run.js";
export { formatSummary, type NetworkSummary, type StudySummary, summarizeStudy } from "./summary.js";
export {
  type CertificationJob,
  type JobProtocol,
  type MemorizationJob,
  protocolOfJob,
  type StudyUnitJob,
} from "./unit-jobs.js";
