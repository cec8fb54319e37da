// The study's only window on the world. A host (host-node's CLI, host-web's browser app, a test)
// supplies storage for the run directory, its input files, a worker pool, a progress display and
// a clock; the pipeline itself imports no host APIs, so the same study runs in Node and a tab.
import type { ImageDataset } from "@classfit/models";
import type { TaskInput, TaskKind, TaskOutput } from "../steps/tasks.js";
import type { StudyUnitJob } from "../study/unit-jobs.js";
import type { UnitExecutor, UnitProtocol } from "../units/units.js";

/**
 * The run directory. Paths are relative, '/'-separated (e.g. "resnet/stage1/reduce/Z.npy").
 * `write` must be atomic (temp file + rename, or an equivalent), so a killed run never leaves
 * a half-written artifact under its final name.
 */
export interface RunStorage {
  /** The file's bytes, or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  write(path: string, bytes: Uint8Array): Promise<void>;
  /** Removes a file if it exists (stale artifacts of an edited config). */
  remove?(path: string): Promise<void>;
}

/** Inputs named by the study config: datasets, model directories and other user files. */
export interface StudyResources {
  /** A labelled image set: `path` is "default" (the embedded Fashion-MNIST subset) or host-specific. */
  loadDataset(path: string, split: "train" | "test"): Promise<ImageDataset>;
  /** The bytes of a user file named in the config (activations .npy, score files…). */
  readFile(path: string): Promise<Uint8Array>;
  /** A tfjs layers-model directory: model.json text, the weight bytes (shards concatenated), manifest.json text if any. */
  readModel(path: string): Promise<{ modelJson: string; weights: Uint8Array; manifestJson?: string }>;
  /** How the path is shown in the manifest and the report (e.g. made relative). */
  describe?(path: string): string;
}

/** Runs independent compute tasks (DP-GMM fits, densities, KL, compactness, analysis) on workers. */
export interface WorkerPool {
  readonly size: number;
  /**
   * Runs every input of one kind; results in input order. `onResult(i, out)` is called as each
   * finishes (the pipeline commits it at once, so an interrupted run keeps it), `onProgress`
   * with (done, total) steps of a running task.
   */
  run<K extends TaskKind>(
    kind: K,
    inputs: TaskInput<K>[],
    hooks?: {
      onStart?: (index: number) => void;
      onProgress?: (index: number, done: number, total: number) => void;
      onResult?: (index: number, output: TaskOutput<K>) => void | Promise<void>;
    },
  ): Promise<TaskOutput<K>[]>;
}

/** Progress of long steps: bars with ETA on a terminal, silence elsewhere. */
export interface ProgressReporter {
  start(key: string, total: number, label: string): void;
  update(key: string, done: number): void;
  finish(key: string): void;
  /** A line that must not be garbled by bars (step skipped, warnings). */
  log(message: string): void;
}

export interface Clock {
  /** Milliseconds, monotonic enough for step timings. */
  now(): number;
  /** Wall-clock time as ISO 8601 text (manifest and report stamps). */
  isoNow(): string;
}

export interface PipelineHost {
  storage: RunStorage;
  resources: StudyResources;
  /** Worker pool; without one, tasks run in the calling thread. */
  pool?: WorkerPool;
  /**
   * Where the units of a study protocol (memorization's networks, certification's chunks) run:
   * `size` workers, each building the protocol from `job` with `protocolOfJob`. Without it, or
   * when it returns undefined, units run in the calling thread; the bytes are the same.
   */
  unitExecutor?(job: StudyUnitJob, protocol: UnitProtocol, size: number): UnitExecutor | undefined;
  progress?: ProgressReporter;
  clock: Clock;
  /** Aborting stops the study between units of work; finished artifacts stay for a rerun. */
  signal?: AbortSignal;
  /** Where tfjs's wasm binary is served (browser hosts; Node finds it itself). */
  tfjsWasmPath?: string;
  /** Name and version of the host, recorded in the manifest. */
  hostName?: string;
}

export const SILENT_PROGRESS: ProgressReporter = {
  start() {},
  update() {},
  finish() {},
  log() {},
};

/** A RunStorage in memory (tests, the browser before it saves a zip). */
export class MemoryRunStorage implements RunStorage {
  readonly files = new Map<string, Uint8Array>();
  async read(path: string): Promise<Uint8Array | undefined> {
    return this.files.get(path)?.slice();
  }
  async write(path: string, bytes: Uint8Array): Promise<void> {
    this.files.set(path, bytes.slice());
  }
  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }
}

export { readModelWeights } from "./model-files.js";
