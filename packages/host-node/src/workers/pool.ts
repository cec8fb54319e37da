// A small worker_threads pool: `size` workers each take tasks one at a time from a shared queue
// until it is empty. Workers keep their state between tasks (a fit worker instantiates wasm-core
// once). The first failure stops everything: remaining workers are terminated and the promise
// rejects with the worker's message, naming the task.
//
// Protocol (structured-clone messages):
//   main → worker  { type: "task", id, input }
//   worker → main  { type: "progress", id, data } | { type: "done", id, result } | { type: "error", id, message, input? }
// An error a worker marks `input` (bad input, not a failure of classfit) is raised again here as
// InputError, so the CLI's exit code does not depend on which thread found the problem.
import { Worker } from "node:worker_threads";
import { InputError } from "@classfit/pipeline/errors";

export type WorkerReply<R, P> =
  | { type: "progress"; id: number; data: P }
  | { type: "done"; id: number; result: R }
  | { type: "error"; id: number; message: string; input?: boolean };

export interface PoolOptions<I, P, R = unknown> {
  /** Number of workers (capped at the number of tasks, at least 1). */
  size: number;
  /** Called with each progress message of task `index`. */
  onProgress?: (index: number, data: P) => void;
  /** Called when task `index` starts on a worker. */
  onStart?: (index: number) => void;
  /** Buffers to transfer (not copy) with a task's input. */
  transferList?: (input: I) => ArrayBuffer[];
  /** A label for task `index` in error messages. */
  describe?: (index: number) => string;
  /** Node flags of the workers (default: the parent's). */
  execArgv?: string[];
  /** Handed to every worker at start (`workerData`): what it needs to build its state once,
   * e.g. a unit protocol's spec and the shared read-only dataset. */
  workerData?: unknown;
  /** Called with each result as it arrives; the pool resolves only once every call has
   * settled, and a rejection fails the pool like a failed task. */
  onResult?: (index: number, result: R) => void | Promise<void>;
  /** Aborting terminates every worker at once and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Called when a worker has no task left (its idle time runs from there to the pool's end). */
  onIdle?: (worker: number) => void;
  /** Called when worker `w` finishes a task, with the seconds from handing it over to its result. */
  onBusy?: (w: Worker, seconds: number) => void;
  /** Where finished workers wait for the next pool of the same script (see workerCache); without
   * one, each pool starts its workers and stops them when its queue is empty. */
  cache?: WorkerCache;
}

/**
 * Workers kept between pools: the study runs one pool per step and stage (fits, densities, KL,
 * analysis), and starting workers anew for each cost about 0.1 s a pool (a thread, the modules,
 * a wasm-core instance) while both cores waited. A worker goes back only when its pool ends
 * cleanly; one whose pool failed or was aborted is terminated. Waiting workers are unref'd, so
 * they never keep the process alive.
 */
export interface WorkerCache {
  take(): Worker | undefined;
  give(w: Worker): void;
  /** Terminates every waiting worker. */
  close(): void;
}

export function workerCache(): WorkerCache {
  const waiting = new Map<Worker, () => void>();
  return {
    take() {
      const next = waiting.entries().next();
      if (next.done) return undefined;
      const [w, onExit] = next.value;
      waiting.delete(w);
      w.off("exit", onExit);
      w.ref();
      return w;
    },
    give(w) {
      // A waiting worker that dies (it should not) is forgotten rather than handed out.
      const onExit = () => waiting.delete(w);
      w.once("exit", onExit);
      w.unref();
      waiting.set(w, onExit);
    },
    close() {
      for (const w of waiting.keys()) void w.terminate();
      waiting.clear();
    },
  };
}

/**
 * Node flags for workers that run built JavaScript: the parent's, less its `--conditions` flags
 * (vitest adds `--conditions source`, which would point the worker's imports of workspace
 * packages at their TypeScript sources instead of dist/).
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--conditions" || a === "-C") i++;
    else if (!a.startsWith("--conditions=")) out.push(a);
  }
  return out;
}

/** Runs every input through a worker at `workerUrl`; results come back in input order. */
export function runPool<I, R, P = unknown>(workerUrl: URL, inputs: I[], opts: PoolOptions<I, P, R>): Promise<R[]> {
  const results = new Array<R>(inputs.length);
  if (inputs.length === 0) return Promise.resolve(results);
  const size = Math.max(1, Math.min(Math.floor(opts.size), inputs.length));
  const describe = opts.describe ?? ((i: number) => `task ${i}`);
  if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
  return new Promise<R[]>((resolvePool, rejectPool) => {
    const workers: Worker[] = [];
    const pending: Promise<void>[] = [];
    let next = 0;
    let finished = 0;
    let failed = false;
    const stopping = new WeakSet<Worker>();
    const currentOf = new Map<Worker, number>();
    const startedAt = new Map<Worker, number>();
    const where = (w: Worker) => {
      const id = currentOf.get(w);
      return id === undefined ? "worker" : describe(id);
    };
    const stop = (w: Worker) => {
      stopping.add(w);
      void w.terminate();
    };
    // At the clean end of the pool every worker is done: each goes back to the cache (without
    // this pool's listeners) or stops.
    let released = false;
    const release = () => {
      released = true;
      for (const w of workers) {
        if (opts.cache) {
          w.removeAllListeners("message");
          w.removeAllListeners("error");
          w.removeAllListeners("exit");
          opts.cache.give(w);
        } else stop(w);
      }
    };
    const onAbort = () => fail(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("aborted"));
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      opts.signal?.removeEventListener("abort", onAbort);
      if (!released) for (const w of workers) stop(w);
      rejectPool(err);
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const feed = (w: Worker) => {
      if (failed) return;
      if (next >= inputs.length) {
        opts.onIdle?.(workers.indexOf(w));
        if (!opts.cache) stop(w);
        return;
      }
      const id = next++;
      currentOf.set(w, id);
      const input = inputs[id] as I;
      opts.onStart?.(id);
      startedAt.set(w, performance.now());
      w.postMessage({ type: "task", id, input }, opts.transferList?.(input) ?? []);
    };
    for (let k = 0; k < size; k++) {
      const w =
        opts.cache?.take() ??
        new Worker(workerUrl, {
          ...(opts.execArgv ? { execArgv: opts.execArgv } : {}),
          ...(opts.workerData !== undefined ? { workerData: opts.workerData } : {}),
        });
      workers.push(w);
      w.on("message", (msg: WorkerReply<R, P>) => {
        if (failed) return;
        if (msg.type === "progress") opts.onProgress?.(msg.id, msg.data);
        else if (msg.type === "error") {
          const message = `${describe(msg.id)}: ${msg.message}`;
          fail(msg.input ? new InputError(message) : new Error(message));
        } else {
          results[msg.id] = msg.result;
          currentOf.delete(w);
          opts.onBusy?.(w, (performance.now() - (startedAt.get(w) ?? performance.now())) / 1000);
          finished++;
          if (opts.onResult) {
            const id = msg.id;
            pending.push(
              (async () => {
                try {
                  await opts.onResult?.(id, msg.result);
                } catch (e) {
                  fail(e instanceof Error ? e : new Error(String(e)));
                }
              })(),
            );
          }
          if (finished === inputs.length) {
            opts.onIdle?.(workers.indexOf(w));
            release();
            void Promise.all(pending).then(() => {
              if (failed) return;
              opts.signal?.removeEventListener("abort", onAbort);
              resolvePool(results);
            });
          } else feed(w);
        }
      });
      w.on("error", (err) => fail(new Error(`${where(w)}: ${err.message}`)));
      w.on("exit", (code) => {
        if (!stopping.has(w)) {
          fail(new Error(`${where(w)}: worker exited (code ${code}) unexpectedly`));
        }
      });
      feed(w);
    }
  });
}
