// The unit executor of the protocol commands on worker_threads: `size` workers each rebuild the
// command's protocol once from its spec (over the parent's dataset, in shared memory, so there
// is one copy however many workers) and then take units one at a time from the pool's shared
// queue. Each worker has its own tfjs-wasm and wasm-core instance; a unit is a pure function of
// (config, index), so which worker ran it, and when, never shows in its bytes.
import { type ImageDataset, shareDataset } from "@classfit/models";
import { configHash, type StudyUnitJob, type UnitExecutor, type UnitProtocol } from "@classfit/pipeline";
import type { BinsSpec } from "../protocols/bins.js";
import type { CertifySpec } from "../protocols/certify.js";
import type { EvaluateSpec } from "../protocols/evaluate.js";
import type { ExtractSpec } from "../protocols/extract.js";
import type { MemorizationSpec } from "../protocols/memorization.js";
import { runPool, workerExecArgv } from "./pool.js";

/** What a worker needs to rebuild a command's protocol: the command and its parsed spec. */
export type ProtocolJob =
  | { command: "memorization"; spec: MemorizationSpec }
  | { command: "certify"; spec: CertifySpec }
  | { command: "bins"; spec: BinsSpec }
  | { command: "extract"; spec: ExtractSpec }
  | { command: "evaluate"; spec: EvaluateSpec };

/** `workerData` of a unit worker: a command's job with the dataset it reads, or a study's job
 * (which holds its dataset). Datasets are on SharedArrayBuffers, so cloning shares rather than
 * copies them. */
export type UnitWorkerData = ({ job: ProtocolJob; dataset: ImageDataset } | { job: StudyUnitJob }) & {
  /** The parent protocol's config hash: a worker whose rebuilt protocol differs refuses to run. */
  configHash: string;
};

/** Messages a unit worker sends besides results: a log line of the protocol (e.g. a trained network). */
export interface UnitWorkerProgress {
  log: string;
}

/** The built worker script (from TypeScript sources under vitest, the built dist/ copy). */
export function unitWorkerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("../../dist/host/unit-worker.js", here);
  return new URL("../host/unit-worker.js", here);
}

/** Seconds each worker of the last run spent with nothing to do before the run ended. */
export interface ExecutorStats {
  idleSeconds: number[];
}

/**
 * Units of `protocol` on `size` worker threads. `log` gets the workers' log lines and, at the
 * end of each run, each worker's idle time (a worker idles once the queue is empty while others
 * still finish their last unit).
 */
export function nodeUnitExecutor(
  protocol: UnitProtocol,
  job: ProtocolJob,
  dataset: ImageDataset,
  size: number,
  log: (s: string) => void,
  stats?: ExecutorStats,
): UnitExecutor {
  return poolExecutor(
    protocol,
    { job, dataset, configHash: configHash(protocol.kind, protocol.config) },
    size,
    log,
    stats,
  );
}

/** The study's shared copy of each dataset it hands to workers: shared once, not per step. */
const sharedCopies = new WeakMap<ImageDataset, ImageDataset>();

/** Units of a study protocol (`job`, as the step built it) on `size` worker threads. */
export function studyUnitExecutor(
  protocol: UnitProtocol,
  job: StudyUnitJob,
  size: number,
  log: (s: string) => void,
): UnitExecutor {
  let dataset = sharedCopies.get(job.dataset);
  if (dataset === undefined) {
    dataset = shareDataset(job.dataset);
    sharedCopies.set(job.dataset, dataset);
  }
  const data: UnitWorkerData = { job: { ...job, dataset }, configHash: configHash(protocol.kind, protocol.config) };
  return poolExecutor(protocol, data, size, log);
}

function poolExecutor(
  protocol: UnitProtocol,
  data: UnitWorkerData,
  size: number,
  log: (s: string) => void,
  stats?: ExecutorStats,
): UnitExecutor {
  return {
    size,
    async run(indices, onUnit, signal) {
      const n = Math.max(1, Math.min(size, indices.length));
      const idleFrom = new Array<number | undefined>(n);
      const t0 = performance.now();
      try {
        await runPool<number, Uint8Array, UnitWorkerProgress>(unitWorkerUrl(), [...indices], {
          size: n,
          workerData: data,
          execArgv: workerExecArgv(),
          describe: (i) => `${protocol.kind} unit ${indices[i]}`,
          onProgress: (_i, p) => log(p.log),
          onResult: (i, payload) => onUnit(indices[i] as number, payload),
          onIdle: (w) => {
            idleFrom[w] ??= performance.now();
          },
          ...(signal ? { signal } : {}),
        });
      } finally {
        const end = performance.now();
        const idle = Array.from(idleFrom, (t) => (t === undefined ? 0 : (end - t) / 1000));
        if (stats) stats.idleSeconds = idle;
        log(
          `${protocol.kind}: ${n} workers, ${((end - t0) / 1000).toFixed(1)} s; idle per worker: ${idle.map((s) => `${s.toFixed(1)} s`).join(", ")}`,
        );
      }
    },
  };
}
