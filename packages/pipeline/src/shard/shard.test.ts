import { describe, expect, it } from "vitest";
import type { UnitProtocol } from "../units/units.js";
import { decodeShare, encodeShare, MergeError, mergeShares, runShard } from "./shard.js";

function toy(salt = 0, numUnits = 5): UnitProtocol {
  return {
    kind: "toy",
    config: { salt, numUnits },
    numUnits,
    runUnit: async (i) => Uint8Array.from([i, salt]),
  };
}

describe("shares", () => {
  it("round-trip, and refuse an edited config, a conflicting duplicate unit and a foreign file", async () => {
    const s = await runShard(toy(), { index: 1, count: 2 });
    const bytes = encodeShare(s);
    const back = decodeShare(bytes, "s1");
    expect([...back.units.keys()]).toEqual([1, 3]);
    expect(back.shard).toEqual({ index: 1, count: 2 });
    // Edit the config in the header without fixing its hash.
    const text = new TextDecoder().decode(bytes);
    const edited = new TextEncoder().encode(text.replace('"salt":0', '"salt":7'));
    expect(edited.length).toBe(bytes.length);
    expect(() => decodeShare(edited, "edited.cfs")).toThrow(/edited\.cfs: config hash does not match/);
    // Overlapping shares (0/2 and 0/1) agree on their common units: fine.
    const all = await runShard(toy(), { index: 0, count: 1 });
    expect(mergeShares([s, all]).units.length).toBe(5);
    // A unit that differs between shares is refused.
    const tampered = { ...all, units: new Map(all.units) };
    tampered.units.set(3, Uint8Array.from([9, 9]));
    expect(() => mergeShares([s, tampered], ["a", "b"])).toThrow(/b: unit 3 differs/);
    expect(() => mergeShares([])).toThrow(MergeError);
    expect(() => decodeShare(Uint8Array.from([1, 2, 3]), "junk")).toThrow(/junk: not a classfit container/);
  });
});
