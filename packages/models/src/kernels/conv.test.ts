// classfit's conv gradient kernels on the wasm backend against tfjs's CPU backend (the reference
// implementation of the same kernels), over seeded random shapes, strides, paddings and batches;
// dilations (which tfjs's conv2d gradient does not emit) against a direct loop; SIMD against the
// scalar twin, bit for bit.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { conv2dBackpropFilterInfo, conv2dBackpropInputInfo, type WasmBackendLike } from "./index.js";
import { randomArray, relErr, rng, runOn } from "./test-data.js";

type Shape4 = [number, number, number, number];

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  stride: [number, number];
  pad: "same" | "valid";
}

function randomCases(seed: number, count: number): Case[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const kh = pick([1, 2, 3, 5]);
    const kw = pick([1, 3, kh]);
    cases.push({
      n: pick([1, 2, 3]),
      h: kh + Math.floor(next() * 9),
      w: kw + Math.floor(next() * 9),
      // Channel counts cover the 4×8 SIMD tiles, their 1-wide and scalar remainders.
      ci: pick([1, 3, 4, 5, 8, 12, 16]),
      co: pick([1, 4, 7, 8, 10, 16, 19]),
      kh,
      kw,
      stride: [pick([1, 2]), pick([1, 2])],
      pad: pick(["same", "valid"] as const),
    });
  }
  return cases;
}

describe("classfit conv gradient kernels (wasm)", () => {
  beforeAll(async () => {
    await initBackend();
  });

  const cases = randomCases(20260301, 24);
  it.each(cases.map((c, i) => [i, c] as const))("Conv2DBackpropFilter matches the CPU backend, case %i", (i, c) => {
    const next = rng(1000 + i);
    const outShape = tf.backend_util.computeConv2DInfo(
      [c.n, c.h, c.w, c.ci],
      [c.kh, c.kw, c.ci, c.co],
      c.stride,
      1,
      c.pad,
    ).outShape as number[];
    const x = { shape: [c.n, c.h, c.w, c.ci], data: randomArray(c.n * c.h * c.w * c.ci, next) };
    const dy = {
      shape: outShape,
      data: randomArray(
        outShape.reduce((a, b) => a * b, 1),
        next,
      ),
    };
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: "NHWC", filterShape: [c.kh, c.kw, c.ci, c.co] };
    const ref = runOn("cpu", "Conv2DBackpropFilter", { x, dy }, attrs);
    const got = runOn("wasm", "Conv2DBackpropFilter", { x, dy }, attrs);
    expect(relErr(got, ref)).toBeLessThan(1e-5);
  });

  it.each(cases.map((c, i) => [i, c] as const))("Conv2DBackpropInput matches the CPU backend, case %i", (i, c) => {
    const next = rng(2000 + i);
    const outShape = tf.backend_util.computeConv2DInfo(
      [c.n, c.h, c.w, c.ci],
      [c.kh, c.kw, c.ci, c.co],
      c.stride,
      1,
      c.pad,
    ).outShape as number[];
    const dy = {
      shape: outShape,
      data: randomArray(
        outShape.reduce((a, b) => a * b, 1),
        next,
      ),
    };
    const filter = { shape: [c.kh, c.kw, c.ci, c.co], data: randomArray(c.kh * c.kw * c.ci * c.co, next) };
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: "NHWC", inputShape: [c.n, c.h, c.w, c.ci] };
    const ref = runOn("cpu", "Conv2DBackpropInput", { dy, filter }, attrs);
    const got = runOn("wasm", "Conv2DBackpropInput", { dy, filter }, attrs);
    expect(relErr(got, ref)).toBeLessThan(1e-5);
  });

  const explicitPads: Array<[number[], number[], [number, number], number | number[][]]> = [
    [
      [2, 7, 8, 5],
      [3, 3, 5, 9],
      [1, 2],
      [
        [0, 0],
        [1, 2],
        [2, 0],
        [0, 0],
      ],
    ],
    [[1, 9, 6, 4], [2, 3, 4, 8], [2, 1], 1],
  ];
  it.each(explicitPads.map((e, i) => [i, ...e] as const))(
    "explicit padding %i (x %j, filter %j, strides %j, pad %j): both kernels match the CPU backend",
    (i, xShape, fShape, strides, pad) => {
      const next = rng(4000 + i);
      const outShape = tf.backend_util.computeConv2DInfo(
        xShape as Shape4,
        fShape as Shape4,
        strides,
        1,
        pad as tf.backend_util.ExplicitPadding,
      ).outShape as number[];
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const x = { shape: xShape, data: randomArray(size(xShape), next) };
      const dy = { shape: outShape, data: randomArray(size(outShape), next) };
      const filter = { shape: fShape, data: randomArray(size(fShape), next) };
      const fAttrs = { strides, pad, dataFormat: "NHWC", filterShape: fShape };
      const iAttrs = { strides, pad, dataFormat: "NHWC", inputShape: xShape };
      expect(
        relErr(
          runOn("wasm", "Conv2DBackpropFilter", { x, dy }, fAttrs),
          runOn("cpu", "Conv2DBackpropFilter", { x, dy }, fAttrs),
        ),
      ).toBeLessThan(1e-5);
      expect(
        relErr(
          runOn("wasm", "Conv2DBackpropInput", { dy, filter }, iAttrs),
          runOn("cpu", "Conv2DBackpropInput", { dy, filter }, iAttrs),
        ),
      ).toBeLessThan(1e-5);
    },
  );

  it("the gradient of a strided conv2d through tf.grads matches the CPU backend", () => {
    const next = rng(7);
    const xs = randomArray(2 * 9 * 9 * 6, next);
    const ws = randomArray(3 * 3 * 6 * 16, next);
    const grads = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.square(tf.conv2d(x, w, 2, "same")));
        const [gx, gw] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([
          tf.tensor4d(xs, [2, 9, 9, 6]),
          tf.tensor4d(ws, [3, 3, 6, 16]),
        ]) as [tf.Tensor, tf.Tensor];
        return [gx.dataSync() as Float32Array, gw.dataSync() as Float32Array];
      });
    };
    const [rx, rw] = grads("cpu") as [Float32Array, Float32Array];
    const [gx, gw] = grads("wasm") as [Float32Array, Float32Array];
    expect(relErr(gx, rx)).toBeLessThan(1e-5);
    expect(relErr(gw, rw)).toBeLessThan(1e-5);
  });

  // Dilated geometry and the SIMD/scalar pair, through the Conv2DInfo-level entry points.
  const dilated: Array<[Shape4, Shape4, [number, number], [number, number], "same" | "valid"]> = [
    [[2, 11, 10, 5], [3, 3, 5, 12], [1, 1], [2, 2], "same"],
    [[1, 13, 12, 8], [3, 2, 8, 9], [2, 1], [2, 3], "valid"],
    [[3, 9, 9, 4], [2, 2, 4, 16], [1, 2], [3, 1], "same"],
    // Fewer than 4 input channels (the input-gradient kernel's pixels-as-lanes path): a stem.
    [[2, 10, 9, 1], [3, 3, 1, 16], [1, 1], [1, 1], "same"],
    [[3, 9, 7, 3], [3, 3, 3, 10], [2, 1], [1, 2], "valid"],
  ];
  it.each(dilated.map((d, i) => [i, d] as const))(
    "dilated case %i: SIMD equals scalar twin bitwise and a direct loop",
    (i, d) => {
      tf.setBackend("wasm");
      const backend = tf.backend() as unknown as WasmBackendLike;
      const [inShape, fShape, strides, dilations, pad] = d;
      const info = tf.backend_util.computeConv2DInfo(inShape, fShape, strides, dilations, pad);
      const next = rng(3000 + i);
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const xData = randomArray(size(inShape), next);
      const dyData = randomArray(size(info.outShape), next);
      const wData = randomArray(size(fShape), next);
      const x = tf.tensor(xData, inShape);
      const dy = tf.tensor(dyData, info.outShape);
      const w = tf.tensor(wData, fShape);
      const read = (t: tf.TensorInfo) => {
        const r = tf.engine().makeTensorFromTensorInfo(t);
        const v = r.dataSync() as Float32Array;
        r.dispose();
        return v;
      };
      const dwSimd = read(conv2dBackpropFilterInfo(backend, x, dy, info, "simd"));
      const dwScalar = read(conv2dBackpropFilterInfo(backend, x, dy, info, "scalar"));
      const dxSimd = read(conv2dBackpropInputInfo(backend, dy, w, info, "simd"));
      const dxScalar = read(conv2dBackpropInputInfo(backend, dy, w, info, "scalar"));
      tf.dispose([x, dy, w]);
      expect(Buffer.from(dwSimd.buffer).equals(Buffer.from(dwScalar.buffer))).toBe(true);
      expect(Buffer.from(dxSimd.buffer).equals(Buffer.from(dxScalar.buffer))).toBe(true);

      // Direct loop in f64: y[n,oy,ox,o] = Σ x[n, oy·sh − top + ky·dh, ox·sw − left + kx·dw, c] · w[ky,kx,c,o].
      const [n, h, wd, ci] = inShape;
      const [kh, kw, , co] = fShape;
      const { outHeight: oh, outWidth: ow } = info;
      const { top, left } = info.padInfo;
      const refDw = new Float64Array(size(fShape));
      const refDx = new Float64Array(size(inShape));
      for (let b = 0; b < n; b++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * strides[0] - top + ky * dilations[0];
                const ix = ox * strides[1] - left + kx * dilations[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                for (let c = 0; c < ci; c++)
                  for (let o = 0; o < co; o++) {
                    const g = dyData[((b * oh + oy) * ow + ox) * co + o] as number;
                    const xi = ((b * h + iy) * wd + ix) * ci + c;
                    const wi = ((ky * kw + kx) * ci + c) * co + o;
                    refDw[wi] = (refDw[wi] as number) + (xData[xi] as number) * g;
                    refDx[xi] = (refDx[xi] as number) + (wData[wi] as number) * g;
                  }
              }
      expect(relErr(dwSimd, Float32Array.from(refDw))).toBeLessThan(1e-5);
      expect(relErr(dxSimd, Float32Array.from(refDx))).toBeLessThan(1e-5);
    },
  );

  it("names the backend when the kernels are used off the wasm heap", () => {
    const fake = { wasm: {}, dataIdMap: { get: () => undefined } } as unknown as WasmBackendLike;
    const info = tf.backend_util.computeConv2DInfo([1, 4, 4, 1], [3, 3, 1, 1], 1, 1, "same");
    const t = { dataId: {}, shape: [1, 4, 4, 1], dtype: "float32" } as tf.TensorInfo;
    expect(() => conv2dBackpropFilterInfo(fake, t, t, info)).toThrow(/not attached to this wasm backend/);
  });
});
