// A WorkerPool of Web Workers for the study's compute tasks (per-class DP-GMM fits, densities,
// KL). Each worker gets the compiled wasm-core module once; tasks are handed out in input order
// to whichever worker is free, and each finished task is passed to onResult at once so the
// study commits it (an interrupted run keeps it). Aborting terminates the workers.
import type { WorkerPool } from "@classfit/pipeline";
import { type TaskInput, type TaskKind, type TaskOutput, transferables } from "@classfit/pipeline/tasks";
import type { TaskEvent, TaskRequest } from "./protocol.js";

export type WorkerFactory = () => Worker;

/** The bundled task worker (a module worker next to this file in the build). */
const taskWorkerFactory: WorkerFactory = () =>
  new Worker(new URL("./task-worker.ts", import.meta.url), { type: "module", name: "classfit-task" });

export function webWorkerPool(
  size: number,
  module: WebAssembly.Module,
  signal?: AbortSignal,
  factory: WorkerFactory = taskWorkerFactory,
): WorkerPool & { dispose(): void } {
  const idle: Worker[] = [];
  const all = new Set<Worker>();
  const spawn = (): Worker => {
    const w = factory();
    w.postMessage({ type: "init", module } satisfies TaskRequest);
    all.add(w);
    return w;
  };
  const dispose = () => {
    for (const w of all) w.terminate();
    all.clear();
    idle.length = 0;
  };
  signal?.addEventListener("abort", dispose, { once: true });
  return {
    size,
    dispose,
    async run<K extends TaskKind>(
      kind: K,
      inputs: TaskInput<K>[],
      hooks?: Parameters<WorkerPool["run"]>[2],
    ): Promise<TaskOutput<K>[]> {
      if (inputs.length === 0) return [];
      if (signal?.aborted) throw new Error("interrupted");
      const results = new Array<TaskOutput<K>>(inputs.length);
      const commits: Promise<void>[] = [];
      let commitError: Error | undefined;
      let next = 0;
      let finished = 0;
      await new Promise<void>((resolve, reject) => {
        let failed = false;
        const fail = (e: Error) => {
          if (failed) return;
          failed = true;
          // A worker in the middle of a task cannot be reused: drop them all.
          dispose();
          reject(e);
        };
        const onAbort = () => fail(new Error("interrupted"));
        signal?.addEventListener("abort", onAbort, { once: true });
        const feed = (w: Worker) => {
          if (failed) return;
          if (next >= inputs.length) {
            idle.push(w);
            if (finished === inputs.length) {
              signal?.removeEventListener("abort", onAbort);
              resolve();
            }
            return;
          }
          const i = next++;
          hooks?.onStart?.(i);
          w.onmessage = (ev: MessageEvent) => {
            const m = ev.data as TaskEvent;
            if (m.id !== i) return;
            if (m.type === "progress") hooks?.onProgress?.(i, m.done, m.total);
            else if (m.type === "error") fail(new Error(`${kind} task ${i}: ${m.message}`));
            else {
              const out = m.output as TaskOutput<K>;
              results[i] = out;
              commits.push(
                Promise.resolve(hooks?.onResult?.(i, out as never)).catch((e: unknown) => {
                  commitError ??= e instanceof Error ? e : new Error(String(e));
                }),
              );
              finished++;
              feed(w);
            }
          };
          w.onerror = (ev: ErrorEvent) => {
            ev.preventDefault();
            fail(new Error(`${kind} task ${i}: worker failed (${ev.message || "could not load the task worker"})`));
          };
          const input = inputs[i] as TaskInput<K>;
          w.postMessage({ type: "task", id: i, kind, input } satisfies TaskRequest, transferables(kind, input));
        };
        const want = Math.min(size, inputs.length);
        const ready: Worker[] = idle.splice(0, want);
        while (ready.length < want) ready.push(spawn());
        for (const w of ready) feed(w);
      });
      await Promise.all(commits);
      if (commitError) throw commitError;
      return results;
    },
  };
}
