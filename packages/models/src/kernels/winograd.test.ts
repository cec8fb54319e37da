// The Winograd F(2×2, 3×3) and F(4×4, 3×3) kernels (Conv2D, FusedConv2D, and both gradients of
// 3×3 stride-1 convolutions on the wasm backend) against tfjs's CPU backend over seeded random shapes,
// paddings (same, valid, explicit and asymmetric) and channel counts that exercise the 8-wide
// and 4-wide GEMM tiles and partial tile blocks; SIMD against the scalar twin, bit for bit; and
// the convolutions the kernels do not take (stride 2, channels not a multiple of 4) still right.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import {
  blockTiles,
  cachedFilterCount,
  type WasmBackendLike,
  winograd4Conv2d,
  winogradApplies,
  winogradBackpropFilter,
  winogradBackpropInput,
  winogradConv2d,
} from "./index.js";
import { kernelsFor, ptrOf } from "./module.js";
import { randomArray, relErr, rng, runOn as runKernelOn } from "./test-data.js";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];

/** test-data's runOn over flat data with the shapes given apart. */
function runOn(
  backend: string,
  kernel: string,
  inputs: Record<string, Float32Array>,
  shapes: Record<string, number[]>,
  attrs: object,
): Float32Array {
  const ins = Object.fromEntries(Object.entries(inputs).map(([k, data]) => [k, { shape: shapes[k] ?? [], data }]));
  return runKernelOn(backend, kernel, ins, attrs);
}

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  pad: Pad;
}

function randomCases(seed: number, count: number): Case[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const p = () => Math.floor(next() * 3);
    const pad: Pad =
      pick(["same", "valid", "explicit"] as const) === "explicit"
        ? [
            [0, 0],
            [p(), p()],
            [p(), p()],
            [0, 0],
          ]
        : pick(["same", "valid"] as const);
    cases.push({
      n: pick([1, 2, 3]),
      // Odd and even sizes (partial 2×2 tiles at the bottom/right edges), down to one pixel.
      h: 3 + Math.floor(next() * 10),
      w: 3 + Math.floor(next() * 10),
      ci: pick([4, 8, 12, 16, 20]),
      co: pick([4, 8, 12, 16, 20]),
      pad,
    });
  }
  // Enough tiles for several blocks, and a large-channel case (fewer tiles per block).
  cases.push({ n: 5, h: 14, w: 14, ci: 16, co: 16, pad: "same" });
  cases.push({ n: 3, h: 7, w: 7, ci: 64, co: 68, pad: "same" });
  return cases;
}

function readInfo(t: tf.TensorInfo): Float32Array {
  const out = tf.engine().makeTensorFromTensorInfo(t);
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

const infoOf = (c: Case) => tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [3, 3, c.ci, c.co], 1, 1, c.pad);

describe("Winograd F(2×2, 3×3) kernels (wasm)", () => {
  let backend: WasmBackendLike;
  beforeAll(async () => {
    await initBackend();
    backend = tf.findBackend("wasm") as unknown as WasmBackendLike;
  });

  const cases = randomCases(20261129, 16);
  it("covers several blocks and both GEMM tile widths", () => {
    const c = cases[cases.length - 2] as Case;
    expect(c.n * Math.ceil(c.h / 2) * Math.ceil(c.w / 2)).toBeGreaterThan(2 * blockTiles(c.ci, c.co));
    expect(cases.some((k) => k.co % 8 === 4)).toBe(true);
    expect(cases.every((k) => winogradApplies(infoOf(k)))).toBe(true);
  });

  it.each(cases.map((c, i) => [i, c] as const))(
    "Conv2D, FusedConv2D and both gradients match the CPU backend, case %i",
    (i, c) => {
      const next = rng(3000 + i);
      const info = infoOf(c);
      const outShape = info.outShape as number[];
      const shapes = {
        x: [c.n, c.h, c.w, c.ci],
        filter: [3, 3, c.ci, c.co],
        bias: [c.co],
        dy: outShape,
      };
      const x = randomArray(c.n * c.h * c.w * c.ci, next);
      const filter = randomArray(9 * c.ci * c.co, next);
      const bias = randomArray(c.co, next);
      const dy = randomArray(
        outShape.reduce((a, b) => a * b, 1),
        next,
      );
      const conv = { strides: 1, pad: c.pad, dataFormat: "NHWC", dilations: 1 };
      expect(
        relErr(
          runOn("wasm", "Conv2D", { x, filter }, shapes, conv),
          runOn("cpu", "Conv2D", { x, filter }, shapes, conv),
        ),
      ).toBeLessThan(1e-5);
      const fused = { ...conv, activation: "relu" };
      const gotF = runOn("wasm", "FusedConv2D", { x, filter, bias }, shapes, fused);
      const refF = runOn("cpu", "FusedConv2D", { x, filter, bias }, shapes, fused);
      expect(relErr(gotF, refF)).toBeLessThan(1e-5);
      expect(gotF.every((v) => v >= 0)).toBe(true);
      const bf = { strides: 1, pad: c.pad, dataFormat: "NHWC", filterShape: shapes.filter };
      expect(
        relErr(
          runOn("wasm", "Conv2DBackpropFilter", { x, dy }, shapes, bf),
          runOn("cpu", "Conv2DBackpropFilter", { x, dy }, shapes, bf),
        ),
      ).toBeLessThan(1e-5);
      // The registered kernels pick F(2×2) or F(4×4) by size, and the direct filter gradient for
      // small channel pairs; every variant is checked on every case here.
      tf.setBackend("wasm");
      {
        const xs = tf.tensor(x, shapes.x);
        const fs = tf.tensor(filter, shapes.filter);
        const bs = tf.tensor(bias, shapes.bias);
        const dys = tf.tensor(dy, shapes.dy);
        // A residual block's skip, added before the ReLU (dy's shape is the output's).
        const got = ([2, 4] as const).map((t) => ({
          fwd: readInfo(
            t === 4
              ? winograd4Conv2d(backend, xs, fs, bs, true, info)
              : winogradConv2d(backend, xs, fs, bs, true, info),
          ),
          withRes: readInfo(
            t === 4
              ? winograd4Conv2d(backend, xs, fs, bs, true, info, false, "simd", dys)
              : winogradConv2d(backend, xs, fs, bs, true, info, false, "simd", dys),
          ),
          dx: readInfo(winogradBackpropInput(backend, dys, fs, info, "simd", t)),
        }));
        tf.dispose([xs, fs, bs, dys]);
        const linear = runOn("cpu", "FusedConv2D", { x, filter, bias }, shapes, conv);
        const refRes = linear.map((v, j) => Math.max(0, v + (dy[j] as number)));
        const refDx = runOn("cpu", "Conv2DBackpropInput", { dy, filter }, shapes, {
          strides: 1,
          pad: c.pad,
          dataFormat: "NHWC",
          inputShape: shapes.x,
        });
        for (const g of got) {
          expect(relErr(g.fwd, refF)).toBeLessThan(1e-5);
          expect(relErr(g.withRes, refRes)).toBeLessThan(1e-5);
          expect(relErr(g.dx, refDx)).toBeLessThan(1e-5);
        }
      }
      tf.setBackend("wasm");
      const xs = tf.tensor(x, shapes.x);
      const dys = tf.tensor(dy, shapes.dy);
      const dws = ([2, 4] as const).map((t) => readInfo(winogradBackpropFilter(backend, xs, dys, info, "simd", t)));
      tf.dispose([xs, dys]);
      const refW = runOn("cpu", "Conv2DBackpropFilter", { x, dy }, shapes, bf);
      tf.setBackend("wasm");
      for (const dw of dws) expect(relErr(dw, refW)).toBeLessThan(1e-5);
      const bi = { strides: 1, pad: c.pad, dataFormat: "NHWC", inputShape: shapes.x };
      expect(
        relErr(
          runOn("wasm", "Conv2DBackpropInput", { dy, filter }, shapes, bi),
          runOn("cpu", "Conv2DBackpropInput", { dy, filter }, shapes, bi),
        ),
      ).toBeLessThan(1e-5);
    },
  );

  it.each(cases.slice(0, 6).map((c, i) => [i, c] as const))(
    "SIMD equals the scalar twin bit for bit, case %i",
    (i, c) => {
      tf.setBackend("wasm");
      const next = rng(4000 + i);
      const info = infoOf(c);
      const x = tf.tensor(randomArray(c.n * c.h * c.w * c.ci, next), [c.n, c.h, c.w, c.ci]);
      const filter = tf.tensor(randomArray(9 * c.ci * c.co, next), [3, 3, c.ci, c.co]);
      const bias = tf.tensor(randomArray(c.co, next), [c.co]);
      const dy = tf.tensor(randomArray(tf.util.sizeFromShape(info.outShape), next), info.outShape);
      const read = (t: tf.TensorInfo) => {
        const out = tf.engine().makeTensorFromTensorInfo(t);
        const data = out.dataSync() as Float32Array;
        out.dispose();
        return data;
      };
      const pairs: Array<[Float32Array, Float32Array]> = [
        [
          read(winogradConv2d(backend, x, filter, bias, true, info, false, "simd")),
          read(winogradConv2d(backend, x, filter, bias, true, info, false, "scalar")),
        ],
        [
          read(winograd4Conv2d(backend, x, filter, bias, true, info, false, "simd")),
          read(winograd4Conv2d(backend, x, filter, bias, true, info, false, "scalar")),
        ],
        [
          read(winogradConv2d(backend, x, filter, bias, true, info, false, "simd", dy)),
          read(winogradConv2d(backend, x, filter, bias, true, info, false, "scalar", dy)),
        ],
        [
          read(winograd4Conv2d(backend, x, filter, bias, false, info, false, "simd", dy)),
          read(winograd4Conv2d(backend, x, filter, bias, false, info, false, "scalar", dy)),
        ],
        [
          read(winogradBackpropInput(backend, dy, filter, info, "simd", 2)),
          read(winogradBackpropInput(backend, dy, filter, info, "scalar", 2)),
        ],
        [
          read(winogradBackpropInput(backend, dy, filter, info, "simd", 4)),
          read(winogradBackpropInput(backend, dy, filter, info, "scalar", 4)),
        ],
        [
          read(winogradBackpropFilter(backend, x, dy, info, "simd", 2)),
          read(winogradBackpropFilter(backend, x, dy, info, "scalar", 2)),
        ],
        [
          read(winogradBackpropFilter(backend, x, dy, info, "simd", 4)),
          read(winogradBackpropFilter(backend, x, dy, info, "scalar", 4)),
        ],
      ];
      for (const [simd, scalar] of pairs)
        expect(Buffer.from(simd.buffer).equals(Buffer.from(scalar.buffer))).toBe(true);
      tf.dispose([x, filter, bias, dy]);
    },
  );

  it("adds the residual in place when it is the output buffer (both tile sizes)", () => {
    tf.setBackend("wasm");
    const next = rng(6500);
    const c: Case = { n: 2, h: 9, w: 11, ci: 8, co: 12, pad: "same" };
    const info = infoOf(c);
    const x = tf.tensor(randomArray(c.n * c.h * c.w * c.ci, next), [c.n, c.h, c.w, c.ci]);
    const filter = tf.tensor(randomArray(9 * c.ci * c.co, next), [3, 3, c.ci, c.co]);
    const bias = tf.tensor(randomArray(c.co, next), [c.co]);
    const resData = randomArray(tf.util.sizeFromShape(info.outShape), next);
    const k = kernelsFor(backend);
    for (const tile of [2, 4] as const) {
      const res = tf.tensor(resData, info.outShape);
      const want = readInfo(
        (tile === 4 ? winograd4Conv2d : winogradConv2d)(backend, x, filter, bias, true, info, false, "simd", res),
      );
      const p = tile === 4 ? 36 : 16;
      const tb = tile === 4 ? 12 : blockTiles(c.ci, c.co);
      const bufs = [p * c.ci * c.co, p * tb * c.ci, p * tb * c.co, 160].map((f) => backend.wasm._malloc(4 * f));
      const [u, v, m, tmp] = bufs as [number, number, number, number];
      const geometry = [
        c.n,
        c.h,
        c.w,
        c.ci,
        info.outHeight,
        info.outWidth,
        c.co,
        info.padInfo.top,
        info.padInfo.left,
        1,
        tb,
      ] as const;
      const ptrs = [ptrOf(backend, x), u, ptrOf(backend, bias), ptrOf(backend, res), ptrOf(backend, res)] as const;
      if (tile === 4) {
        k.winograd4Filter(ptrOf(backend, filter), u, c.ci, c.co, 0);
        k.winograd4Conv(...ptrs, v, m, tmp, ...geometry);
      } else {
        k.winogradFilter(ptrOf(backend, filter), u, c.ci, c.co, 0);
        k.winogradConv(...ptrs, v, m, ...geometry);
      }
      for (const b of bufs) backend.wasm._free(b);
      const got = res.dataSync() as Float32Array;
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      res.dispose();
    }
    tf.dispose([x, filter, bias]);
  });

  it("transforms each forward filter once while it lives, and frees the transform after tfjs disposes it", () => {
    tf.setBackend("wasm");
    const next = rng(6000);
    const x = tf.tensor(randomArray(2 * 9 * 9 * 8, next), [2, 9, 9, 8]);
    const f = tf.tensor(randomArray(9 * 64, next), [3, 3, 8, 8]);
    const a = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same");
    // The first call also freed the transforms of filters earlier tests disposed.
    const held = cachedFilterCount(backend);
    const b = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same");
    expect(cachedFilterCount(backend)).toBe(held);
    expect(
      Buffer.from((a.dataSync() as Float32Array).buffer).equals(Buffer.from((b.dataSync() as Float32Array).buffer)),
    ).toBe(true);
    f.dispose();
    // A new filter (its data may land where f's was) gets its own transform; f's is freed.
    const gData = randomArray(9 * 64, next);
    const g = tf.tensor(gData, [3, 3, 8, 8]);
    const c = tf.conv2d(x as tf.Tensor4D, g as tf.Tensor4D, 1, "same");
    expect(cachedFilterCount(backend)).toBe(held);
    const shapes = { x: [2, 9, 9, 8], filter: [3, 3, 8, 8] };
    const ref = runOn("cpu", "Conv2D", { x: x.dataSync() as Float32Array, filter: gData }, shapes, {
      strides: 1,
      pad: "same",
      dataFormat: "NHWC",
      dilations: 1,
    });
    tf.setBackend("wasm");
    expect(relErr(c.dataSync() as Float32Array, ref)).toBeLessThan(1e-5);
    // Input-gradient transforms are not kept (training's weights change every step).
    const info = tf.backend_util.computeConv2DInfo([2, 9, 9, 8], [3, 3, 8, 8], 1, 1, "same");
    const dx = tf.engine().makeTensorFromTensorInfo(winogradBackpropInput(backend, c, g, info));
    expect(cachedFilterCount(backend)).toBe(held);
    tf.dispose([x, g, a, b, c, dx]);
  });

  it("leaves the convolutions it does not take to the other kernels, still right", () => {
    const next = rng(5000);
    for (const [ci, stride, k] of [
      [3, 1, 3],
      [8, 2, 3],
      [8, 1, 5],
      [8, 1, 1],
    ] as const) {
      const info = tf.backend_util.computeConv2DInfo([2, 9, 9, ci], [k, k, ci, 8], stride, 1, "same");
      expect(winogradApplies(info)).toBe(false);
      const shapes = { x: [2, 9, 9, ci], filter: [k, k, ci, 8] };
      const x = randomArray(2 * 81 * ci, next);
      const filter = randomArray(k * k * ci * 8, next);
      const attrs = { strides: stride, pad: "same", dataFormat: "NHWC", dilations: 1 };
      expect(
        relErr(
          runOn("wasm", "Conv2D", { x, filter }, shapes, attrs),
          runOn("cpu", "Conv2D", { x, filter }, shapes, attrs),
        ),
      ).toBeLessThan(1e-5);
    }
  });
});
