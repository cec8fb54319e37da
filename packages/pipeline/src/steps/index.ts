export { ArtifactStore, STEP_RECORD, type StepEvent, type StepRecord, stepKey } from "./store.js";
export {
  type DensityOutput,
  type DensityTask,
  executeTask,
  type FitOutput,
  type FitTask,
  inThreadPool,
  type KlOutput,
  type KlTask,
  TASK_KINDS,
  type TaskInput,
  type TaskKind,
  type TaskOutput,
  transferables,
} from "./tasks.js";
