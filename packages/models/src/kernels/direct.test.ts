// The direct forward convolution (assembly/direct.ts through directConv2d) against tfjs's CPU
// backend (conv2d, + bias, + residual, relu) over seeded random shapes: 1 to 16 input channels
// (the one-channel stem among them), output channels that exercise the 8-wide and 4-wide tiles,
// 1×1 and 3×3 filters, strides 1 and 2, 'same' (asymmetric), 'valid' and explicit paddings,
// widths that leave 4-pixel-tile remainders and border columns; SIMD against the scalar twin, bit
// for bit, on every case; the in-place residual (out = res) equal to the out-of-place result; and
// the shipped ResNet's shapes that the kernel is for.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { directApplies, directConv2d, type WasmBackendLike } from "./index.js";
import { kernelsFor, ptrOf } from "./module.js";
import { randomArray, relErr, rng } from "./test-data.js";

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: [number, number];
  pad: Pad;
  bias: boolean;
  res: boolean;
  relu: boolean;
}

function randomCases(seed: number, count: number): Case[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const k = pick([1, 3]);
    const p = () => Math.floor(next() * 3);
    const padKind = pick(["same", "valid", "explicit"] as const);
    cases.push({
      n: pick([1, 2, 3]),
      // From one output column to several 4-pixel tiles with a remainder.
      h: k + Math.floor(next() * 12),
      w: k + Math.floor(next() * 12),
      ci: pick([1, 3, 8, 16]),
      co: pick([4, 8, 12, 16, 64]),
      k,
      stride: [pick([1, 2]), pick([1, 2])],
      pad:
        padKind === "explicit"
          ? [
              [0, 0],
              [p(), p()],
              [p(), p()],
              [0, 0],
            ]
          : padKind,
      bias: next() < 0.5,
      res: next() < 0.5,
      relu: next() < 0.5,
    });
  }
  return cases;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function readInfo(t: tf.TensorInfo): Float32Array {
  const out = tf.engine().makeTensorFromTensorInfo(t);
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

const bitwiseEqual = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

interface Data {
  info: tf.backend_util.Conv2DInfo;
  xShape: Shape4;
  fShape: Shape4;
  x: Float32Array;
  filter: Float32Array;
  bias: Float32Array | null;
  res: Float32Array | null;
}

function makeData(c: Case, seed: number): Data {
  const next = rng(seed);
  const xShape: Shape4 = [c.n, c.h, c.w, c.ci];
  const fShape: Shape4 = [c.k, c.k, c.ci, c.co];
  const info = tf.backend_util.computeConv2DInfo(xShape, fShape, c.stride, 1, c.pad);
  return {
    info,
    xShape,
    fShape,
    x: randomArray(size(xShape), next),
    filter: randomArray(size(fShape), next),
    bias: c.bias ? randomArray(c.co, next) : null,
    res: c.res ? randomArray(size(info.outShape), next) : null,
  };
}

/** tfjs's CPU backend: relu?(conv2d(x, filter) + bias + res), in that order. */
function reference(c: Case, d: Data): Float32Array {
  tf.setBackend("cpu");
  return tf.tidy(() => {
    let y: tf.Tensor = tf.conv2d(tf.tensor4d(d.x, d.xShape), tf.tensor4d(d.filter, d.fShape), c.stride, c.pad);
    if (d.bias) y = tf.add(y, tf.tensor1d(d.bias));
    if (d.res) y = tf.add(y, tf.tensor(d.res, d.info.outShape));
    if (c.relu) y = tf.relu(y);
    return y.dataSync() as Float32Array;
  });
}

describe("direct forward convolution (wasm)", () => {
  let backend: WasmBackendLike;
  beforeAll(async () => {
    await initBackend();
    backend = tf.findBackend("wasm") as unknown as WasmBackendLike;
  });

  /** directConv2d's SIMD and scalar results, and both kernels again with the output written over
   * the residual tensor itself (when the case has one). */
  function runWasm(c: Case, d: Data) {
    tf.setBackend("wasm");
    const x = tf.tensor(d.x, d.xShape);
    const filter = tf.tensor(d.filter, d.fShape);
    const bias = d.bias ? tf.tensor(d.bias, [d.info.outChannels]) : null;
    const res = d.res ? tf.tensor(d.res, d.info.outShape) : null;
    const simd = readInfo(directConv2d(backend, x, filter, bias, res, c.relu, d.info, "simd"));
    const scalar = readInfo(directConv2d(backend, x, filter, bias, res, c.relu, d.info, "scalar"));
    const inPlace: Float32Array[] = [];
    if (d.res) {
      const k = kernelsFor(backend);
      for (const kernel of [k.directConv, k.directConvScalar]) {
        const r = tf.tensor(d.res, d.info.outShape);
        const rp = ptrOf(backend, r);
        const i = d.info;
        kernel(
          ptrOf(backend, x),
          ptrOf(backend, filter),
          bias ? ptrOf(backend, bias) : 0,
          rp,
          rp,
          ...[i.batchSize, i.inHeight, i.inWidth, i.inChannels, i.outHeight, i.outWidth, i.outChannels],
          ...[i.filterHeight, i.filterWidth, i.strideHeight, i.strideWidth, i.padInfo.top, i.padInfo.left],
          c.relu ? 1 : 0,
        );
        inPlace.push(r.dataSync() as Float32Array);
        r.dispose();
      }
    }
    tf.dispose([x, filter, ...(bias ? [bias] : []), ...(res ? [res] : [])]);
    return { simd, scalar, inPlace };
  }

  function check(c: Case, seed: number) {
    const d = makeData(c, seed);
    expect(directApplies(d.info)).toBe(true);
    const got = runWasm(c, d);
    const ref = reference(c, d);
    expect(got.simd.length).toBe(size(d.info.outShape));
    expect(relErr(got.simd, ref)).toBeLessThan(1e-5);
    expect(bitwiseEqual(got.simd, got.scalar)).toBe(true);
    for (const p of got.inPlace) expect(bitwiseEqual(p, got.simd)).toBe(true);
    if (c.relu) expect(got.simd.every((v) => v >= 0)).toBe(true);
  }

  const cases = randomCases(20261201, 48);
  it("covers the channel counts, filters, strides, paddings and epilogues asked for", () => {
    for (const ci of [1, 3, 8, 16]) expect(cases.some((c) => c.ci === ci)).toBe(true);
    for (const co of [4, 8, 12, 16, 64]) expect(cases.some((c) => c.co === co)).toBe(true);
    for (const k of [1, 3])
      for (const s of [1, 2]) expect(cases.some((c) => c.k === k && c.stride[0] === s)).toBe(true);
    for (const pad of ["same", "valid", "explicit"]) {
      expect(cases.some((c) => (typeof c.pad === "string" ? c.pad : "explicit") === pad)).toBe(true);
    }
    expect(cases.some((c) => c.bias && c.res && c.relu)).toBe(true);
    expect(cases.some((c) => !c.bias && !c.res && !c.relu)).toBe(true);
    // Asymmetric 'same' padding (stride 2 on an even size pads only the bottom/right).
    expect(
      cases.some((c) => {
        const p = makeData(c, 0).info.padInfo;
        return p.top !== p.bottom || p.left !== p.right;
      }),
    ).toBe(true);
  });

  it.each(cases.map((c, i) => [i, c] as const))(
    "matches the CPU backend, SIMD = scalar bitwise, in place = out of place, case %i",
    (i, c) => check(c, 7000 + i),
  );

  // Edges the random cases may miss: interior shorter than one 4-pixel tile, exactly one tile, a
  // tile plus a 1–3 column remainder (the overlapping last tile, in place), no interior at all
  // (every column on a border), rows and columns that read only padding.
  const edges: Case[] = [
    { n: 1, h: 5, w: 5, ci: 3, co: 12, k: 3, stride: [1, 1], pad: "same", bias: true, res: true, relu: true },
    { n: 2, h: 6, w: 6, ci: 8, co: 8, k: 3, stride: [1, 1], pad: "same", bias: false, res: true, relu: false },
    { n: 1, h: 4, w: 9, ci: 1, co: 4, k: 3, stride: [1, 1], pad: "same", bias: true, res: true, relu: true },
    { n: 1, h: 3, w: 2, ci: 5, co: 8, k: 3, stride: [1, 1], pad: "same", bias: true, res: true, relu: false },
    {
      n: 1,
      h: 3,
      w: 3,
      ci: 2,
      co: 12,
      k: 1,
      stride: [1, 1],
      pad: [
        [0, 0],
        [2, 1],
        [1, 2],
        [0, 0],
      ],
      bias: true,
      res: true,
      relu: true,
    },
    { n: 1, h: 13, w: 14, ci: 3, co: 20, k: 3, stride: [2, 2], pad: "same", bias: true, res: true, relu: true },
  ];
  it.each(edges.map((c, i) => [i, c] as const))("edge case %i", (i, c) => check(c, 8000 + i));

  // The shipped ResNet's convolutions this kernel replaces XNNPACK on, batch 64: the stem, the
  // stride-2 3×3 convolutions ('same': asymmetric padding from 28 and 14 px) and the 1×1 stride-2
  // projection shortcuts.
  const resnet: Array<[string, Case]> = [
    ["stem 3x3 s1 [64,28,28,1]->8", { ...base(28, 1, 8, 3, 1), relu: true }],
    ["3x3 s2 [64,28,28,8]->16", { ...base(28, 8, 16, 3, 2), relu: true }],
    ["3x3 s2 [64,14,14,16]->32", { ...base(14, 16, 32, 3, 2), relu: true }],
    ["3x3 s2 [64,7,7,32]->64", { ...base(7, 32, 64, 3, 2), relu: true }],
    ["1x1 s2 [64,28,28,8]->16", base(28, 8, 16, 1, 2)],
    ["1x1 s2 [64,14,14,16]->32", base(14, 16, 32, 1, 2)],
    ["1x1 s2 [64,7,7,32]->64", base(7, 32, 64, 1, 2)],
  ];
  function base(hw: number, ci: number, co: number, k: number, s: number): Case {
    return { n: 64, h: hw, w: hw, ci, co, k, stride: [s, s], pad: "same", bias: true, res: false, relu: false };
  }
  it.each(resnet.map(([name, c], i) => [name, i, c] as const))("ResNet shape %s", (_, i, c) => check(c, 9000 + i));

  it("SIMD kernel: output channels not a multiple of 4 (outside directApplies) still equal the twin", () => {
    tf.setBackend("wasm");
    const k = kernelsFor(backend);
    for (const [co, stride] of [
      [3, 1],
      [6, 2],
      [13, 1],
    ] as const) {
      const c: Case = {
        n: 2,
        h: 9,
        w: 10,
        ci: 3,
        co,
        k: 3,
        stride: [stride, stride],
        pad: "same",
        bias: true,
        res: true,
        relu: true,
      };
      const d = makeData(c, 9500 + co);
      expect(directApplies(d.info)).toBe(false);
      expect(directApplies(d.info, "scalar")).toBe(true);
      const x = tf.tensor(d.x, d.xShape);
      const f = tf.tensor(d.filter, d.fShape);
      const b = tf.tensor(d.bias as Float32Array, [co]);
      const outs = [k.directConv, k.directConvScalar].map((kernel) => {
        const r = tf.tensor(d.res as Float32Array, d.info.outShape);
        const rp = ptrOf(backend, r);
        const i = d.info;
        kernel(
          ptrOf(backend, x),
          ptrOf(backend, f),
          ptrOf(backend, b),
          rp,
          rp,
          ...[i.batchSize, i.inHeight, i.inWidth, i.inChannels, i.outHeight, i.outWidth, i.outChannels],
          ...[i.filterHeight, i.filterWidth, i.strideHeight, i.strideWidth, i.padInfo.top, i.padInfo.left, 1],
        );
        const v = r.dataSync() as Float32Array;
        r.dispose();
        return v;
      }) as [Float32Array, Float32Array];
      tf.dispose([x, f, b]);
      expect(bitwiseEqual(outs[0], outs[1])).toBe(true);
      expect(relErr(outs[0], reference(c, d))).toBeLessThan(1e-5);
      tf.setBackend("wasm");
    }
  });

  it("applies to NHWC undilated convolutions only, and rejects tensors that do not fit the geometry", () => {
    const info = (dil: number, co = 8) =>
      tf.backend_util.computeConv2DInfo([1, 8, 8, 4], [3, 3, 4, co], 2, dil, "same") as tf.backend_util.Conv2DInfo;
    expect(directApplies(info(1))).toBe(true);
    expect(directApplies(info(2))).toBe(false);
    expect(directApplies(info(1, 6))).toBe(false);
    expect(directApplies({ ...info(1), dataFormat: "channelsFirst" })).toBe(false);
    tf.setBackend("wasm");
    const x = tf.zeros([1, 8, 8, 4]);
    const f = tf.zeros([3, 3, 4, 8]);
    const wrongRes = tf.zeros([1, 4, 4, 4]);
    expect(() => directConv2d(backend, x, f, null, wrongRes, false, info(1))).toThrow(/do not match/);
    expect(() => directConv2d(backend, x, f, null, null, false, info(2))).toThrow(/not supported/);
    tf.dispose([x, f, wrongRes]);
  });
});
