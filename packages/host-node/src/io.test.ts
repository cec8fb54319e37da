import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy } from "@classfit/models/npy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readLabels, readMatrix, writeFileAtomic } from "./io.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "classfit-io-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (name: string, bytes: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe("readMatrix", () => {
  it("reads float32 and float64 matrices as float64", () => {
    const m = readMatrix(put("a.npy", encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2])));
    expect([m.n, m.d]).toEqual([3, 2]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
  it("names the row and column of the first NaN/Inf", () => {
    const p = put("nan.npy", encodeNpy(new Float64Array([1, 2, 3, 4, Number.NaN, 6]), [3, 2]));
    expect(() => readMatrix(p)).toThrow(/nan\.npy: row 2, column 0 is NaN/);
    const q = put("inf.npy", encodeNpy(new Float64Array([1, Number.NEGATIVE_INFINITY, 3, 4]), [2, 2]));
    expect(() => readMatrix(q)).toThrow(/inf\.npy: row 0, column 1 is -Inf/);
  });
  it("rejects non-2-D, integer, empty, missing and corrupt files", () => {
    expect(() => readMatrix(put("v.npy", encodeNpy(new Float64Array(3), [3])))).toThrow(/expected a 2-D array.*\(3\)/);
    expect(() => readMatrix(put("i.npy", encodeNpy(new Int32Array(4), [2, 2])))).toThrow(/expected float32 or float64/);
    expect(() => readMatrix(put("e.npy", encodeNpy(new Float64Array(0), [0, 2])))).toThrow(/empty/);
    expect(() => readMatrix(join(dir, "nope.npy"))).toThrow(/nope\.npy: cannot read \(no such file\)/);
    const good = encodeNpy(new Float64Array(4), [2, 2]);
    expect(() => readMatrix(put("t.npy", good.subarray(0, good.length - 3)))).toThrow(/t\.npy: truncated data/);
  });
});

describe("readLabels", () => {
  it("accepts any integer dtype of shape (n,)", () => {
    expect(Array.from(readLabels(put("y.npy", encodeNpy(new BigInt64Array([3n, 1n]), [2])), 2, "Z").labels)).toEqual([
      3, 1,
    ]);
    expect(Array.from(readLabels(put("y8.npy", encodeNpy(new Uint8Array([0, 9]), [2])), 2, "Z").labels)).toEqual([
      0, 9,
    ]);
  });
  it("rejects an (n, 1) column and negative labels, naming the file and the row", () => {
    expect(() => readLabels(put("yc.npy", encodeNpy(new Uint8Array([0, 9]), [2, 1])), 2, "Z")).toThrow(
      /yc\.npy: labels must be a 1-D array of shape \(2,\), got shape \(2, 1\)/,
    );
    expect(() => readLabels(put("yn.npy", encodeNpy(new Int32Array([0, -1, 2]), [3])), 3, "Z")).toThrow(
      /yn\.npy: label -1 at row 1 is negative/,
    );
  });
  it("rejects a count that does not match the data, and float labels", () => {
    const p = put("y.npy", encodeNpy(new Int32Array([0, 1, 2]), [3]));
    expect(() => readLabels(p, 4, "Z.npy")).toThrow(/y\.npy: holds 3 labels but Z\.npy has 4 rows/);
    const f = put("yf.npy", encodeNpy(new Float64Array([0, 1]), [2]));
    expect(() => readLabels(f, 2, "Z.npy")).toThrow(/expected an integer dtype, got float64/);
  });
});

describe("writeFileAtomic", () => {
  it("replaces the target and leaves no temp file", () => {
    const p = join(dir, "out.bin");
    writeFileAtomic(p, "old");
    writeFileAtomic(p, "new");
    expect(readFileSync(p, "utf8")).toBe("new");
    expect(readdirSync(dir)).toEqual(["out.bin"]);
  });
  it("on failure keeps the earlier file intact and cleans up", () => {
    const p = join(dir, "out");
    mkdirSync(p); // renaming a file over a directory fails
    writeFileSync(join(p, "keep"), "x");
    expect(() => writeFileAtomic(p, "new")).toThrow(/out: cannot write/);
    expect(readFileSync(join(p, "keep"), "utf8")).toBe("x");
    expect(readdirSync(dir)).toEqual(["out"]);
  });
});
