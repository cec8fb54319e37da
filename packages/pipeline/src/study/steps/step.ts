// What a step module is. A step turns named input artifacts and a slice of the study config into
// output files in its own folder of the run directory; `StudyContext.run` keys it, reuses a
// finished one with the same key and commits a new one, so a module only says what it reads,
// what settings shape its output, how to compute it and how to read its files back.
import type { Json } from "../../units/container.js";
import type { StudyContext } from "../context.js";

/** Where one unit of a step lives and what its key is made of. */
export interface StepPlan {
  /** The unit's folder in the run directory. */
  dir: string;
  /** The settings that shape the output (hashed into the key and kept in step.json). */
  config: Json;
  /** Input name → hash of the artifact it reads. */
  inputs: Record<string, string>;
}

/** A step's output: file name → bytes, and figures for step.json. */
export interface StepOutput {
  files: Record<string, Uint8Array>;
  info?: Json;
}

/** A finished unit, computed now or found on disk. */
export interface Committed {
  files: Map<string, Uint8Array>;
  info: Json;
  key: string;
}

/** A unit waiting to be computed, with the plan its key came from. */
export interface Pending<U, P extends StepPlan> {
  unit: U;
  plan: P;
}

export interface Step<U, P extends StepPlan, R> {
  /** The step's name (part of its key, and of step.json). */
  readonly name: string;
  plan(ctx: StudyContext, unit: U): P;
  /** Computes one unit. */
  compute?(ctx: StudyContext, unit: U, plan: P): Promise<StepOutput>;
  /**
   * Computes many units at once (the units of one step that can run side by side), calling
   * `commit(i, output)` as pending unit i finishes; used instead of `compute` when present.
   */
  computeAll?(
    ctx: StudyContext,
    pending: Pending<U, P>[],
    commit: (i: number, output: StepOutput) => Promise<void>,
  ): Promise<void>;
  /** The step's result from its files. */
  read(ctx: StudyContext, unit: U, plan: P, done: Committed): R;
}
