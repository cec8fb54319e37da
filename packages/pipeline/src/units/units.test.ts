import { encodeNpz } from "@classfit/models/npy";
import { describe, expect, it } from "vitest";
import { isInputError } from "../errors.js";
import { checkShard, configDifferences, parseShardSpec, unitsOfShard } from "../shard/shard.js";
import {
  ContainerError,
  canonicalJson,
  decodeContainer,
  encodeContainer,
  encodeLegacyContainer,
  hashJson,
  isLegacyContainer,
} from "./container.js";
import {
  CodeVersionError,
  configHash,
  decodeUnitFile,
  directoryUnitStore,
  encodeUnitFile,
  legacyUnitKey,
  MemoryUnitStore,
  runUnits,
  type UnitExecutor,
  type UnitProtocol,
  UnitsInterrupted,
  unitKey,
} from "./units.js";

describe("container", () => {
  it("round-trips arrays and gives the same bytes whatever the key order", () => {
    const a = encodeContainer({ b: 1, a: { y: [1, 2.5], x: "s" } }, [
      ["i", Int32Array.from([1, -2, 3])],
      ["f", Float64Array.from([0.1, Number.NaN, -0])],
      ["u", Uint8Array.from([7])],
    ]);
    const b = encodeContainer({ a: { x: "s", y: [1, 2.5] }, b: 1 }, [
      ["i", Int32Array.from([1, -2, 3])],
      ["f", Float64Array.from([0.1, Number.NaN, -0])],
      ["u", Uint8Array.from([7])],
    ]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // An .npz: the metadata as uint8 JSON, then each array in the given order.
    expect(Array.from(a.subarray(0, 4))).toEqual([0x50, 0x4b, 0x03, 0x04]);
    const d = decodeContainer(a, "t");
    expect(d.meta).toEqual({ a: { x: "s", y: [1, 2.5] }, b: 1 });
    expect(Array.from(d.arrays.get("i") as Int32Array)).toEqual([1, -2, 3]);
    const f = d.arrays.get("f") as Float64Array;
    expect(f[0]).toBe(0.1);
    expect(Number.isNaN(f[1])).toBe(true);
    expect(Object.is(f[2], -0)).toBe(true);
  });

  it("rejects corrupt and truncated input, naming the source", () => {
    const a = encodeContainer({ k: 1 }, [["x", new Float64Array(4)]]);
    expect(() => decodeContainer(a.slice(0, a.length - 8), "unit-7")).toThrow(/unit-7: not a valid \.npz/);
    expect(() => decodeContainer(a.slice(0, a.length - 8), "unit-7")).toThrow(ContainerError);
    const bad = a.slice();
    bad[0] = 0;
    expect(() => decodeContainer(bad, "f.npz")).toThrow(/f\.npz: not a classfit artifact/);
    // A plain .npz without classfit's metadata member.
    const plain = encodeNpz([["x", new Float64Array(2), [2]]]);
    expect(() => decodeContainer(plain, "p.npz")).toThrow(/p\.npz: not a classfit artifact \(no uint8 'meta' member\)/);
    expect(() => encodeContainer({}, [["meta", new Uint8Array(1)]])).toThrow(/named 'meta'/);
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/\$\.x: non-finite/);
  });

  it("keeps shapes, and still reads the old CFA1 layout", () => {
    const m = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const d = decodeContainer(encodeContainer({ k: 1 }, [["m", m, [2, 3]]]), "t");
    expect(d.shapes.get("m")).toEqual([2, 3]);
    const old = encodeLegacyContainer({ k: 1 }, [["m", m]]);
    expect(isLegacyContainer(old)).toBe(true);
    const back = decodeContainer(old, "old.cfa");
    expect(back.meta).toEqual({ k: 1 });
    expect(Array.from(back.arrays.get("m") as Float64Array)).toEqual(Array.from(m));
    expect(() => decodeContainer(old.slice(0, old.length - 8), "old.cfa")).toThrow(/old\.cfa.*runs past the end/);
  });

  it("hashes canonical JSON, so key order does not change the hash", () => {
    expect(hashJson({ a: 1, b: 2 })).toBe(hashJson({ b: 2, a: 1 }));
    expect(hashJson({ a: 1, b: 2 })).not.toBe(hashJson({ a: 1, b: 3 }));
    expect(hashJson({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("shards", () => {
  it("parse k/n and partition the units", () => {
    expect(parseShardSpec("2/5")).toEqual({ index: 2, count: 5 });
    expect(() => parseShardSpec("5/5")).toThrow(/shard index 5 is out of range for 5 shares/);
    expect(() => parseShardSpec("-1/5")).toThrow(/k\/n/);
    expect(() => parseShardSpec("1/0")).toThrow(/positive integer/);
    expect(() => checkShard({ index: 0, count: 1.5 })).toThrow(/positive integer/);
    const all = [0, 1, 2, 3].flatMap((k) => unitsOfShard(10, { index: k, count: 4 })).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(unitsOfShard(2, { index: 3, count: 4 })).toEqual([]);
  });

  it("name the config fields that differ", () => {
    expect(configDifferences({ a: 1, s: { sigma: 0.5, n: 10 } }, { a: 1, s: { sigma: 0.25, n: 10 } })).toEqual([
      "s.sigma: 0.5 vs 0.25",
    ]);
    expect(configDifferences({ a: 1 }, { a: 1, b: [1] })).toEqual(["b: (absent) vs [1]"]);
  });
});

describe("runUnits", () => {
  it("resumes from the store, recomputes a unit whose file is corrupt, and refuses bad indices", async () => {
    let ran = 0;
    const p: UnitProtocol = {
      kind: "toy",
      config: { x: 1 },
      numUnits: 4,
      async runUnit(i) {
        ran++;
        return Uint8Array.from([i, i * 2]);
      },
    };
    const store = new MemoryUnitStore();
    const first = await runUnits(p, [0, 1, 2, 3], { store });
    expect(ran).toBe(4);
    const key = [...store.entries.keys()].find((k) => k.endsWith("unit-000002.npz")) as string;
    expect(key).toBe(unitKey("toy", key.split("/")[1] as string, 2));
    store.entries.set(key, Uint8Array.from([1, 2, 3]));
    const warnings: string[] = [];
    const second = await runUnits(p, [0, 1, 2, 3], { store, onWarning: (w) => warnings.push(w) });
    expect(ran).toBe(5);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/unit-000002\.npz: unreadable/);
    expect(second.map((u) => Array.from(u))).toEqual(first.map((u) => Array.from(u)));
    await expect(runUnits(p, [4])).rejects.toThrow(/unit index 4 out of range/);
  });

  it("resumes from a unit the previous version stored as a CFA1 .cfu file", async () => {
    let ran = 0;
    const p: UnitProtocol = {
      kind: "toy",
      config: { x: 2 },
      numUnits: 2,
      async runUnit(i) {
        ran++;
        return Uint8Array.from([i, 9]);
      },
    };
    const hash = configHash("toy", p.config);
    const store = new MemoryUnitStore();
    const old = encodeLegacyContainer(
      { format: "classfit-unit", kind: "toy", configHash: hash, index: 1, codeVersion: 1 },
      [["payload", Uint8Array.from([1, 9])]],
    );
    store.entries.set(legacyUnitKey("toy", hash, 1), old);
    const out = await runUnits(p, [0, 1], { store });
    expect(ran).toBe(1);
    expect(out.map((u) => Array.from(u))).toEqual([
      [0, 9],
      [1, 9],
    ]);
    expect(store.entries.has(unitKey("toy", hash, 0))).toBe(true);
  });

  it("stores units in whatever order an executor finishes them and returns them by index; an abort keeps the finished ones", async () => {
    const p: UnitProtocol = {
      kind: "toy",
      config: { x: 3 },
      numUnits: 6,
      runUnit: async (i) => Uint8Array.from([i, 7 * i]),
    };
    const inThread = await runUnits(p, [0, 1, 2, 3, 4, 5]);
    // Finishes units last-first, two at a time, as workers of unequal speed would.
    const reversed: UnitExecutor = {
      size: 2,
      async run(indices, onUnit) {
        const order = [...indices].reverse();
        for (let k = 0; k < order.length; k += 2)
          await Promise.all(order.slice(k, k + 2).map(async (i) => onUnit(i, await p.runUnit(i))));
      },
    };
    const store = new MemoryUnitStore();
    const events: number[] = [];
    const out = await runUnits(p, [0, 1, 2, 3, 4, 5], {
      store,
      executor: reversed,
      onUnit: (e) => events.push(e.index),
    });
    expect(events).toEqual([5, 4, 3, 2, 1, 0]);
    expect(out.map((u) => Array.from(u))).toEqual(inThread.map((u) => Array.from(u)));
    expect(store.entries.size).toBe(6);

    // Abort after two units: they stay in the store, and the rerun computes only the rest.
    const partial = new MemoryUnitStore();
    const controller = new AbortController();
    let ran = 0;
    const stopping: UnitExecutor = {
      size: 1,
      async run(indices, onUnit, signal) {
        for (const i of indices) {
          if (signal?.aborted) throw signal.reason;
          ran++;
          await onUnit(i, await p.runUnit(i));
          if (ran === 2) controller.abort(new UnitsInterrupted());
        }
      },
    };
    await expect(
      runUnits(p, [0, 1, 2, 3, 4, 5], { store: partial, executor: stopping, signal: controller.signal }),
    ).rejects.toBeInstanceOf(UnitsInterrupted);
    expect(partial.entries.size).toBe(2);
    ran = 0;
    const resumed = await runUnits(p, [0, 1, 2, 3, 4, 5], { store: partial, executor: stopping });
    expect(ran).toBe(4);
    expect(resumed.map((u) => Array.from(u))).toEqual(inThread.map((u) => Array.from(u)));
  });

  it("fails when an executor returns a unit it was not asked for", async () => {
    const p: UnitProtocol = { kind: "toy", config: {}, numUnits: 3, runUnit: async (i) => Uint8Array.from([i]) };
    const wrong: UnitExecutor = { size: 1, run: async (_indices, onUnit) => onUnit(2, Uint8Array.from([2])) };
    await expect(runUnits(p, [0, 1], { executor: wrong })).rejects.toThrow(/returned unit 2, never asked for/);
  });
});

describe("code versions of stored units", () => {
  const toy = (codeVersion?: number): UnitProtocol => ({
    kind: "toy",
    config: { x: 3 },
    numUnits: 3,
    ...(codeVersion === undefined ? {} : { codeVersion }),
    runUnit: async (i) => Uint8Array.from([i, codeVersion ?? 1]),
  });

  it("records the version in every unit file and reuses units of the same version", async () => {
    const store = new MemoryUnitStore();
    await runUnits(toy(2), [0, 1, 2], { store });
    for (const bytes of store.entries.values()) expect(decodeContainer(bytes, "u").meta.codeVersion).toBe(2);
    let ran = 0;
    const counting = async (i: number) => {
      ran++;
      return Uint8Array.from([i]);
    };
    await runUnits({ ...toy(2), runUnit: counting }, [0, 1, 2], { store });
    expect(ran).toBe(0);
  });

  it("refuses to resume from units another version made, as bad input that names the unit", async () => {
    const store = new MemoryUnitStore();
    await runUnits(toy(), [0, 1], { store });
    let ran = 0;
    const newer = {
      ...toy(2),
      runUnit: async (i: number) => {
        ran++;
        return Uint8Array.from([i]);
      },
    };
    const err = await runUnits(newer, [0, 1, 2], { store }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodeVersionError);
    expect(isInputError(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /toy\/[0-9a-f]{16}\/unit-000000\.npz: this stored unit was made by version 1 of the toy code, this build makes version 2; units of different versions are never mixed/,
    );
    // Nothing was computed or overwritten.
    expect(ran).toBe(0);
    expect(store.entries.size).toBe(2);
  });

  it("counts a unit file without a version (written before versions were recorded) as version 1", () => {
    const hash = configHash("toy", { x: 3 });
    const old = encodeContainer({ format: "classfit-unit", kind: "toy", configHash: hash, index: 0 }, [
      ["payload", Uint8Array.from([5])],
    ]);
    expect(Array.from(decodeUnitFile(old, "toy", hash, 0, 1) ?? [])).toEqual([5]);
    expect(() => decodeUnitFile(old, "toy", hash, 0, 2)).toThrow(CodeVersionError);
    const odd = encodeContainer(
      { format: "classfit-unit", kind: "toy", configHash: hash, index: 0, codeVersion: "2" },
      [["payload", Uint8Array.from([5])]],
    );
    expect(() => decodeUnitFile(odd, "toy", hash, 0, 2)).toThrow(ContainerError);
    // Another run's file is still just not this run's (recomputed), whatever its version.
    expect(decodeUnitFile(encodeUnitFile("toy", "0".repeat(16), 0, Uint8Array.from([1]), 9), "toy", hash, 0, 2)).toBe(
      undefined,
    );
  });
});

describe("directoryUnitStore", () => {
  it("keeps unit files under <dir>/<kind>/<configHash>/ through the host's atomic writes", async () => {
    const files = new Map<string, Uint8Array>();
    const store = directoryUnitStore(
      {
        readFile: async (p) => files.get(p),
        writeFileAtomic: async (p, b) => {
          files.set(p, b);
        },
      },
      "/data/units/",
    );
    const p: UnitProtocol = { kind: "toy", config: { x: 2 }, numUnits: 2, runUnit: async (i) => Uint8Array.from([i]) };
    await runUnits(p, [0, 1], { store });
    const paths = [...files.keys()].sort();
    expect(paths.length).toBe(2);
    expect(paths[0]).toMatch(/^\/data\/units\/toy\/[0-9a-f]{16}\/unit-000000\.npz$/);
    let ran = 0;
    const counting = async (i: number) => {
      ran++;
      return Uint8Array.from([i]);
    };
    await runUnits({ ...p, runUnit: counting }, [0, 1], { store });
    expect(ran).toBe(0);
  });
});
