// worker_threads entry for per-class work: instantiates wasm-core once, then runs one task per
// message (protocol in pool.ts): `fit` one class's DP-GMM, or estimate one class's relative
// entropy (`kl`). Fit progress is throttled to a few messages a second per class.
import { parentPort } from "node:worker_threads";
import { createCore } from "@classfit/wasm-core/node";
import {
  type FitTaskInput,
  type FitTaskResult,
  fitClass,
  type KlTaskInput,
  type KlTaskResult,
  loadModel,
  relativeEntropyOf,
} from "../engine.js";

export type ClassTask = ({ kind: "fit" } & FitTaskInput) | ({ kind: "kl" } & KlTaskInput);

if (!parentPort) throw new Error("class-worker must run as a worker thread");
const port = parentPort;
const corePromise = createCore();

port.on("message", async (msg: { type: "task"; id: number; input: ClassTask }) => {
  const { id, input } = msg;
  try {
    const core = await corePromise;
    const t0 = performance.now();
    if (input.kind === "fit") {
      let last = 0;
      const r = fitClass(core, input, (done, total) => {
        const now = performance.now();
        if (now - last > 200 || done === total) {
          last = now;
          port.postMessage({ type: "progress", id, data: { done, total } });
        }
      });
      const result: FitTaskResult = { ...r, seconds: (performance.now() - t0) / 1000 };
      port.postMessage({ type: "done", id, result }, [result.modelBytes.buffer as ArrayBuffer]);
    } else {
      const model = loadModel(core, input.modelBytes, input.name);
      const r = relativeEntropyOf(core, model, input.data, input.n, input.d, input);
      const result: KlTaskResult = { ...r, seconds: (performance.now() - t0) / 1000 };
      port.postMessage({ type: "done", id, result });
    }
  } catch (e) {
    port.postMessage({ type: "error", id, message: e instanceof Error ? e.message : String(e) });
  }
});
