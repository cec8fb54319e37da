// The study's unit executor on Web Workers: `size` workers each build the step's protocol from
// its job once, then take units from a shared queue; each finished unit goes to onUnit at once
// (the pipeline stores it by index, so neither the worker count nor the completion order shows
// in any artifact). Cancel terminates every worker; the stored units make the rerun resume.
// The study's dataset travels on SharedArrayBuffers when the page is cross-origin isolated
// (one copy for all workers), otherwise each worker gets its own copy.
import { shareDataset } from "@classfit/models";
import { configHash, type StudyUnitJob, type UnitExecutor, type UnitProtocol } from "@classfit/pipeline";
import type { UnitEvent, UnitRequest } from "./protocol.js";

export type UnitWorkerFactory = () => Worker;

const unitWorkerFactory: UnitWorkerFactory = () =>
  new Worker(new URL("./unit-worker.ts", import.meta.url), { type: "module", name: "classfit-unit" });

export function webUnitExecutor(
  protocol: UnitProtocol,
  job: StudyUnitJob,
  size: number,
  module: WebAssembly.Module,
  tfjsWasmPath: string,
  factory: UnitWorkerFactory = unitWorkerFactory,
): UnitExecutor {
  return {
    size,
    run(indices, onUnit, signal) {
      if (indices.length === 0) return Promise.resolve();
      if (signal?.aborted) return Promise.reject(new Error("interrupted"));
      const init: UnitRequest = {
        type: "init",
        module,
        tfjsWasmPath,
        job: { ...job, dataset: shareDataset(job.dataset) },
        configHash: configHash(protocol.kind, protocol.config),
      };
      const workers: Worker[] = [];
      return new Promise<void>((resolve, reject) => {
        let next = 0;
        let finished = 0;
        let failed = false;
        const pending: Promise<void>[] = [];
        const stopAll = () => {
          for (const w of workers) w.terminate();
        };
        const fail = (e: Error) => {
          if (failed) return;
          failed = true;
          signal?.removeEventListener("abort", onAbort);
          stopAll();
          reject(e);
        };
        const onAbort = () => fail(new Error("interrupted"));
        signal?.addEventListener("abort", onAbort, { once: true });
        const feed = (w: Worker) => {
          if (failed) return;
          if (next >= indices.length) {
            w.terminate();
            if (finished === indices.length)
              void Promise.all(pending).then(() => {
                if (failed) return;
                signal?.removeEventListener("abort", onAbort);
                resolve();
              });
            return;
          }
          const id = next++;
          const index = indices[id] as number;
          w.onmessage = (ev: MessageEvent) => {
            const m = ev.data as UnitEvent;
            if (m.id !== id) return;
            if (m.type === "error") {
              fail(new Error(`${protocol.kind} unit ${index}: ${m.message}`));
              return;
            }
            finished++;
            pending.push(
              onUnit(index, m.payload).catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e)))),
            );
            feed(w);
          };
          w.onerror = (ev: ErrorEvent) => {
            ev.preventDefault();
            fail(
              new Error(
                `${protocol.kind} unit ${index}: worker failed (${ev.message || "could not load the unit worker"})`,
              ),
            );
          };
          w.postMessage({ type: "unit", id, index } satisfies UnitRequest);
        };
        const n = Math.min(size, indices.length);
        for (let k = 0; k < n; k++) {
          const w = factory();
          workers.push(w);
          w.postMessage(init);
        }
        for (const w of workers) feed(w);
      });
    },
  };
}
