// Work units: every long computation (one memorization model, one chunk of certified
// examples, one density bin) is a unit whose result depends only on (config, unit index), so
// units can run anywhere, in any order, be resumed after a crash, and be merged.
import { InputError } from "../errors.js";
import { ContainerError, decodeContainer, encodeContainer, hashJson, type Json, requireArray } from "./container.js";

/**
 * A protocol split into units. `config` holds everything that determines the results (its
 * hash keys unit files and guards merges); `runUnit(i)` must be a pure function of
 * (config, i) given the same backend.
 */
export interface UnitProtocol {
  readonly kind: string;
  readonly config: Record<string, Json>;
  readonly numUnits: number;
  /**
   * Version of the code that computes this kind's units (default 1): bumped whenever the same
   * (config, index) would give other bytes, e.g. certification's when its noise moved to the
   * ziggurat. Every unit and share file records it, and units or shares of different versions
   * are never combined (CodeVersionError). Files written before versions were recorded count as
   * version 1.
   */
  readonly codeVersion?: number;
  runUnit(index: number): Promise<Uint8Array>;
}

/** The code version of a protocol's units (1 when it names none). */
export function codeVersionOf(p: Pick<UnitProtocol, "codeVersion">): number {
  return p.codeVersion ?? 1;
}

/** Results made by different versions of the code would be combined: bad input (the user's
 * stored units or share files), refused rather than mixed. */
export class CodeVersionError extends InputError {
  override name = "CodeVersionError";
}

/** The code version recorded in a unit or share header: 1 when absent (files written before
 * versions were recorded); anything but a positive integer makes the file unreadable. */
export function recordedCodeVersion(meta: Record<string, Json>, what: string): number {
  const v = meta.codeVersion;
  if (v === undefined) return 1;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1)
    throw new ContainerError(`${what}: codeVersion must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Where finished unit results live. Hosts supply durable ones (files written atomically:
 * temp file + rename); `MemoryUnitStore` serves tests and the browser. */
export interface UnitStore {
  read(key: string): Promise<Uint8Array | undefined>;
  write(key: string, bytes: Uint8Array): Promise<void>;
}

export class MemoryUnitStore implements UnitStore {
  readonly entries = new Map<string, Uint8Array>();
  async read(key: string): Promise<Uint8Array | undefined> {
    return this.entries.get(key)?.slice();
  }
  async write(key: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(key, bytes.slice());
  }
}

/** Hash of (kind, config): the identity of a protocol run. */
export function configHash(kind: string, config: Record<string, Json>): string {
  return hashJson({ kind, config });
}

/** Store key of one unit's result: `<kind>/<configHash>/unit-<index>.npz`. */
export function unitKey(kind: string, hash: string, index: number): string {
  return `${kind}/${hash}/unit-${String(index).padStart(6, "0")}.npz`;
}

/** Where this unit was stored before units were `.npz` files (CFA1 `.cfu`): still read, for
 * one version, so a run interrupted by the previous version resumes. */
export function legacyUnitKey(kind: string, hash: string, index: number): string {
  return `${kind}/${hash}/unit-${String(index).padStart(6, "0")}.cfu`;
}

/** Wraps a unit payload with the identity it belongs to, so a stray file is recognised, and
 * the version of the code that made it. */
export function encodeUnitFile(
  kind: string,
  hash: string,
  index: number,
  payload: Uint8Array,
  codeVersion = 1,
): Uint8Array {
  return encodeContainer({ format: "classfit-unit", kind, configHash: hash, index, codeVersion }, [
    ["payload", payload],
  ]);
}

/**
 * The payload of a unit file, or undefined when it belongs to another run or unit. A unit of
 * this very run made by another version of the code throws CodeVersionError: recomputing it
 * would silently leave the other stored units of that version beside it.
 */
export function decodeUnitFile(
  bytes: Uint8Array,
  kind: string,
  hash: string,
  index: number,
  codeVersion = 1,
): Uint8Array | undefined {
  const what = unitKey(kind, hash, index);
  const c = decodeContainer(bytes, what);
  if (c.meta.format !== "classfit-unit" || c.meta.kind !== kind || c.meta.configHash !== hash || c.meta.index !== index)
    return undefined;
  const made = recordedCodeVersion(c.meta, what);
  if (made !== codeVersion)
    throw new CodeVersionError(
      `${what}: this stored unit was made by version ${made} of the ${kind} code, this build makes version ${codeVersion}; units of different versions are never mixed: remove the stored units ${kind}/${hash}/ (or use another unit directory) and run again`,
    );
  return requireArray(c, "payload", Uint8Array, what);
}

/**
 * Runs the units of one protocol, possibly several at a time on workers that each built the
 * same protocol (worker_threads in Node, Web Workers in a browser). It may finish units in any
 * order: `runUnits` stores each payload under its index and assembles them in index order, so
 * no artifact depends on the worker count or on which unit finished first.
 */
export interface UnitExecutor {
  /** Units that can run at once. */
  readonly size: number;
  /**
   * Runs every unit of `indices`, handing each payload to `onUnit` as it arrives (awaited, so a
   * unit is stored before the run counts it). Rejects on the first failure and then runs no
   * further unit; with `signal` aborted, stops every worker and rejects.
   */
  run(
    indices: readonly number[],
    onUnit: (index: number, payload: Uint8Array) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void>;
}

/** The executor that runs units one after another in the calling thread. */
export function inThreadExecutor(protocol: UnitProtocol): UnitExecutor {
  return {
    size: 1,
    async run(indices, onUnit, signal) {
      for (const index of indices) {
        if (signal?.aborted) throw new UnitsInterrupted();
        await onUnit(index, await protocol.runUnit(index));
      }
    },
  };
}

/** Thrown when a unit run is aborted; the units finished before it are in the store. */
export class UnitsInterrupted extends Error {
  override name = "UnitsInterrupted";
  constructor(message = "interrupted; finished units are kept, rerun the same command to resume") {
    super(message);
  }
}

export interface RunUnitsOptions {
  store?: UnitStore;
  /** Called after each unit: `skipped` when its result was already in the store. */
  onUnit?: (event: { index: number; done: number; total: number; skipped: boolean }) => void;
  /** Called when a stored file exists but cannot be used (corrupt, or another run's). */
  onWarning?: (message: string) => void;
  /** Where the units that are not in the store run (default: one at a time, in this thread). */
  executor?: UnitExecutor;
  /** Aborting stops the run between units (the executor stops its workers at once). */
  signal?: AbortSignal;
}

/**
 * Runs the given units of a protocol, resuming from `store`: a unit whose result file is there
 * (same kind, config hash and index) is read, not recomputed. The others go to the executor,
 * and each is stored as soon as it finishes, so an interrupted run keeps every finished unit.
 * Returns the payloads in the order of `indices`, whatever order they finished in.
 */
export async function runUnits(
  protocol: UnitProtocol,
  indices: readonly number[],
  options: RunUnitsOptions = {},
): Promise<Uint8Array[]> {
  const hash = configHash(protocol.kind, protocol.config);
  const version = codeVersionOf(protocol);
  const out = new Array<Uint8Array | undefined>(indices.length);
  const positions = new Map<number, number[]>();
  for (const [k, index] of indices.entries()) {
    if (!Number.isInteger(index) || index < 0 || index >= protocol.numUnits)
      throw new RangeError(`${protocol.kind}: unit index ${index} out of range [0, ${protocol.numUnits})`);
    positions.set(index, [...(positions.get(index) ?? []), k]);
  }
  let done = 0;
  const missing: number[] = [];
  for (const [index, at] of positions) {
    const key = unitKey(protocol.kind, hash, index);
    let payload: Uint8Array | undefined;
    const stored =
      (await options.store?.read(key)) ?? (await options.store?.read(legacyUnitKey(protocol.kind, hash, index)));
    if (stored !== undefined) {
      try {
        payload = decodeUnitFile(stored, protocol.kind, hash, index, version);
        if (payload === undefined) options.onWarning?.(`${key}: belongs to another run; recomputing`);
      } catch (e) {
        if (!(e instanceof ContainerError)) throw e;
        options.onWarning?.(`${key}: unreadable (${e.message}); recomputing`);
      }
    }
    if (payload === undefined) {
      missing.push(index);
      continue;
    }
    for (const k of at) out[k] = payload;
    done += at.length;
    options.onUnit?.({ index, done, total: indices.length, skipped: true });
  }
  if (missing.length > 0) {
    if (options.signal?.aborted) throw new UnitsInterrupted();
    const executor = options.executor ?? inThreadExecutor(protocol);
    await executor.run(
      missing,
      async (index, payload) => {
        const at = positions.get(index);
        if (at === undefined) throw new Error(`${protocol.kind}: the executor returned unit ${index}, never asked for`);
        await options.store?.write(
          unitKey(protocol.kind, hash, index),
          encodeUnitFile(protocol.kind, hash, index, payload, version),
        );
        for (const k of at) out[k] = payload;
        done += at.length;
        options.onUnit?.({ index, done, total: indices.length, skipped: false });
      },
      options.signal,
    );
  }
  return out.map((p, k) => {
    if (p === undefined) throw new Error(`${protocol.kind}: unit ${indices[k]} did not finish`);
    return p;
  });
}

/** The file operations a directory store needs from its host (Node: fs + temp file + rename). */
export interface UnitFileSystem {
  /** The file's bytes, or undefined when it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Writes atomically (temp file + rename), creating parent directories. */
  writeFileAtomic(path: string, bytes: Uint8Array): Promise<void>;
}

/** A UnitStore over a directory: unit files at `<dir>/<kind>/<configHash>/unit-NNNNNN.npz`, so
 * several runs can share one directory (e.g. a cluster volume) without mixing results. */
export function directoryUnitStore(fs: UnitFileSystem, dir: string): UnitStore {
  const base = dir.replace(/\/+$/, "");
  return {
    read: (key) => fs.readFile(`${base}/${key}`),
    write: (key, bytes) => fs.writeFileAtomic(`${base}/${key}`, bytes),
  };
}
