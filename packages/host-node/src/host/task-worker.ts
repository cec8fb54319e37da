// worker_threads entry for the study's compute tasks (DP-GMM fits, densities, KL, compactness,
// each network's analysis): instantiates wasm-core once and runs @classfit/pipeline's
// executeTask — the same function the in-thread pool runs, so a task's bytes never depend on
// where it ran. Protocol: see ../workers/pool.ts;
// a finished task's output goes out as a progress message { result } (so the study can commit
// it at once), then "done" with null.
import { parentPort } from "node:worker_threads";
import { isInputError } from "@classfit/pipeline/errors";
import {
  executeTask,
  outputTransferables,
  type TaskInput,
  type TaskKind,
  throttledProgress,
} from "@classfit/pipeline/tasks";
import { createCore } from "@classfit/wasm-core/node";

if (!parentPort) throw new Error("task-worker must run as a worker thread");
const port = parentPort;
const corePromise = createCore();

port.on("message", async (msg: { type: "task"; id: number; input: { kind: TaskKind; input: TaskInput<TaskKind> } }) => {
  const { id, input } = msg;
  try {
    const core = await corePromise;
    const out = executeTask(
      core,
      input.kind,
      input.input,
      throttledProgress((done, total) => port.postMessage({ type: "progress", id, data: { done, total } })),
    );
    port.postMessage({ type: "progress", id, data: { result: out } }, outputTransferables(out));
    port.postMessage({ type: "done", id, result: null });
  } catch (e) {
    port.postMessage({
      type: "error",
      id,
      message: e instanceof Error ? e.message : String(e),
      ...(isInputError(e) ? { input: true } : {}),
    });
  }
});
