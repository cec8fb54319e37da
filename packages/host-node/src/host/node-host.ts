// The Node implementation of @classfit/pipeline's host interface: the run directory on disk
// (atomic writes), inputs from files, a worker_threads pool for the compute tasks, cli-progress
// bars (silent when stderr is not a terminal), the system clock, and Ctrl-C as an abort that
// leaves a resumable run.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { loadDataset } from "@classfit/models/node";
import {
  type PipelineHost,
  type ProgressReporter,
  type RunStorage,
  readModelWeights,
  type StudyResources,
  type WorkerPool,
} from "@classfit/pipeline";
import { type TaskKind, type TaskOutput, transferables } from "@classfit/pipeline/tasks";
import { InputError, writeFileAtomic } from "../io.js";
import { createProgress } from "../progress.js";
import { VERSION } from "../version.js";
import { runPool, workerCache, workerExecArgv } from "../workers/pool.js";
import { studyUnitExecutor } from "../workers/unit-executor.js";
import { resolveWorkers } from "../workers/workers.js";

/** The built worker script (from TypeScript sources under vitest, the built dist/ copy). */
export function taskWorkerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("../../dist/host/task-worker.js", here);
  return new URL("./task-worker.js", here);
}

/** RUNDIR on disk; paths are '/'-separated and relative to it. */
export function directoryStorage(root: string): RunStorage {
  const abs = (p: string) => {
    if (p.includes("..") || isAbsolute(p))
      throw new Error(`run storage: refusing path '${p}' outside the run directory`);
    return join(root, ...p.split("/"));
  };
  return {
    async read(p) {
      try {
        return new Uint8Array(await readFile(abs(p)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async write(p, bytes) {
      const f = abs(p);
      await mkdir(dirname(f), { recursive: true });
      writeFileAtomic(f, bytes);
    },
    async remove(p) {
      await rm(abs(p), { force: true });
    },
  };
}

/** Inputs named in a study config, resolved against `baseDir` (the config file's folder). */
export function fileResources(baseDir: string): StudyResources {
  const at = (p: string) => (p === "default" ? p : resolve(baseDir, p));
  const read = async (p: string, what: string) => {
    try {
      return new Uint8Array(await readFile(p));
    } catch (e) {
      throw new InputError(`${p}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  return {
    loadDataset: async (path, split) => {
      try {
        return await loadDataset({ path: at(path), split });
      } catch (e) {
        throw new InputError((e as Error).message);
      }
    },
    readFile: (p) => read(at(p), "the file"),
    async readModel(p) {
      const dir = at(p);
      const jsonPath = dir.endsWith(".json") ? dir : join(dir, "model.json");
      const root = dirname(jsonPath);
      if (!existsSync(jsonPath)) throw new InputError(`${dir}: no model.json (expected a tfjs layers model directory)`);
      const modelJson = new TextDecoder().decode(await read(jsonPath, "model.json"));
      const weights = await readModelWeights(modelJson, jsonPath, async (paths) => {
        const parts: Uint8Array[] = [];
        for (const w of paths) parts.push(await read(join(root, w), `weight file ${w} named by ${jsonPath}`));
        return parts;
      });
      const m = join(root, "manifest.json");
      if (!existsSync(m)) return { modelJson, weights };
      return { modelJson, weights, manifestJson: new TextDecoder().decode(await read(m, "manifest.json")) };
    },
    describe: (p) => {
      if (p === "default") return "default (embedded Fashion-MNIST subset)";
      const r = relative(process.cwd(), at(p));
      return r.startsWith("..") ? at(p) : r || ".";
    },
  };
}

/**
 * Compute tasks on `size` worker threads; each finished task is handed to onResult at once.
 * `describe(i)` names task i in error messages (default: its kind and index).
 */
export function nodeWorkerPool(
  size: number,
  o: { signal?: AbortSignal; describe?: (index: number) => string } = {},
): WorkerPool & { idle(): { seconds: number; idleSeconds: number[] } | undefined } {
  const { signal, describe } = o;
  // One set of task workers for every run of this pool: each keeps its wasm-core instance.
  const cache = workerCache();
  signal?.addEventListener("abort", () => cache.close(), { once: true });
  // Busy seconds per worker thread, over every run, for the idle time reported at the end.
  const busy = new Map<number, number>();
  let firstTask: number | undefined;
  return {
    size,
    /** Seconds since the first task, and each worker's time without a task in them (the time
     * the study spent between pools counts as idle), or undefined before any task ran. */
    idle() {
      if (firstTask === undefined) return undefined;
      const seconds = (performance.now() - firstTask) / 1000;
      const used = [...busy.values()];
      while (used.length < size) used.push(0);
      return { seconds, idleSeconds: used.map((b) => Math.max(0, seconds - b)) };
    },
    async run(kind, inputs, hooks) {
      if (inputs.length === 0) return [];
      const results = new Array<TaskOutput<typeof kind>>(inputs.length);
      const commits: Promise<void>[] = [];
      let commitError: unknown;
      let aborter: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        aborter = () => reject(new Error("interrupted"));
        signal?.addEventListener("abort", aborter, { once: true });
      });
      aborted.catch(() => {});
      const pool = runPool<
        { kind: TaskKind; input: unknown },
        null,
        { done?: number; total?: number; result?: unknown }
      >(
        taskWorkerUrl(),
        inputs.map((input) => ({ kind, input })),
        {
          size,
          execArgv: workerExecArgv(),
          cache,
          onBusy: (w, seconds) => busy.set(w.threadId, (busy.get(w.threadId) ?? 0) + seconds),
          describe: describe ?? ((i) => `${kind} task ${i}`),
          onStart: (i) => {
            firstTask ??= performance.now();
            hooks?.onStart?.(i);
          },
          transferList: (x) => transferables(kind, x.input as never),
          onProgress: (i, p) => {
            if (p.result !== undefined) {
              const out = p.result as TaskOutput<typeof kind>;
              results[i] = out;
              const c = Promise.resolve(hooks?.onResult?.(i, out)).catch((e) => {
                commitError ??= e;
              });
              commits.push(c);
            } else if (p.done !== undefined && p.total !== undefined) hooks?.onProgress?.(i, p.done, p.total);
          },
        },
      );
      try {
        await Promise.race([pool, aborted]);
      } finally {
        if (aborter) signal?.removeEventListener("abort", aborter);
      }
      await Promise.all(commits);
      if (commitError !== undefined) throw commitError;
      return results;
    },
  };
}

/** Bars with ETA on a terminal (or with `force`), one per task, leaving the screen when done;
 * otherwise only log lines. */
export function nodeProgress(
  opts: { force?: boolean; quiet?: boolean; stream?: NodeJS.WriteStream } = {},
): ProgressReporter & {
  stop(): void;
} {
  return createProgress({ ...opts, unit: "", labelWidth: 36, cutLabels: true, removeFinished: true });
}

export interface NodeHostOptions {
  out: string;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
  workers?: number;
  progress?: { force?: boolean; quiet?: boolean };
}

/** A PipelineHost for one run, with Ctrl-C (SIGINT/SIGTERM) wired to its abort signal. */
export function createNodeHost(o: NodeHostOptions): PipelineHost & { close(): void; controller: AbortController } {
  const controller = new AbortController();
  const progress = nodeProgress(o.progress);
  const size = resolveWorkers(o.workers, "study", (m) => progress.log(m));
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      progress.stop();
      process.stderr.write(`classfit: ${sig} again; exiting now (finished steps are kept in ${o.out})\n`);
      process.exit(130);
    }
    progress.log(`classfit: ${sig}: stopping after the current unit of work; rerun the same command to resume`);
    controller.abort();
    // Worker threads still busy with their task would keep the process alive until they finish;
    // once the study has recorded the interruption (a moment), leave.
    setTimeout(() => {
      progress.stop();
      process.exit(130);
    }, 3000).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const pool = nodeWorkerPool(size, { signal: controller.signal });
  return {
    storage: directoryStorage(resolve(o.out)),
    resources: fileResources(o.baseDir),
    pool,
    unitExecutor: (job, protocol, n) => studyUnitExecutor(protocol, job, n, (m) => progress.log(m)),
    progress,
    clock: { now: () => performance.now(), isoNow: () => new Date().toISOString() },
    signal: controller.signal,
    hostName: `classfit ${VERSION} (Node ${process.versions.node})`,
    controller,
    close() {
      // How much of the run the task workers had nothing to do: the steps between pools
      // (extraction, the report) and the last tasks of each pool.
      const idle = pool.idle();
      if (idle !== undefined)
        progress.log(
          `tasks: ${size} workers, ${idle.seconds.toFixed(1)} s; idle per worker: ${idle.idleSeconds.map((s) => `${s.toFixed(1)} s`).join(", ")}`,
        );
      progress.stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
