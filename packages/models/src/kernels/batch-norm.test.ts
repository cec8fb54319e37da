// Batch norm on the wasm backend: its gradient (classfit's fast path) against tfjs's own
// gradient on the CPU backend, and the forward kernel against tfjs's rounding bit for bit.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { fusedBatchNormWasm } from "./batch-norm.js";
import type { WasmBackendLike } from "./module.js";
import { TFJS_KERNEL } from "./registry.js";
import { gradsOn, randomArray, relErr, rng } from "./test-data.js";

describe("classfit batch-norm gradient (wasm)", () => {
  beforeAll(async () => {
    await initBackend();
  });

  // Channel counts 16 and 32 take the 4-wide SIMD path only, 7 and 5 also the scalar remainder.
  const shapes: number[][] = [
    [4, 6, 6, 16],
    [3, 5, 7, 7],
    [2, 4, 4, 32],
    [9, 5],
  ];
  it.each(shapes.map((s, i) => [i, s] as const))(
    "batch norm in training mode (moments + batchNorm), case %i, matches tfjs's gradients on the CPU backend",
    (i, shape) => {
      const next = rng(100 + i);
      const c = shape[shape.length - 1] as number;
      const size = shape.reduce((a, b) => a * b, 1);
      const axes = shape.slice(0, -1).map((_, k) => k);
      const x = { data: randomArray(size, next, 0.5), shape };
      const gamma = { data: randomArray(c, next, 1), shape: [c] };
      const beta = { data: randomArray(c, next), shape: [c] };
      const weights = tf.tensor(randomArray(size, next), shape);
      const f = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(xt, axes);
        const y = tf.batchNorm(xt, mean, variance, b, g, 1e-3);
        return tf.sum(tf.mul(tf.square(y), weights));
      };
      const ref = gradsOn("cpu", f as (...xs: tf.Tensor[]) => tf.Tensor, [x, gamma, beta]);
      const got = gradsOn("wasm", f as (...xs: tf.Tensor[]) => tf.Tensor, [x, gamma, beta]);
      weights.dispose();
      for (let k = 0; k < 3; k++) expect(relErr(got[k] as Float32Array, ref[k] as Float32Array)).toBeLessThan(2e-5);
    },
  );

  it("batch norm with mean/variance as direct inputs (inference-style statistics) matches the CPU backend", () => {
    const next = rng(5);
    const shape = [2, 3, 3, 12];
    const x = { data: randomArray(216, next), shape };
    const mean = { data: randomArray(12, next), shape: [12] };
    const variance = { data: randomArray(12, next, 1.5), shape: [12] };
    const scale = tf.tensor(randomArray(12, next, 1));
    const offset = tf.tensor(randomArray(12, next));
    const f = (xt: tf.Tensor, m: tf.Tensor, v: tf.Tensor) =>
      tf.sum(tf.square(tf.batchNorm(xt, m, v, offset, scale, 1e-3)));
    const ref = gradsOn("cpu", f as (...xs: tf.Tensor[]) => tf.Tensor, [x, mean, variance]);
    const got = gradsOn("wasm", f as (...xs: tf.Tensor[]) => tf.Tensor, [x, mean, variance]);
    tf.dispose([scale, offset]);
    for (let k = 0; k < 3; k++) expect(relErr(got[k] as Float32Array, ref[k] as Float32Array)).toBeLessThan(2e-5);
  });
});

describe("classfit FusedBatchNorm forward (wasm)", () => {
  beforeAll(async () => {
    await initBackend();
  });

  // tfjs-backend-wasm 4.22's FusedBatchNorm rounding (see assembly/norm.ts): f32 for √, − and ×,
  // then t / r + offset in f64, rounded once to f32. JS doubles give exactly that.
  function reference(
    x: Float32Array,
    c: number,
    p: { mean: Float32Array; variance: Float32Array; scale: Float32Array; offset: Float32Array },
    eps: number,
  ): Float32Array {
    const f = Math.fround;
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const k = i % c;
      const r = f(Math.sqrt(f((p.variance[k] as number) + f(eps))));
      const t = f(f((x[i] as number) - (p.mean[k] as number)) * (p.scale[k] as number));
      out[i] = (p.offset[k] as number) + t / r;
    }
    return out;
  }

  // c = 16, 32, 64 take the SIMD path only; 7, 5 and 1 the scalar remainder too.
  const shapes: number[][] = [
    [3, 5, 5, 16],
    [2, 4, 3, 32],
    [2, 3, 3, 64],
    [4, 6, 6, 7],
    [9, 5],
    [2, 3, 3, 1],
  ];
  for (const [si, shape] of shapes.entries()) {
    it(`matches tfjs's rounding bit for bit, simd and scalar, shape [${shape}]`, () => {
      const next = rng(100 + si);
      const c = shape[shape.length - 1] as number;
      const size = shape.reduce((a, b) => a * b, 1);
      const x = randomArray(size, next, 0.3);
      const variance = randomArray(c, next, 1.5); // in (0.5, 2.5)
      const p = { mean: randomArray(c, next), variance, scale: randomArray(c, next), offset: randomArray(c, next) };
      const eps = 1e-3;
      const want = reference(x, c, p, eps);
      tf.setBackend("wasm");
      const backend = tf.backend() as unknown as WasmBackendLike;
      const xt = tf.tensor(x, shape);
      const ps = {
        mean: tf.tensor1d(p.mean),
        variance: tf.tensor1d(p.variance),
        scale: tf.tensor1d(p.scale),
        offset: tf.tensor1d(p.offset),
      };
      for (const variant of ["simd", "scalar"] as const) {
        const info = fusedBatchNormWasm(backend, { x: xt, ...ps }, eps, variant);
        expect(info).not.toBeNull();
        const t = tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
        expect(Array.from(t.dataSync())).toEqual(Array.from(want));
        t.dispose();
      }
      // Through tf.batchNorm, i.e. the registered kernel, as layers call it.
      const y = tf.batchNorm(xt, ps.mean, ps.variance, ps.offset, ps.scale, eps);
      expect(Array.from(y.dataSync())).toEqual(Array.from(want));
      // And tfjs-backend-wasm's own kernel, which the registered one replaces.
      const registered = tf.getKernel(tf.FusedBatchNorm, "wasm") as tf.KernelConfig & {
        [TFJS_KERNEL]?: tf.KernelConfig;
      };
      const original = registered[TFJS_KERNEL];
      expect(original).toBeDefined();
      const theirs = original?.kernelFunc({
        inputs: { x: xt, ...ps },
        backend: tf.backend(),
        attrs: { varianceEpsilon: eps },
      }) as tf.TensorInfo;
      const tt = tf.engine().makeTensorFromTensorInfo(theirs);
      expect(Array.from(tt.dataSync())).toEqual(Array.from(want));
      tf.dispose([xt, y, tt, ...Object.values(ps)]);
      // And close to the CPU backend (which computes in f64, rounding once).
      tf.setBackend("cpu");
      const yc = tf.batchNorm(tf.tensor(x, shape), p.mean, p.variance, p.offset, p.scale, eps);
      expect(relErr(yc.dataSync() as Float32Array, want)).toBeLessThan(1e-6);
      tf.setBackend("wasm");
    });
  }

  it("leaves cases it does not handle (no scale, broadcast scalar statistics) to tfjs's kernel", () => {
    tf.setBackend("wasm");
    const backend = tf.backend() as unknown as WasmBackendLike;
    const next = rng(7);
    const x = tf.tensor(randomArray(2 * 3 * 4, next), [2, 3, 4]);
    const m = tf.tensor1d(randomArray(4, next));
    const v = tf.tensor1d(randomArray(4, next, 2));
    expect(fusedBatchNormWasm(backend, { x, mean: m, variance: v }, 1e-3)).toBeNull();
    const s = tf.tensor1d([0.5]);
    expect(fusedBatchNormWasm(backend, { x, mean: m, variance: v, scale: s, offset: s }, 1e-3)).toBeNull();
    // The fallback still gives the right answer through the registered kernel.
    const y = tf.batchNorm(x, m, v, undefined, s, 1e-3).dataSync();
    const xs = x.dataSync();
    const ms = m.dataSync();
    const vs = v.dataSync();
    for (let i = 0; i < y.length; i++) {
      const k = i % 4;
      const want = (((xs[i] as number) - (ms[k] as number)) * 0.5) / Math.sqrt((vs[k] as number) + 1e-3);
      expect(Math.abs((y[i] as number) - want)).toBeLessThan(1e-5);
    }
    tf.dispose([x, m, v, s]);
  });
});
