// Messages between the page (main thread), the study worker (runs the pipeline: tfjs, the
// sampler's orchestration, the report) and the task workers (DP-GMM fits, densities, KL,
// compactness, each network's analysis).
// Everything here is structured-cloneable: Blobs for user files, WebAssembly.Module for
// wasm-core, typed arrays for task inputs and outputs.
import type { StudyUnitJob } from "@classfit/pipeline";
import type { StudySummary } from "@classfit/pipeline/summary";
import type { TaskInput, TaskKind, TaskOutput } from "@classfit/pipeline/tasks";

/** What the page shows when a run finishes (from the run manifest and the analysis). */
export type RunSummary = StudySummary;

/** Page → study worker. */
export type StudyRequest =
  | {
      type: "start";
      /** Run id: the IndexedDB "run directory" (same id + same config = resume). */
      runId: string;
      /** The study config as the user wrote it (validated in the worker). */
      config: unknown;
      /** User files by the path the config names them with ("data/train-images-idx3-ubyte.gz"). */
      files: [string, Blob][];
      /** Task workers for the per-class fits. */
      workers: number;
      /** The report of `classfit demo` (its title and notes on the demo's scale), for the presets. */
      report?: "demo";
    }
  | { type: "cancel" };

/** Study worker → page. */
export type StudyEvent =
  | { type: "progress-start"; key: string; total: number; label: string }
  | { type: "progress-update"; key: string; done: number }
  | { type: "progress-finish"; key: string }
  | { type: "log"; message: string }
  | { type: "done"; runId: string; summary: RunSummary; files: string[] }
  | { type: "interrupted"; runId: string; message: string }
  | { type: "error"; runId: string; kind: "input" | "failed"; message: string };

/** Study worker → task worker. */
export type TaskRequest =
  | { type: "init"; module: WebAssembly.Module }
  | { type: "task"; id: number; kind: TaskKind; input: TaskInput<TaskKind> };

/** Task worker → study worker. */
export type TaskEvent =
  | { type: "progress"; id: number; done: number; total: number }
  | { type: "result"; id: number; output: TaskOutput<TaskKind> }
  | { type: "error"; id: number; message: string };

/** Study worker → unit worker: build the protocol of a study step's job once, then run units. */
export type UnitRequest =
  | { type: "init"; module: WebAssembly.Module; tfjsWasmPath: string; job: StudyUnitJob; configHash: string }
  | { type: "unit"; id: number; index: number };

/** Unit worker → study worker. */
export type UnitEvent =
  | { type: "result"; id: number; payload: Uint8Array }
  | { type: "error"; id: number; message: string };

/** Minimal typing of a dedicated worker's global scope (the DOM lib types `self` as Window). */
export interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
}
