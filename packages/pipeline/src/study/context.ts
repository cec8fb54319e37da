// What every step of a study run shares: the host, the wasm core, the resolved config, the
// study's examples, the artifact store and the progress reporter, plus `run`, the one template
// that keys a step, reuses a finished one and commits a new one.
import { initBackend } from "@classfit/models/backend";
import type { Core } from "@classfit/wasm-core";
import { type PipelineHost, type ProgressReporter, SILENT_PROGRESS, type WorkerPool } from "../host/index.js";
import { ArtifactStore, stepKey } from "../steps/store.js";
import { inThreadPool, type TaskInput, type TaskKind, type TaskOutput } from "../steps/tasks.js";
import { runUnits, type UnitProtocol } from "../units/units.js";
import type { StudyConfig } from "./config.js";
import type { StudyData } from "./data.js";
import type { Committed, Pending, Step, StepOutput, StepPlan } from "./steps/step.js";
import type { StudyUnitJob } from "./unit-jobs.js";

/** The run interrupted by the host's abort signal; finished steps are on disk for a rerun. */
export class StudyInterrupted extends Error {
  override name = "StudyInterrupted";
}

/** Reduced representations of one stage: what the per-class steps read. */
export interface StageData {
  stage: string;
  /** Reduced representations, Float64Array (n, k). */
  z: Float64Array;
  k: number;
  zHash: string;
  retainedEnergy: number;
}

export class StudyContext {
  readonly progress: ProgressReporter;
  readonly pool: WorkerPool;
  readonly store: ArtifactStore;
  private backendReady = false;
  /** Set once the dataset is loaded (before any step runs). */
  data?: StudyData;

  constructor(
    readonly host: PipelineHost,
    readonly core: Core,
    readonly config: StudyConfig,
  ) {
    this.progress = host.progress ?? SILENT_PROGRESS;
    this.pool = host.pool ?? inThreadPool(core);
    this.store = new ArtifactStore(host.storage, (m) => this.progress.log(`warning: ${m}`));
  }

  get study(): StudyData {
    if (this.data === undefined) throw new Error("study data used before it was loaded");
    return this.data;
  }

  checkAbort(): void {
    if (this.host.signal?.aborted) throw new StudyInterrupted("study interrupted; rerun the same command to resume");
  }

  async tfReady(): Promise<void> {
    if (this.backendReady) return;
    await initBackend(this.host.tfjsWasmPath === undefined ? {} : { wasmPath: this.host.tfjsWasmPath });
    this.backendReady = true;
  }

  describe(path: string): string {
    return this.host.resources.describe?.(path) ?? path;
  }

  /** The reduced rows of class c, Float64Array (n_c, k). */
  classData(sd: StageData, c: number): Float64Array {
    const rows = this.study.rowsOf[c] as Int32Array;
    const x = new Float64Array(rows.length * sd.k);
    rows.forEach((r, j) => {
      x.set(sd.z.subarray(r * sd.k, (r + 1) * sd.k), j * sd.k);
    });
    return x;
  }

  /** Runs one unit of a step unless a finished one with the same key is on disk. */
  async run<U, P extends StepPlan, R>(step: Step<U, P, R>, unit: U): Promise<R> {
    return (await this.runAll(step, [unit]))[0] as R;
  }

  /**
   * Runs the units of a step: each is keyed and looked up first (in order), then the missing
   * ones are computed and committed one by one as they finish. A unit's recorded time is the
   * time since the previous commit, which for units computed in turn is its own compute time.
   */
  async runAll<U, P extends StepPlan, R>(step: Step<U, P, R>, units: U[]): Promise<R[]> {
    const out = new Array<R>(units.length);
    const pending: (Pending<U, P> & { index: number; key: string })[] = [];
    for (const [index, unit] of units.entries()) {
      this.checkAbort();
      const plan = step.plan(this, unit);
      const key = stepKey(step.name, plan.config, plan.inputs);
      const found = await this.store.lookup(plan.dir, key);
      if (found) out[index] = step.read(this, unit, plan, { files: found.files, info: found.record.info, key });
      else pending.push({ index, unit, plan, key });
    }
    if (pending.length === 0) return out;
    let last = this.host.clock.now();
    const commit = async (i: number, r: StepOutput) => {
      const p = pending[i] as (typeof pending)[number];
      const now = this.host.clock.now();
      const { dir, config, inputs } = p.plan;
      const info = r.info ?? {};
      await this.store.commit(
        dir,
        { step: step.name, key: p.key, inputs, config, info, seconds: (now - last) / 1000 },
        r.files,
      );
      last = now;
      const done: Committed = { files: new Map(Object.entries(r.files)), info, key: p.key };
      out[p.index] = step.read(this, p.unit, p.plan, done);
    };
    if (step.computeAll) await step.computeAll(this, pending, commit);
    else if (step.compute)
      for (const [i, p] of pending.entries()) await commit(i, await step.compute(this, p.unit, p.plan));
    else throw new Error(`step ${step.name}: nothing computes it`);
    return out;
  }

  /** Runs tasks on the host's pool with one progress bar each; checks for abort after each. */
  async runPool<K extends TaskKind>(
    kind: K,
    inputs: TaskInput<K>[],
    label: (i: number) => string,
    onResult?: (i: number, out: TaskOutput<K>) => Promise<void>,
  ): Promise<TaskOutput<K>[]> {
    const p = this.progress;
    const key = (i: number) => `${kind}:${label(i)}`;
    return this.pool.run(kind, inputs, {
      onStart: (i) => p.start(key(i), 1, label(i)),
      onProgress: (i, done, total) => {
        p.start(key(i), total, label(i));
        p.update(key(i), done);
      },
      onResult: async (i, out) => {
        p.finish(key(i));
        await onResult?.(i, out);
        this.checkAbort();
      },
    });
  }

  /**
   * Runs units 0..count-1 of a protocol (memorization's subset networks, certification's
   * batches) with one progress bar, keeping each finished unit under `dir`/units/ so an
   * interrupted step resumes from its last unit.
   */
  async runProtocol(
    protocol: UnitProtocol,
    count: number,
    o: { dir: string; net: string; step: string; warnings?: boolean; job?: StudyUnitJob },
  ): Promise<Uint8Array[]> {
    const key = `${o.step}:${o.net}`;
    // With a job, the host may run the units on its workers (one progress bar for all of them).
    const executor =
      o.job && this.pool.size > 1 ? this.host.unitExecutor?.(o.job, protocol, this.pool.size) : undefined;
    this.progress.start(key, count, `${o.net} ${o.step}`);
    const units = await runUnits(
      protocol,
      Array.from({ length: count }, (_, i) => i),
      {
        store: {
          read: (k: string) => this.host.storage.read(`${o.dir}/units/${k}`),
          write: (k: string, b: Uint8Array) => this.host.storage.write(`${o.dir}/units/${k}`, b),
        },
        onUnit: (e) => {
          this.progress.update(key, e.done);
          this.checkAbort();
        },
        ...(o.warnings ? { onWarning: (m: string) => this.progress.log(`warning: ${m}`) } : {}),
        ...(executor ? { executor } : {}),
        ...(this.host.signal ? { signal: this.host.signal } : {}),
      },
    );
    this.progress.finish(key);
    return units;
  }
}
