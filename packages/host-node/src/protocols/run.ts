// What the unit protocols (memorization, certification, density bins) share when run from the
// command line or from `classfit shard run`: spec parsing, the run flags, and running one.
import type { ImageDataset } from "@classfit/models";
import { parseShardSpec, type UnitProtocol } from "@classfit/pipeline";
import type { Command } from "commander";
import type { z } from "zod";
import { InputError } from "../io.js";
import { runProtocol } from "../unit-store.js";
import { nodeUnitExecutor, type ProtocolJob } from "../workers/unit-executor.js";
import { addWorkersOption, resolveWorkers } from "../workers/workers.js";

/** Parses a spec (CLI options or a study file's section), naming the bad field. */
export function parseSpec<T extends z.ZodType>(schema: T, raw: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.join(".") ?? "";
    throw new InputError(`${where}: ${path ? `'${path}': ` : ""}${issue?.message ?? "invalid"}`);
  }
  return r.data;
}

export interface RunCommon {
  out: string;
  shard?: string;
  units?: string;
  shareFile?: string;
  /** Worker threads (default: every core, as many as free memory holds). */
  workers?: number;
}

/** How a protocol is built: by the command (which loads the data, and with `share` moves it to
 * shared memory for the workers), or by a worker thread handed that shared `dataset`. */
export interface BuildOptions {
  dataset?: ImageDataset;
  share?: boolean;
}

/** A built protocol, the dataset it reads, and what releases its models. */
export interface BuiltProtocol {
  protocol: UnitProtocol;
  dataset: ImageDataset;
  dispose(): void;
}

export function shardOf(spec: string | undefined) {
  if (spec === undefined) return undefined;
  try {
    return parseShardSpec(spec);
  } catch (e) {
    throw new InputError(`--shard: ${(e as Error).message}`);
  }
}

/**
 * Runs the protocol that `build` makes under the run flags shared by `memorization`, `certify`
 * and `bins` (--out, --shard, --units, --workers, share file), then releases what the protocol
 * holds. The shard spec is parsed before `build`, so a bad --shard fails before any model
 * loads. With more than one worker, each worker thread rebuilds the same protocol from `job`
 * over this process's dataset (shared memory, one copy) and runs units from a shared queue;
 * one worker runs the units in this thread. Units land in the store by index, so the artifact
 * is the same for any worker count.
 */
export async function runBuiltProtocol(
  build: (o: BuildOptions) => Promise<BuiltProtocol>,
  job: ProtocolJob,
  run: RunCommon,
  log: (s: string) => void,
): Promise<string> {
  const shard = shardOf(run.shard);
  const workers = resolveWorkers(run.workers, job.command, log);
  const { protocol, dataset, dispose } = await build({ share: workers > 1 });
  try {
    return await runProtocol(protocol, {
      out: run.out,
      ...(shard ? { shard } : {}),
      ...(run.units ? { units: run.units } : {}),
      ...(run.shareFile ? { shareFile: run.shareFile } : {}),
      ...(workers > 1 ? { executor: nodeUnitExecutor(protocol, job, dataset, workers, log) } : {}),
      log,
    });
  } finally {
    dispose();
  }
}

/** Adds --out/--shard/--units/--workers. */
export function addRunOptions(cmd: Command, what: string): Command {
  return addWorkersOption(
    cmd
      .requiredOption("--out <DIR>", `output directory (${what}.npz + summary, or shares/ with --shard)`)
      .option("--shard <k/n>", "run only share k of n (k counts from 0); merge the shares with `classfit merge`")
      .option("--units <dir>", "where finished units are kept for resume (default: DIR/units)"),
    "work units",
  );
}

/** Splits commander's options into the spec and the run options. */
export function splitRun<T extends object>(opts: T & RunCommon): { spec: Omit<T, keyof RunCommon>; run: RunCommon } {
  const { out, shard, units, shareFile, workers, ...spec } = opts;
  return {
    spec,
    run: {
      out,
      ...(workers !== undefined ? { workers } : {}),
      ...(shard !== undefined ? { shard } : {}),
      ...(units !== undefined ? { units } : {}),
      ...(shareFile !== undefined ? { shareFile } : {}),
    },
  };
}

/** Adds the arguments of `merge` (and `shard merge`). */
export function addMergeArgs(cmd: Command): Command {
  return cmd
    .argument("<shares...>", "share files (.npz) written by --shard k/n runs")
    .requiredOption(
      "--out <DIR|FILE.npz>",
      "a directory (gets <protocol>.npz + <protocol>.summary.json) or an artifact path ending in .npz",
    );
}
