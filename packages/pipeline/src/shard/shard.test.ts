import { describe, expect, it } from "vitest";
import { isInputError } from "../errors.js";
import { decodeContainer, encodeContainer } from "../units/container.js";
import { CodeVersionError, type UnitProtocol } from "../units/units.js";
import { mergeShareFiles } from "./finalize.js";
import { decodeShare, encodeShare, MergeError, mergeShares, runShard } from "./shard.js";

function toy(salt = 0, numUnits = 5, codeVersion?: number): UnitProtocol {
  return {
    kind: "toy",
    config: { salt, numUnits },
    numUnits,
    ...(codeVersion === undefined ? {} : { codeVersion }),
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
    const edited = bytes.slice();
    const at = Buffer.from(edited).indexOf('"salt":0');
    edited[at + 7] = 0x37; // "7"
    expect(edited.length).toBe(bytes.length);
    expect(() => decodeShare(edited, "edited.npz")).toThrow(
      /edited\.npz: (config hash does not match|member meta\.npy fails its CRC-32 check)/,
    );
    // Overlapping shares (0/2 and 0/1) agree on their common units: fine.
    const all = await runShard(toy(), { index: 0, count: 1 });
    expect(mergeShares([s, all]).units.length).toBe(5);
    // A unit that differs between shares is refused.
    const tampered = { ...all, units: new Map(all.units) };
    tampered.units.set(3, Uint8Array.from([9, 9]));
    expect(() => mergeShares([s, tampered], ["a", "b"])).toThrow(/b: unit 3 differs/);
    expect(() => mergeShares([])).toThrow(MergeError);
    expect(() => decodeShare(Uint8Array.from([1, 2, 3]), "junk")).toThrow(/junk: not a classfit artifact/);
  });
});

describe("code versions of shares", () => {
  it("a share records the version of the code that made it, and merges refuse mixed versions", async () => {
    const a = await runShard(toy(0, 4, 2), { index: 0, count: 2 });
    const b = await runShard(toy(0, 4, 2), { index: 1, count: 2 });
    const old = await runShard(toy(0, 4), { index: 1, count: 2 });
    expect(a.codeVersion).toBe(2);
    expect(old.codeVersion).toBe(1);
    expect(decodeContainer(encodeShare(a), "a").meta.codeVersion).toBe(2);
    expect(decodeShare(encodeShare(a), "a").codeVersion).toBe(2);
    expect(mergeShares([a, b]).units.length).toBe(4);
    // Same config, same unit bytes even: still refused, and named as bad input.
    const err = (() => {
      try {
        mergeShares([a, old], ["new-0.cfs", "old-1.cfs"]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CodeVersionError);
    expect(isInputError(err)).toBe(true);
    expect((err as Error).message).toBe(
      "cannot merge old-1.cfs with new-0.cfs: they were made by different versions of the toy code (1 vs 2); rerun the older share(s) with the same classfit build as the others",
    );
  });

  it("a share file without a version (written before versions were recorded) is version 1", async () => {
    const s = await runShard(toy(0, 2), { index: 0, count: 1 });
    const c = decodeContainer(encodeShare(s), "s");
    const { codeVersion: _v, ...meta } = c.meta;
    const unversioned = encodeContainer(meta, [...c.arrays] as [string, Uint8Array][]);
    expect(decodeShare(unversioned, "old.cfs").codeVersion).toBe(1);
    const newer = encodeShare(await runShard(toy(0, 2, 2), { index: 0, count: 1 }));
    expect(() => mergeShareFiles([unversioned, newer], ["old.cfs", "new.cfs"])).toThrow(
      /cannot merge new\.cfs with old\.cfs: they were made by different versions of the toy code \(2 vs 1\)/,
    );
  });
});
