// Sharding: a spec `k/n` runs share k (0-based, as Kubernetes' JOB_COMPLETION_INDEX and a
// Slurm array started at 0 give it) of n; `mergeShares` puts the shares back together.
// Units go to shares round-robin (unit u → share u mod n) so that units whose cost grows with
// their index spread evenly. Merged shares give the same unit payloads, hence (through the
// protocol's deterministic finalizer) the same artifact bytes, as a single run.
import { InputError } from "../errors.js";
import { noteLegacyFormat } from "../formats/legacy.js";
import {
  ContainerError,
  canonicalJson,
  decodeContainer,
  encodeContainer,
  isLegacyContainer,
  type Json,
} from "../units/container.js";
import {
  CodeVersionError,
  codeVersionOf,
  configHash,
  type RunUnitsOptions,
  recordedCodeVersion,
  runUnits,
  type UnitProtocol,
} from "../units/units.js";

export interface ShardSpec {
  /** 0-based share index, 0 ≤ index < count. */
  index: number;
  count: number;
}

/** Parses "k/n" (0 ≤ k < n). */
export function parseShardSpec(spec: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new RangeError(`shard spec '${spec}' must look like k/n (e.g. 0/4; k counts from 0)`);
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  checkShard(shard);
  return shard;
}

export function checkShard(shard: ShardSpec): void {
  if (!Number.isSafeInteger(shard.count) || shard.count < 1)
    throw new RangeError(`shard count must be a positive integer, got ${shard.count}`);
  if (!Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count)
    throw new RangeError(
      `shard index ${shard.index} is out of range for ${shard.count} shares (it must be in [0, ${shard.count}))`,
    );
}

/** The unit indices share `shard` runs, in increasing order. */
export function unitsOfShard(numUnits: number, shard: ShardSpec): number[] {
  checkShard(shard);
  const out: number[] = [];
  for (let u = shard.index; u < numUnits; u += shard.count) out.push(u);
  return out;
}

/** A decoded share: the units one shard computed. */
export interface Share {
  kind: string;
  config: Record<string, Json>;
  configHash: string;
  numUnits: number;
  /** Version of the code that made the units (UnitProtocol.codeVersion). */
  codeVersion: number;
  shard: ShardSpec;
  units: Map<number, Uint8Array>;
}

export function encodeShare(share: Share): Uint8Array {
  const indices = [...share.units.keys()].sort((a, b) => a - b);
  return encodeContainer(
    {
      format: "classfit-share",
      kind: share.kind,
      config: share.config,
      configHash: share.configHash,
      numUnits: share.numUnits,
      codeVersion: share.codeVersion,
      shard: { index: share.shard.index, count: share.shard.count },
      units: indices,
    },
    indices.map((i) => [`unit:${i}`, share.units.get(i) as Uint8Array]),
  );
}

export function decodeShare(bytes: Uint8Array, what: string): Share {
  const c = decodeContainer(bytes, what);
  if (isLegacyContainer(bytes)) noteLegacyFormat(what, "CFA1");
  const m = c.meta;
  if (m.format !== "classfit-share") throw new ContainerError(`${what}: not a share file (format ${String(m.format)})`);
  const shard = m.shard as { index?: unknown; count?: unknown } | null;
  if (
    typeof m.kind !== "string" ||
    typeof m.configHash !== "string" ||
    typeof m.numUnits !== "number" ||
    typeof m.config !== "object" ||
    m.config === null ||
    Array.isArray(m.config) ||
    !Array.isArray(m.units) ||
    typeof shard !== "object" ||
    shard === null ||
    typeof shard.index !== "number" ||
    typeof shard.count !== "number"
  )
    throw new ContainerError(`${what}: share header is incomplete`);
  if (configHash(m.kind, m.config) !== m.configHash)
    throw new ContainerError(`${what}: config hash does not match its config (edited or corrupt)`);
  const units = new Map<number, Uint8Array>();
  for (const u of m.units) {
    const a = c.arrays.get(`unit:${String(u)}`);
    if (typeof u !== "number" || !(a instanceof Uint8Array)) throw new ContainerError(`${what}: unit ${u} is missing`);
    units.set(u, a);
  }
  return {
    kind: m.kind,
    config: m.config,
    configHash: m.configHash,
    numUnits: m.numUnits,
    codeVersion: recordedCodeVersion(m, what),
    shard: { index: shard.index, count: shard.count },
    units,
  };
}

/** Runs one share of a protocol (resuming from `options.store`) and returns its share. */
export async function runShard(
  protocol: UnitProtocol,
  shard: ShardSpec,
  options: RunUnitsOptions = {},
): Promise<Share> {
  const indices = unitsOfShard(protocol.numUnits, shard);
  const payloads = await runUnits(protocol, indices, options);
  return {
    kind: protocol.kind,
    config: protocol.config,
    configHash: configHash(protocol.kind, protocol.config),
    numUnits: protocol.numUnits,
    codeVersion: codeVersionOf(protocol),
    shard,
    units: new Map(indices.map((u, i) => [u, payloads[i] as Uint8Array])),
  };
}

/** Flattens a JSON value into path → canonical text, for naming the fields two configs differ in. */
function flatten(value: Json, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const k of Object.keys(value).sort()) flatten(value[k] as Json, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, canonicalJson(value));
  }
}

/** The fields in which two configs differ, as "field: a vs b" lines (empty when equal). */
export function configDifferences(a: Record<string, Json>, b: Record<string, Json>): string[] {
  const fa = new Map<string, string>();
  const fb = new Map<string, string>();
  flatten(a, "", fa);
  flatten(b, "", fb);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  return keys
    .filter((k) => fa.get(k) !== fb.get(k))
    .map((k) => `${k}: ${fa.get(k) ?? "(absent)"} vs ${fb.get(k) ?? "(absent)"}`);
}

export class MergeError extends InputError {
  override name = "MergeError";
}

export interface MergedUnits {
  kind: string;
  config: Record<string, Json>;
  configHash: string;
  /** Every unit's payload, by unit index. */
  units: Uint8Array[];
}

/**
 * Combines shares of one run. Refuses shares made by different versions of the code
 * (CodeVersionError), shares of different runs (naming the config fields that differ), a unit
 * given twice with different bytes, and missing units.
 * `names` label the shares in errors (file paths).
 */
export function mergeShares(shares: readonly Share[], names?: readonly string[]): MergedUnits {
  const first = shares[0];
  if (first === undefined) throw new MergeError("nothing to merge: no shares given");
  const name = (i: number) => names?.[i] ?? `share #${i}`;
  shares.forEach((s, i) => {
    if (s.kind !== first.kind)
      throw new MergeError(
        `cannot merge ${name(i)} with ${name(0)}: protocol kind differs (${s.kind} vs ${first.kind})`,
      );
    // Before the configs: a new version may also have changed the config (certification's
    // did), and "made by another version" is what the user has to act on.
    if (s.codeVersion !== first.codeVersion)
      throw new CodeVersionError(
        `cannot merge ${name(i)} with ${name(0)}: they were made by different versions of the ${s.kind} code (${s.codeVersion} vs ${first.codeVersion}); rerun the older share(s) with the same classfit build as the others`,
      );
    if (s.configHash !== first.configHash || s.numUnits !== first.numUnits) {
      const diff = configDifferences(s.config, first.config);
      throw new MergeError(
        `cannot merge ${name(i)} with ${name(0)}: they come from different configs; differing field(s): ${
          diff.length ? diff.join("; ") : `numUnits ${s.numUnits} vs ${first.numUnits}`
        }`,
      );
    }
  });
  const units: (Uint8Array | undefined)[] = new Array(first.numUnits).fill(undefined);
  shares.forEach((s, i) => {
    for (const [u, payload] of s.units) {
      if (!Number.isInteger(u) || u < 0 || u >= first.numUnits)
        throw new MergeError(`${name(i)}: unit ${u} out of range [0, ${first.numUnits})`);
      const prev = units[u];
      if (prev !== undefined && !equalBytes(prev, payload))
        throw new MergeError(`${name(i)}: unit ${u} differs from the same unit in an earlier share`);
      units[u] = payload;
    }
  });
  const missing = units.flatMap((p, u) => (p === undefined ? [u] : []));
  if (missing.length > 0)
    throw new MergeError(
      `cannot merge: ${missing.length} of ${first.numUnits} units missing (first: ${missing.slice(0, 10).join(", ")}); run the remaining shares`,
    );
  return { kind: first.kind, config: first.config, configHash: first.configHash, units: units as Uint8Array[] };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
