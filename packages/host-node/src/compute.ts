// What `fit`, `density`, `kl` and `reduce` need around wasm-core and the pipeline's compute
// tasks: the sampler configuration from flags, each class's rows and seed, model files read
// back with their name in errors, and the projection. The tasks themselves are the pipeline's
// (executeTask, run by host/task-worker.ts), so a class's model is the study's for the same
// rows, settings and seed.
import { availableParallelism } from "node:os";
import { deriveSeed, encodeProjectionNpz, readClassModelFile, readProjectionFile } from "@classfit/pipeline";
import type { TaskInput, TaskKind, TaskOutput } from "@classfit/pipeline/tasks";
import {
  type ClassModel,
  type Core,
  type DpgmmConfig,
  dpgmmConfig,
  fitProjection,
  type KlReference,
  type PredictiveVariant,
  type Profile,
  project,
} from "@classfit/wasm-core";
import { nodeWorkerPool } from "./host/node-host.js";
import { InputError } from "./io.js";

export type { ClassModel, DpgmmConfig, KlReference, PredictiveVariant, Profile };
export const PROFILES: readonly Profile[] = ["default", "paper"];
export const DENSITY_VARIANTS: readonly PredictiveVariant[] = ["exact", "mean-log", "paper"];
export const KL_REFERENCES: readonly KlReference[] = ["diag", "full"];

/** The sampler settings the CLI lets a user override (undefined: the profile's). */
export type FitOverrides = Partial<
  Pick<
    DpgmmConfig,
    "sweeps" | "burnIn" | "thin" | "chains" | "replicates" | "initClusters" | "init" | "splitMerge" | "seed"
  >
>;

/** The sampler configuration of a profile with the CLI's overrides; bad combinations become InputError. */
export function fitConfig(profile: Profile, o: FitOverrides): DpgmmConfig {
  const overrides: Partial<DpgmmConfig> = { profile };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (overrides as Record<string, unknown>)[k] = v;
  try {
    return dpgmmConfig(overrides);
  } catch (e) {
    throw new InputError((e as Error).message.replace(/^dpgmm config: /, "invalid fit options: "));
  }
}

/**
 * The seed of one class's `purpose` ("fit", "kl"): the pipeline's derivation, so a class's
 * model depends only on the seed, its label and its rows — not on --workers or the other classes.
 */
export function classSeed(seed: number, purpose: "fit" | "kl", label: number | null): number {
  return deriveSeed(seed, purpose, label ?? "all");
}

/**
 * Runs the pipeline's tasks of one kind on worker threads (`workers`, default the CPU count; at
 * most one per task). Outputs in task order, with each task's wall time from start to result.
 */
export async function runTasks<K extends TaskKind>(
  kind: K,
  inputs: TaskInput<K>[],
  o: {
    workers?: number | undefined;
    describe: (index: number) => string;
    onStart?: (index: number) => void;
    onProgress?: (index: number, done: number, total: number) => void;
    onDone?: (index: number) => void;
  },
): Promise<{ outputs: TaskOutput<K>[]; seconds: number[]; size: number }> {
  const size = Math.max(1, Math.min(o.workers ?? availableParallelism(), inputs.length));
  const started: number[] = [];
  const seconds: number[] = [];
  const outputs = await nodeWorkerPool(size, { describe: o.describe }).run(kind, inputs, {
    onStart: (i) => {
      started[i] = performance.now();
      o.onStart?.(i);
    },
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    onResult: (i) => {
      seconds[i] = (performance.now() - (started[i] as number)) / 1000;
      o.onDone?.(i);
    },
  });
  return { outputs, seconds, size };
}

/** Rows of each class, in ascending label order; one group (label null) without labels. */
export function groupRows(labels: Int32Array | undefined, n: number): { label: number | null; rows: number[] }[] {
  if (!labels) return [{ label: null, rows: Array.from({ length: n }, (_, i) => i) }];
  const by = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    let g = by.get(y);
    if (!g) {
      g = [];
      by.set(y, g);
    }
    g.push(i);
  }
  return [...by.keys()].sort((a, b) => a - b).map((label) => ({ label, rows: by.get(label) as number[] }));
}

/** The given rows of data (shape (n, d), row-major), in order, as a new (rows.length, d) matrix. */
export function takeRows(data: Float64Array, d: number, rows: readonly number[]): Float64Array {
  const x = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    x.set(data.subarray(r * d, (r + 1) * d), i * d);
  });
  return x;
}

/** Data warnings for one class: tiny n, d > n, zero-variance dimensions. */
export function dataWarnings(x: Float64Array, n: number, d: number): string[] {
  const w: string[] = [];
  if (n === 1) w.push("one example: the model is its prior centred on it (variance floor used for S0)");
  else if (d > n) w.push(`d = ${d} > n = ${n}: the posterior is dominated by the prior`);
  const flat: number[] = [];
  for (let j = 0; j < d && n > 1; j++) {
    const first = x[j] as number;
    let same = true;
    for (let i = 1; i < n && same; i++) same = x[i * d + j] === first;
    if (same) flat.push(j);
  }
  if (flat.length > 0) {
    const list = flat.length > 8 ? `${flat.slice(0, 8).join(", ")}, … (${flat.length} in all)` : flat.join(", ");
    w.push(`zero variance in dimension(s) ${list}: S0 uses the variance floor there`);
  }
  return w;
}

/** Reads a class file (`model.npz`, or an old raw CFDPGMM file); a corrupt one becomes
 * InputError naming it. Workers get `encoded` once this has passed, so a bad file is reported
 * by name rather than as a failed task. */
export function readClassModel(bytes: Uint8Array, name: string): { model: ClassModel; encoded: Uint8Array } {
  return readClassModelFile(bytes, name);
}

/** SVD projection (METHOD.md §2) of data (shape (n, c)) onto k directions, and the projected rows. */
export function projectionFit(
  core: Core,
  data: Float64Array,
  n: number,
  c: number,
  k: number,
  center: boolean,
): { z: Float64Array; projectionBytes: Uint8Array; retainedEnergy: number } {
  const projection = fitProjection(core, data, n, c, { k, center });
  return {
    z: project(core, projection, data, n),
    projectionBytes: encodeProjectionNpz(projection),
    retainedEnergy: projection.retainedEnergy,
  };
}

/** Applies a saved projection (its bytes, from `name`) to data of shape (n, c). */
export function projectionApply(
  core: Core,
  bytes: Uint8Array,
  data: Float64Array,
  n: number,
  c: number,
  name: string,
): { z: Float64Array; k: number } {
  const projection = readProjectionFile(bytes, name);
  if (projection.c !== c) {
    throw new InputError(`${name}: projects ${projection.c}-column data, the input has ${c} columns`);
  }
  return { z: project(core, projection, data, n), k: projection.k };
}
