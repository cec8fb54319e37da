// Turns merged unit payloads into the protocol's artifact, dispatching on the protocol kind.
// The finalizers are pure functions of (config, payloads in unit order), so a merge of shares
// and a single run give the same bytes.
import { finalizeCertification, finalizeDensityBins } from "../certify/protocol.js";
import { finalizeMemorization } from "../memorization/memorization.js";
import type { Json } from "../units/container.js";
import type { RunUnitsOptions, UnitProtocol } from "../units/units.js";
import { decodeShare, encodeShare, type MergedUnits, mergeShares, runShard, type Share } from "./shard.js";

const FINALIZERS: Record<string, (config: Record<string, Json>, units: readonly Uint8Array[]) => Uint8Array> = {
  memorization: finalizeMemorization,
  certification: (config, units) => finalizeCertification("certification", config, units),
  "density-bins": finalizeDensityBins,
};

/** The artifact bytes of a complete set of units. */
export function finalizeArtifact(merged: MergedUnits): Uint8Array {
  const f = FINALIZERS[merged.kind];
  if (f === undefined) throw new RangeError(`no finalizer for protocol kind '${merged.kind}'`);
  return f(merged.config, merged.units);
}

/** Merges share files (bytes) into the artifact; `names` label them in errors. */
export function mergeShareFiles(files: readonly Uint8Array[], names?: readonly string[]): Uint8Array {
  const shares: Share[] = files.map((b, i) => decodeShare(b, names?.[i] ?? `share #${i}`));
  return finalizeArtifact(mergeShares(shares, names));
}

/** Runs every unit in one process (share 0/1) and returns the artifact. */
export async function runSingle(protocol: UnitProtocol, options: RunUnitsOptions = {}): Promise<Uint8Array> {
  const share = await runShard(protocol, { index: 0, count: 1 }, options);
  return mergeShareFiles([encodeShare(share)]);
}
