// Web Worker entry for the study's compute tasks: instantiates wasm-core from the module the
// study worker compiled, and runs @classfit/pipeline's executeTask — the same function Node's
// worker_threads and the in-thread pool run, so a task's bytes never depend on where it ran.
import { executeTask, outputTransferables, throttledProgress } from "@classfit/pipeline/tasks";
import { Core } from "@classfit/wasm-core";
import type { TaskEvent, TaskRequest, WorkerScope } from "./protocol.js";

const scope = self as unknown as WorkerScope;
let core: Promise<Core> | undefined;

const post = (e: TaskEvent, t: Transferable[] = []) => scope.postMessage(e, t);

scope.addEventListener("message", async (ev: MessageEvent) => {
  const msg = ev.data as TaskRequest;
  if (msg.type === "init") {
    core = Core.instantiate(msg.module);
    return;
  }
  const { id } = msg;
  try {
    if (!core) throw new Error("task worker: no wasm-core module (init was not sent)");
    const c = await core;
    const output = executeTask(
      c,
      msg.kind,
      msg.input,
      throttledProgress((done, total) => post({ type: "progress", id, done, total })),
    );
    post({ type: "result", id, output }, outputTransferables(output));
  } catch (e) {
    post({ type: "error", id, message: e instanceof Error ? e.message : String(e) });
  }
});
