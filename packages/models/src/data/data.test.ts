import { createCore } from "@classfit/wasm-core/node";
import { gzipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeNpy } from "../io/npy.js";
import {
  computeNormalisation,
  datasetFromCifar,
  datasetFromIdx,
  datasetFromNpy,
  fillBatch,
  parseIdx,
  permutation,
  syntheticDataset,
  validateDataset,
} from "./index.js";

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, 8, dims.length]);
  const dv = new DataView(out.buffer);
  dims.forEach((d, i) => {
    dv.setUint32(4 + 4 * i, d, false);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}

let core: Awaited<ReturnType<typeof createCore>>;
beforeAll(async () => {
  core = await createCore();
});

describe("IDX", () => {
  const pixels = Uint8Array.from({ length: 3 * 28 * 28 }, (_, i) => (i * 7) % 256);
  const labels = Uint8Array.from([2, 0, 9]);

  it("reads plain and gzipped files alike", () => {
    for (const wrap of [(b: Uint8Array) => b, (b: Uint8Array) => gzipSync(b)]) {
      const ds = datasetFromIdx(wrap(idx([3, 28, 28], pixels)), wrap(idx([3], labels)), { name: "t" });
      expect([ds.n, ds.height, ds.width, ds.channels, ds.numClasses]).toEqual([3, 28, 28, 1, 10]);
      expect(Array.from(ds.labels)).toEqual([2, 0, 9]);
      expect(Array.from(ds.images.subarray(0, 5))).toEqual(Array.from(pixels.subarray(0, 5)));
    }
  });

  it("rejects corrupt files with the file name and the problem", () => {
    const good = idx([3, 28, 28], pixels);
    expect(() => parseIdx(good.subarray(0, good.length - 5), "x.idx")).toThrow(
      /x\.idx: .*2352 bytes of data, the file holds 2347 \(truncated\)/,
    );
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4, 5]), "y.idx")).toThrow(
      /y\.idx: not an IDX file \(bad magic 01 02 03 04\)/,
    );
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 0]), "f.idx")).toThrow(
      /element type 0xd is not supported/,
    );
    const gz = gzipSync(good);
    expect(() => parseIdx(gz.subarray(0, 40), "z.gz")).toThrow(/z\.gz: corrupt gzip stream/);
    expect(() => datasetFromIdx(good, idx([2], labels.subarray(0, 2)), { name: "pair" })).toThrow(
      /pair: 3 images but 2 labels/,
    );
    expect(() => datasetFromIdx(good, idx([3], labels), { name: "k", numClasses: 5 })).toThrow(
      /k: label 9 of example 2 is out of range \[0, 5\)/,
    );
  });
});

describe("CIFAR binary", () => {
  it("reads CIFAR-10 and CIFAR-100 records, planar RGB to NHWC", () => {
    const rec = new Uint8Array(2 * 3073);
    for (let r = 0; r < 2; r++) {
      rec[r * 3073] = r === 0 ? 3 : 7;
      for (let p = 0; p < 1024; p++) {
        rec[r * 3073 + 1 + p] = 10 + r; // R plane
        rec[r * 3073 + 1 + 1024 + p] = 20 + r; // G plane
        rec[r * 3073 + 1 + 2048 + p] = (p % 256) as number; // B plane
      }
    }
    const ds = datasetFromCifar([{ name: "b1", bytes: rec }], { name: "c10", variant: 10 });
    expect([ds.n, ds.height, ds.width, ds.channels, ds.numClasses]).toEqual([2, 32, 32, 3, 10]);
    expect(Array.from(ds.labels)).toEqual([3, 7]);
    // pixel 5 of image 1: R = 11, G = 21, B = 5
    expect(Array.from(ds.images.subarray(3072 + 15, 3072 + 18))).toEqual([11, 21, 5]);

    const r100 = new Uint8Array(3074);
    r100[0] = 4; // coarse
    r100[1] = 88; // fine
    const fine = datasetFromCifar([{ name: "train.bin", bytes: r100 }], { name: "c100", variant: 100 });
    expect(fine.labels[0]).toBe(88);
    expect(fine.numClasses).toBe(100);
    const coarse = datasetFromCifar([{ name: "train.bin", bytes: r100 }], { name: "c100", variant: 100, coarse: true });
    expect(coarse.labels[0]).toBe(4);
  });

  it("rejects truncated files and impossible labels", () => {
    expect(() =>
      datasetFromCifar([{ name: "b.bin", bytes: new Uint8Array(3072) }], { name: "c", variant: 10 }),
    ).toThrow(/b\.bin: 3072 bytes is not a whole number of CIFAR-10 records \(3073 bytes each\)/);
    const bad = new Uint8Array(3073);
    bad[0] = 12;
    expect(() => datasetFromCifar([{ name: "b.bin", bytes: bad }], { name: "c", variant: 10 })).toThrow(
      /b\.bin: record 0 has label 12, out of range for CIFAR-10/,
    );
  });
});

describe(".npy images", () => {
  it("reads uint8 (n, h, w) and float32 (n, h, w, c) with integer labels", () => {
    const u8 = datasetFromNpy(
      encodeNpy(new Uint8Array(2 * 28 * 28).fill(3), [2, 28, 28]),
      encodeNpy(BigInt64Array.from([1n, 0n]), [2]),
      {
        name: "u8",
      },
    );
    expect([u8.n, u8.channels, u8.numClasses]).toEqual([2, 1, 2]);
    const f32 = datasetFromNpy(
      encodeNpy(new Float32Array(2 * 28 * 28 * 3).fill(0.5), [2, 28, 28, 3]),
      encodeNpy(Int32Array.from([4, 1]), [2]),
      {
        name: "f32",
      },
    );
    expect([f32.channels, f32.numClasses]).toEqual([3, 5]);
    expect(f32.images).toBeInstanceOf(Float32Array);
  });

  it("rejects bad shapes, dtypes, label counts and non-finite pixels", () => {
    const labels = encodeNpy(Int32Array.from([0, 1]), [2]);
    expect(() =>
      datasetFromNpy(encodeNpy(new Uint8Array(2 * 784), [2, 784]), labels, { name: "x", imagesName: "x.npy" }),
    ).toThrow(/x\.npy: expected shape \(n, h, w\) or \(n, h, w, c\), got \(2, 784\)/);
    expect(() =>
      datasetFromNpy(encodeNpy(new Int16Array(2 * 784), [2, 28, 28]), labels, { name: "x", imagesName: "x.npy" }),
    ).toThrow(/x\.npy: image dtype i2 is not supported/);
    expect(() =>
      datasetFromNpy(encodeNpy(new Uint8Array(3 * 784), [3, 28, 28]), labels, {
        name: "x",
        imagesName: "x.npy",
        labelsName: "y.npy",
      }),
    ).toThrow(/x: 3 images \(x\.npy\) but 2 labels \(y\.npy\)/);
    const nan = new Float32Array(2 * 784);
    nan[800] = Number.NaN;
    expect(() => datasetFromNpy(encodeNpy(nan, [2, 28, 28]), labels, { name: "nan" })).toThrow(
      /nan: non-finite pixel value NaN in example 1/,
    );
    expect(() =>
      datasetFromNpy(encodeNpy(new Uint8Array(2 * 784), [2, 28, 28]), encodeNpy(Int32Array.from([0, -1]), [2]), {
        name: "neg",
      }),
    ).toThrow(/neg: label -1 of example 1 is out of range/);
    expect(() => datasetFromNpy(Uint8Array.from([1, 2, 3]), labels, { name: "c", imagesName: "c.npy" })).toThrow(
      /c\.npy/,
    );
  });
});

describe("batches", () => {
  it("normalises per channel to mean 0, std 1 over the dataset", () => {
    const ds = syntheticDataset({ n: 12, channels: 3 });
    const norm = computeNormalisation(ds);
    const out = new Float32Array(ds.images.length);
    fillBatch(
      ds,
      Array.from({ length: ds.n }, (_, i) => i),
      norm,
      out,
    );
    for (let c = 0; c < 3; c++) {
      let s = 0;
      let ss = 0;
      let k = 0;
      for (let i = c; i < out.length; i += 3) {
        s += out[i] as number;
        ss += (out[i] as number) ** 2;
        k++;
      }
      expect(Math.abs(s / k)).toBeLessThan(1e-5);
      expect(Math.abs(ss / k - 1)).toBeLessThan(1e-4);
    }
  });

  it("augmentation: seeded crops and flips, zero padding in pixel space; the same seed gives the same batch", () => {
    // One 28×28 image whose pixel (r, c) = c: a horizontal ramp, so shifts and flips are visible.
    const images = new Uint8Array(784);
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) images[r * 28 + c] = c;
    const ds = validateDataset({
      name: "ramp",
      n: 1,
      height: 28,
      width: 28,
      channels: 1,
      numClasses: 2,
      images,
      labels: Int32Array.of(0),
    });
    const norm = { pixelScale: 1, mean: [0], std: [1] };
    const idx = new Array(64).fill(0);
    const run = (seed: number) => {
      const out = new Float32Array(64 * 784);
      const rng = core.rng(seed, 5);
      fillBatch(ds, idx, norm, out, { aug: { cropPadding: 2, flip: true }, rng });
      rng.dispose();
      return out;
    };
    const a = run(1);
    expect(Buffer.from(a.buffer).equals(Buffer.from(run(1).buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(run(2).buffer))).toBe(false);
    let flipped = 0;
    for (let j = 0; j < 64; j++) {
      const row = Array.from(a.subarray(j * 784 + 14 * 28, j * 784 + 15 * 28)); // the middle row
      const inner = row.filter((_, c) => c >= 2 && c < 26);
      const step = (inner[1] as number) - (inner[0] as number);
      expect(Math.abs(step)).toBe(1); // a ramp, ascending or (flipped) descending
      if (step < 0) flipped++;
      for (const v of row) expect(v >= 0 && v <= 27).toBe(true);
    }
    expect(flipped).toBeGreaterThan(16);
    expect(flipped).toBeLessThan(48);
  });

  it("permutation is a seeded permutation", () => {
    const r1 = core.rng(3, 0);
    const r2 = core.rng(3, 0);
    const p = permutation(1000, r1);
    expect(Array.from(p)).toEqual(Array.from(permutation(1000, r2)));
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    r1.dispose();
    r2.dispose();
  });
});
