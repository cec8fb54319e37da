// How many worker threads a command starts: every core unless told otherwise, but never more
// than free memory holds, since each worker carries its own tfjs-wasm and wasm-core instance
// (heaps that grow with the network and batch) on top of the one shared copy of the data.
import { availableParallelism, freemem } from "node:os";
import type { Command } from "commander";
import { intArg } from "../options.js";

/**
 * Resident memory assumed per worker, in MiB, by what it runs. Measured as the growth of the
 * process's peak RSS from 2 to 3 workers (`/usr/bin/time -f %M`): `certify` of the shipped
 * narrow ResNet (--max-batch 64) +69 MB per worker; `memorization` of a ResNet [1, 1] × 0.125
 * (batch 50, 600 examples) +148 MB per worker. The figures below round those up, with headroom
 * for wider networks and larger batches; a study worker also holds the class fits it runs.
 */
export const WORKER_FOOTPRINT_MIB: Readonly<Record<WorkerKind, number>> = {
  memorization: 256,
  bins: 256,
  certify: 128,
  train: 256,
  extract: 128,
  evaluate: 128,
  study: 256,
};
export type WorkerKind = "memorization" | "bins" | "certify" | "train" | "extract" | "evaluate" | "study";

/** Free memory kept for the main thread and the rest of the machine. */
const RESERVE_MIB = 256;

/**
 * The worker count for `kind`: `requested`, or every core when not given; lowered (with a
 * message) to what free memory holds at WORKER_FOOTPRINT_MIB per worker, never below 1.
 */
export function resolveWorkers(
  requested: number | undefined,
  kind: WorkerKind,
  log: (s: string) => void,
  mem: { freeBytes?: number; cores?: number } = {},
): number {
  const cores = mem.cores ?? availableParallelism();
  const wanted = Math.max(1, Math.floor(requested ?? cores));
  const freeMib = (mem.freeBytes ?? freemem()) / 2 ** 20;
  const fits = Math.max(1, Math.floor((freeMib - RESERVE_MIB) / WORKER_FOOTPRINT_MIB[kind]));
  if (wanted <= fits) return wanted;
  log(
    `${kind}: ${wanted} worker(s) asked for, but ${Math.round(freeMib)} MiB free holds ${fits} at about ${WORKER_FOOTPRINT_MIB[kind]} MiB each; using ${fits}`,
  );
  return fits;
}

/** Adds --workers N. */
export function addWorkersOption(cmd: Command, what: string): Command {
  return cmd.option(
    "--workers <n>",
    `worker threads that run ${what} side by side (default: every core, lowered to what free memory holds; results do not depend on it)`,
    intArg(1),
  );
}
