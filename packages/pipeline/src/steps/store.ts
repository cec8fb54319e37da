// Step artifacts in the run directory. Each unit of work (one step of one network/stage/class)
// owns a folder holding its output files and, written last, `step.json`: the step's key (hash
// of its inputs' hashes and its config) and the hash of every output. A rerun whose key matches
// and whose files still hash the same skips the work; anything else is recomputed. Because
// step.json is the commit mark and every file is written atomically, a run killed at any point
// resumes from its last finished unit; and since step.json holds no timings (those go to the run
// manifest), the resumed run leaves exactly the bytes of an uninterrupted one.

import type { RunStorage } from "../host/index.js";
import { canonicalJson, fnv1a64, hashJson, type Json } from "../units/container.js";

export const STEP_RECORD = "step.json";

export interface StepRecord {
  format: "classfit-step";
  step: string;
  key: string;
  /** Input name → artifact hash (what the key was computed from). */
  inputs: Record<string, string>;
  config: Json;
  /** Output file name → fnv1a64 of its bytes. */
  outputs: Record<string, string>;
  /** Step-specific figures (retained energy, R̂, K…). */
  info: Json;
}

export interface StepEvent {
  dir: string;
  step: string;
  key: string;
  status: "computed" | "reused";
  /** Time spent computing the step in this run (0 when reused). */
  seconds: number;
  outputs: Record<string, string>;
}

/** The key of a step: its name, its config and its inputs' hashes. */
export function stepKey(step: string, config: Json, inputs: Record<string, string>): string {
  return hashJson({ step, config, inputs });
}

export class ArtifactStore {
  readonly events: StepEvent[] = [];
  constructor(
    readonly storage: RunStorage,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  /** The outputs of a finished step with this key, or undefined (missing, stale or damaged). */
  async lookup(dir: string, key: string): Promise<{ record: StepRecord; files: Map<string, Uint8Array> } | undefined> {
    const raw = await this.storage.read(`${dir}/${STEP_RECORD}`);
    if (raw === undefined) return undefined;
    let record: StepRecord;
    try {
      record = JSON.parse(new TextDecoder().decode(raw)) as StepRecord;
    } catch {
      this.warn(`${dir}/${STEP_RECORD}: unreadable; recomputing the step`);
      return undefined;
    }
    if (record.format !== "classfit-step" || record.key !== key) return undefined;
    const files = new Map<string, Uint8Array>();
    for (const [name, hash] of Object.entries(record.outputs)) {
      const bytes = await this.storage.read(`${dir}/${name}`);
      if (bytes === undefined || fnv1a64(bytes) !== hash) {
        this.warn(
          `${dir}/${name}: ${bytes === undefined ? "missing" : "changed since it was written"}; recomputing the step`,
        );
        return undefined;
      }
      files.set(name, bytes);
    }
    this.events.push({
      dir,
      step: record.step,
      key,
      status: "reused",
      seconds: 0,
      outputs: record.outputs,
    });
    return { record, files };
  }

  /** Writes the outputs, then the record (the commit mark). */
  async commit(
    dir: string,
    r: { step: string; key: string; inputs: Record<string, string>; config: Json; info?: Json; seconds: number },
    files: Record<string, Uint8Array>,
  ): Promise<StepRecord> {
    const outputs: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(files)) {
      await this.storage.write(`${dir}/${name}`, bytes);
      outputs[name] = fnv1a64(bytes);
    }
    const record: StepRecord = {
      format: "classfit-step",
      step: r.step,
      key: r.key,
      inputs: r.inputs,
      config: r.config,
      outputs,
      info: r.info ?? {},
    };
    await this.storage.write(`${dir}/${STEP_RECORD}`, utf8(`${JSON.stringify(record, null, 1)}\n`));
    this.events.push({
      dir,
      step: r.step,
      key: r.key,
      status: "computed",
      seconds: Math.round(r.seconds * 1000) / 1000,
      outputs,
    });
    return record;
  }
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function jsonBytes(v: unknown): Uint8Array {
  return utf8(`${JSON.stringify(v, null, 1)}\n`);
}

export function parseJsonBytes<T>(bytes: Uint8Array | undefined, what: string): T {
  if (bytes === undefined) throw new Error(`${what}: missing`);
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

/** Canonical JSON of a config, as hashed (exported for manifests). */
export { canonicalJson };
