import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { encodeNpy, encodeNpz, looksLikeZip, NpyError, npyToFloat64, npyToInt32, parseNpy, parseNpz } from "./npy.js";

// Files written by NumPy 1.24 (see fixtures/README.md for the script).
const fx = (f: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${f}`, import.meta.url)));

describe("parseNpy on NumPy-written files", () => {
  it("reads float64 2-D", () => {
    const a = parseNpy(fx("f8_2x3.npy"));
    expect(a.dtype).toBe("f8");
    expect(a.shape).toEqual([2, 3]);
    expect(a.fortranOrder).toBe(false);
    expect(Array.from(a.data as Float64Array)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  });
  it("reads float32 1-D, int64, uint8, a 0-d scalar and an empty array", () => {
    const f = parseNpy(fx("f4_3.npy"));
    expect(f.shape).toEqual([3]);
    expect(Array.from(f.data as Float32Array)).toEqual([1.5, -2.25, Math.fround(3e-5)]);
    const l = parseNpy(fx("i8_labels.npy"));
    expect(l.dtype).toBe("i8");
    expect(Array.from(npyToInt32(l))).toEqual([0, 3, 9, 3]);
    expect(Array.from(npyToInt32(parseNpy(fx("u1_labels.npy"))))).toEqual([1, 2]);
    const s = parseNpy(fx("i4_scalar.npy"));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as Int32Array)).toEqual([7]);
    const e = parseNpy(fx("f8_empty.npy"));
    expect(e.shape).toEqual([0, 4]);
    expect(e.data.length).toBe(0);
  });
  it("returns a copy that does not alias the input, even at an unaligned offset", () => {
    const raw = fx("f8_2x3.npy");
    const shifted = new Uint8Array(raw.length + 3);
    shifted.set(raw, 3);
    const a = parseNpy(shifted.subarray(3));
    shifted.fill(0);
    expect((a.data as Float64Array)[5]).toBe(1.25);
  });
});

describe("parseNpy rejects bad input with a message naming the file and the problem", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["big-endian", fx("f8_big.npy"), /x\.npy: big-endian dtype '>f8'/],
    ["Fortran order", fx("f8_fortran.npy"), /x\.npy: Fortran-order/],
    ["object dtype", fx("obj.npy"), /x\.npy: unsupported dtype 'object'/],
    ["not npy", new TextEncoder().encode("hello, world, this is text"), /x\.npy: not a \.npy file/],
    [
      "truncated data",
      fx("f8_2x3.npy").subarray(0, 170),
      /x\.npy: truncated data: shape \(2, 3\).*48 bytes, file holds 42/,
    ],
    ["truncated header", fx("f8_2x3.npy").subarray(0, 40), /x\.npy: truncated header/],
    ["unknown version", Uint8Array.from([...fx("f4_3.npy").subarray(0, 6), 9, 0, 0, 0]), /version 9\.0/],
  ];
  for (const [what, bytes, re] of cases) {
    it(what, () => {
      expect(() => parseNpy(bytes, { name: "x.npy" })).toThrow(NpyError);
      expect(() => parseNpy(bytes, { name: "x.npy" })).toThrow(re);
    });
  }
  it("trailing garbage after the data", () => {
    const raw = fx("f4_3.npy");
    const more = new Uint8Array(raw.length + 4);
    more.set(raw);
    expect(() => parseNpy(more, { name: "x.npy" })).toThrow(/4 unexpected bytes after the data/);
  });
  it("float16 and corrupt header text", () => {
    const raw = fx("f4_3.npy");
    const f2 = raw.slice();
    f2[raw.indexOf(0x66 /* f */, 10) + 1] = 0x32; // '<f4' -> '<f2'
    expect(() => parseNpy(f2, { name: "x.npy" })).toThrow(/unsupported dtype '<f2'/);
    const bad = raw.slice();
    bad[10] = 0x28; // '{' -> '('
    expect(() => parseNpy(bad, { name: "x.npy" })).toThrow(/x\.npy: corrupt header/);
  });
  it("Fortran order is returned column-major when explicitly allowed", () => {
    const a = parseNpy(fx("f8_fortran.npy"), { allowFortranOrder: true });
    expect(a.fortranOrder).toBe(true);
    expect(Array.from(a.data as Float64Array)).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe("encodeNpy", () => {
  it("is byte-identical to np.save for the fixtures", () => {
    for (const f of ["f8_2x3.npy", "f4_3.npy", "i8_labels.npy", "u1_labels.npy", "i4_scalar.npy", "f8_empty.npy"]) {
      const raw = fx(f);
      const a = parseNpy(raw);
      expect(encodeNpy(a.data, a.shape), f).toEqual(raw);
    }
  });
  it("round-trips every dtype and keeps 64-byte alignment of the data", () => {
    const arrays = [
      new Float64Array([1, -0, Number.NaN, Number.POSITIVE_INFINITY]),
      new Float32Array([1, 2, 3, 4]),
      new Int8Array([-1, 2, -3, 4]),
      new Int16Array([-1, 2, -3, 4]),
      new Int32Array([-1, 2, -3, 4]),
      new BigInt64Array([-1n, 2n, -3n, 2n ** 40n]),
      new Uint8Array([1, 2, 3, 4]),
      new Uint16Array([1, 2, 3, 4]),
      new Uint32Array([1, 2, 3, 2 ** 31]),
      new BigUint64Array([1n, 2n, 3n, 2n ** 63n]),
    ];
    for (const d of arrays) {
      const bytes = encodeNpy(d, [2, 2]);
      const back = parseNpy(bytes);
      expect(back.shape).toEqual([2, 2]);
      expect(back.data).toEqual(d);
      expect((bytes.length - d.byteLength) % 64).toBe(0);
    }
  });
  it("rejects a shape that does not match the data", () => {
    expect(() => encodeNpy(new Float64Array(5), [2, 3])).toThrow(/holds 6 elements, data has 5/);
  });
});

describe("parseNpz", () => {
  it("reads np.savez and np.savez_compressed archives", () => {
    for (const f of ["pair.npz", "pairc.npz"]) {
      const z = parseNpz(fx(f), { name: f });
      expect(Object.keys(z).sort()).toEqual(["tr_labels", "tr_mem"]);
      expect(Array.from(npyToFloat64(z.tr_mem as never))).toEqual([Math.fround(0.1), 0.5]);
      expect(Array.from(npyToInt32(z.tr_labels as never))).toEqual([2, 7]);
    }
  });
  it("rejects a corrupt archive and names the member on a corrupt array", () => {
    expect(() => parseNpz(fx("pair.npz").subarray(0, 100), { name: "m.npz" })).toThrow(/m\.npz: not a valid \.npz/);
  });
});

describe("conversions", () => {
  it("npyToFloat64 refuses integer data, npyToInt32 refuses floats and out-of-range values", () => {
    expect(() => npyToFloat64(parseNpy(fx("i8_labels.npy")), "y.npy")).toThrow(/y\.npy: expected float32 or float64/);
    expect(() => npyToInt32(parseNpy(fx("f8_2x3.npy")), "y.npy")).toThrow(/expected an integer dtype, got float64/);
    const big = parseNpy(encodeNpy(new BigInt64Array([1n, 2n ** 40n]), [2]));
    expect(() => npyToInt32(big, "y.npy")).toThrow(/index 1 does not fit in int32/);
  });
});

describe("encodeNpz", () => {
  const entries = [
    ["meta", new TextEncoder().encode('{"a":1}'), [7]],
    ["x", Float64Array.from([1.5, -2, Number.NaN, 4]), [2, 2]],
    ["k", Int32Array.from([3, -1]), [2]],
  ] as const;

  it("round-trips names, dtypes, shapes and values through parseNpz", () => {
    const z = parseNpz(encodeNpz(entries), { name: "t.npz" });
    expect(Object.keys(z)).toEqual(["meta", "x", "k"]);
    expect(z.x?.shape).toEqual([2, 2]);
    expect(z.x?.dtype).toBe("f8");
    expect(Array.from(z.x?.data as Float64Array)).toEqual([1.5, -2, Number.NaN, 4]);
    expect(z.k?.dtype).toBe("i4");
    expect(Array.from(z.k?.data as Int32Array)).toEqual([3, -1]);
    expect(new TextDecoder().decode(z.meta?.data as Uint8Array)).toBe('{"a":1}');
  });

  it("is deterministic: the same arrays give the same bytes, whatever the clock or time zone", async () => {
    const a = encodeNpz(entries);
    await new Promise((r) => setTimeout(r, 1100));
    expect(encodeNpz(entries)).toEqual(a);
    expect(looksLikeZip(a)).toBe(true);
    // Stored entries: each member's .npy bytes appear verbatim in the archive.
    const npy = encodeNpy(entries[1][1], entries[1][2]);
    const hay = Buffer.from(a);
    expect(hay.indexOf(Buffer.from(npy))).toBeGreaterThan(0);
  });

  it("refuses duplicate and bad member names", () => {
    expect(() => encodeNpz([entries[1], entries[1]])).toThrow(/given twice/);
    expect(() => encodeNpz([["a/b", new Uint8Array(1), [1]]])).toThrow(/bad member name/);
  });

  it("names corrupt input: truncated, flipped bytes, not a zip", () => {
    const good = encodeNpz(entries);
    expect(() => parseNpz(good.subarray(0, good.length - 30), { name: "cut.npz" })).toThrow(NpyError);
    expect(() => parseNpz(new Uint8Array([1, 2, 3, 4]), { name: "junk.npz" })).toThrow(/junk\.npz: not a valid \.npz/);
    const flipped = good.slice();
    // Corrupt the first member's .npy magic: the zip's CRC or the npy parser must refuse it.
    const at = Buffer.from(flipped).indexOf(Buffer.from([0x93, 0x4e, 0x55, 0x4d]));
    flipped[at + 1] = 0;
    expect(() => parseNpz(flipped, { name: "flip.npz" })).toThrow(/flip\.npz/);
    expect(looksLikeZip(new Uint8Array([0x43, 0x46, 0x41, 0x31]))).toBe(false);
    // A flipped byte inside an array's data still parses as .npy: the CRC-32 catches it.
    const data = good.slice();
    const x = Buffer.from(data).indexOf(Buffer.from(new Float64Array([1.5]).buffer));
    data[x] = (data[x] as number) ^ 1;
    expect(() => parseNpz(data, { name: "bit.npz" })).toThrow(/bit\.npz: member x\.npy fails its CRC-32 check/);
  });
});
