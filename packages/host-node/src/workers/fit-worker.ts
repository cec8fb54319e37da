// worker_threads entry: instantiates wasm-core once, then fits one class per task message
// (protocol in pool.ts). Progress is throttled to a few messages a second per class.
import { parentPort } from "node:worker_threads";
import { createCore } from "@classfit/wasm-core/node";
import { type FitTaskInput, type FitTaskResult, fitClass } from "../engine.js";

if (!parentPort) throw new Error("fit-worker must run as a worker thread");
const port = parentPort;
const corePromise = createCore();

port.on("message", async (msg: { type: "task"; id: number; input: FitTaskInput }) => {
  const { id, input } = msg;
  try {
    const core = await corePromise;
    let last = 0;
    const t0 = performance.now();
    const r = fitClass(core, input, (done, total) => {
      const now = performance.now();
      if (now - last > 200 || done === total) {
        last = now;
        port.postMessage({ type: "progress", id, data: { done, total } });
      }
    });
    const result: FitTaskResult = { ...r, seconds: (performance.now() - t0) / 1000 };
    port.postMessage({ type: "done", id, result }, [result.modelBytes.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ type: "error", id, message: e instanceof Error ? e.message : String(e) });
  }
});
