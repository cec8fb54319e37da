// The compute tasks a study hands to workers: plain structured-cloneable inputs and outputs,
// and one function that runs them. Host workers (worker_threads, Web Workers) call
// `executeTask` with their own wasm-core instance; the in-thread pool calls the same function,
// so where a task runs never changes its bytes.
import {
  type Core,
  type DpgmmConfig,
  decodeClassModel,
  dpgmmConfig,
  encodeClassModel,
  fitClassModel,
  type KlReference,
  logPredictive,
  looLogDensity,
  type PredictiveVariant,
  relativeEntropy,
  type SamplerSummary,
  samplerSummary,
} from "@classfit/wasm-core";
import { analyzeNetworkTask, type NetworkAnalysisOutput, type NetworkAnalysisTask } from "../analysis/study.js";
import { type CompactnessOptions, compactness } from "../compactness.js";

export interface FitTask {
  /** Float64Array, shape (n, d), row-major: one class's reduced representations. */
  data: Float64Array;
  n: number;
  d: number;
  /** Full sampler configuration, seed included (already derived for this class). */
  config: DpgmmConfig;
}
export interface FitOutput {
  modelBytes: Uint8Array;
  meanK: number;
  /** Split-R̂ of the log joint and of K (NaN → null). */
  rhatLogJoint: number | null;
  rhatK: number | null;
  /** The sampler's share of the class mean and the convergence diagnostics (NaN → null). */
  sampler: NullableNumbers<SamplerSummary>;
  warnings: string[];
}

/** T with every number that may be NaN as number | null (JSON has no NaN). */
export type NullableNumbers<T> = T extends number
  ? number | null
  : T extends readonly (infer U)[]
    ? NullableNumbers<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: NullableNumbers<T[K]> }
      : T;

/** Replaces every non-finite number in a plain JSON-like value by null. */
export function nanToNull<T>(v: T): NullableNumbers<T> {
  if (typeof v === "number") return (Number.isFinite(v) ? v : null) as NullableNumbers<T>;
  if (Array.isArray(v)) return v.map((x) => nanToNull(x)) as NullableNumbers<T>;
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, nanToNull(x)])) as NullableNumbers<T>;
  }
  return v as NullableNumbers<T>;
}

export interface DensityTask {
  modelBytes: Uint8Array;
  /** Float64Array, shape (m, d), row-major. */
  points: Float64Array;
  m: number;
  variant: PredictiveVariant;
  /** Also return the model's leave-one-out log-densities of its own training points. */
  loo?: boolean;
}
export interface DensityOutput {
  /** Float64Array, shape (m): log predictive density of each point. */
  logDensity: Float64Array;
  /** Float64Array, shape (n of the model): each training point's leave-one-out (CPO)
   * log-density, when asked for and recorded by the fit; NaN where it was not. */
  looLogDensity?: Float64Array;
}

export interface KlTask {
  modelBytes: Uint8Array;
  /** Float64Array, shape (n, d): the class data defining the reference Gaussian. */
  classData: Float64Array;
  n: number;
  samples: number;
  reference: KlReference;
  variant: PredictiveVariant;
  seed: number;
}
export interface KlOutput {
  kl: number;
  standardError: number;
}

export interface CompactnessTask {
  /** Float64Array, shape (n, d), row-major: one class's reduced representations. */
  data: Float64Array;
  n: number;
  d: number;
  options: Omit<CompactnessOptions, "rng">;
  /** The sampled pairs' generator: core.rng(seed, stream). */
  seed: number;
  stream: number;
}
export interface CompactnessOutput {
  value: number;
  method: string;
  pairs: number;
  standardError: number;
}

interface TaskMap {
  fit: [FitTask, FitOutput];
  density: [DensityTask, DensityOutput];
  kl: [KlTask, KlOutput];
  compactness: [CompactnessTask, CompactnessOutput];
  /** One network's share of the study's analysis (analysisPlan in analysis/study.ts). */
  analysis: [NetworkAnalysisTask, NetworkAnalysisOutput];
}
export type TaskKind = keyof TaskMap;
export type TaskInput<K extends TaskKind> = TaskMap[K][0];
export type TaskOutput<K extends TaskKind> = TaskMap[K][1];
export const TASK_KINDS: readonly TaskKind[] = ["fit", "density", "kl", "compactness", "analysis"];

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/** Runs one task. `onProgress(done, total)` reports sweeps (fit) — other kinds report only completion. */
export function executeTask<K extends TaskKind>(
  core: Core,
  kind: K,
  input: TaskInput<K>,
  onProgress?: (done: number, total: number) => void,
): TaskOutput<K> {
  switch (kind) {
    case "fit": {
      const t = input as FitTask;
      const config = dpgmmConfig(t.config);
      const total = config.sweeps * config.chains * config.replicates;
      const model = fitClassModel(core, t.data, t.n, t.d, config, (chain, sweep) =>
        onProgress?.(chain * config.sweeps + sweep, total),
      );
      const out: FitOutput = {
        modelBytes: encodeClassModel(model),
        meanK: model.meanK,
        rhatLogJoint: finiteOrNull(model.rhat.logJoint),
        rhatK: finiteOrNull(model.rhat.k),
        sampler: nanToNull(samplerSummary(core, model, t.data)),
        warnings: [...model.warnings],
      };
      return out as TaskOutput<K>;
    }
    case "density": {
      const t = input as DensityTask;
      const model = decodeClassModel(t.modelBytes);
      const out: DensityOutput = { logDensity: logPredictive(core, model, t.points, t.m, t.variant) };
      if (t.loo) out.looLogDensity = looLogDensity(core, model) ?? new Float64Array(model.n).fill(Number.NaN);
      onProgress?.(1, 1);
      return out as TaskOutput<K>;
    }
    case "kl": {
      const t = input as KlTask;
      const model = decodeClassModel(t.modelBytes);
      const r = relativeEntropy(core, model, {
        classData: t.classData,
        n: t.n,
        samples: t.samples,
        reference: t.reference,
        variant: t.variant,
        seed: t.seed,
      });
      onProgress?.(1, 1);
      return r as TaskOutput<K>;
    }
    case "compactness": {
      const t = input as CompactnessTask;
      const rng = core.rng(t.seed, t.stream);
      try {
        const v = compactness(t.data, t.n, t.d, { ...t.options, rng });
        onProgress?.(1, 1);
        const out: CompactnessOutput = {
          value: v.value,
          method: v.method,
          pairs: v.pairs,
          standardError: v.standardError,
        };
        return out as TaskOutput<K>;
      } finally {
        rng.dispose();
      }
    }
    case "analysis": {
      const out = analyzeNetworkTask(core, input as NetworkAnalysisTask);
      onProgress?.(1, 1);
      return out as TaskOutput<K>;
    }
    default:
      throw new RangeError(`unknown task kind '${String(kind)}' (expected ${TASK_KINDS.join(", ")})`);
  }
}

/** Wraps a worker's progress message so it goes out at most every `everyMs` milliseconds and
 * always on completion: a fit reports every sweep, far more often than a display can use, and
 * each message crosses threads. Used by Node's and the browser's task workers alike. */
export function throttledProgress(
  post: (done: number, total: number) => void,
  everyMs = 200,
): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (now - last > everyMs || done === total) {
      last = now;
      post(done, total);
    }
  };
}

/** Buffers a task input can hand over to a worker instead of copying. */
export function transferables(kind: TaskKind, input: TaskInput<TaskKind>): ArrayBuffer[] {
  const bufs: ArrayBuffer[] = [];
  const add = (a: ArrayBufferView) => {
    if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) bufs.push(a.buffer as ArrayBuffer);
  };
  if (kind === "fit") add((input as FitTask).data);
  if (kind === "compactness") add((input as CompactnessTask).data);
  return bufs;
}

/** The buffers of a task's output a worker can transfer back rather than copy (its model bytes
 * or log-densities); used by Node's and the browser's task workers alike. */
export function outputTransferables(out: TaskOutput<TaskKind>): ArrayBuffer[] {
  const o = out as Partial<{ modelBytes: Uint8Array; logDensity: Float64Array; looLogDensity: Float64Array }>;
  const b: ArrayBuffer[] = [];
  if (o.modelBytes) b.push(o.modelBytes.buffer as ArrayBuffer);
  if (o.logDensity) b.push(o.logDensity.buffer as ArrayBuffer);
  if (o.looLogDensity) b.push(o.looLogDensity.buffer as ArrayBuffer);
  return b;
}

/** A pool that runs tasks one after another in the calling thread. */
export function inThreadPool(core: Core): import("../host/index.js").WorkerPool {
  return {
    size: 1,
    async run(kind, inputs, hooks) {
      const out = [];
      for (let i = 0; i < inputs.length; i++) {
        hooks?.onStart?.(i);
        const r = executeTask(core, kind, inputs[i] as TaskInput<typeof kind>, (d, t) => hooks?.onProgress?.(i, d, t));
        await hooks?.onResult?.(i, r);
        out.push(r);
        // Yield so an abort signal or a progress redraw can get through between tasks.
        await new Promise((r) => setTimeout(r, 0));
      }
      return out;
    },
  };
}
