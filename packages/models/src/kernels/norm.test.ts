// Batch-norm and reduction gradients on the wasm backend (classfit's fast paths) against tfjs's
// own gradients on the CPU backend; Identity without copies; a short ResNet training run on the
// wasm backend that lowers the loss and repeats bit for bit.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import type { WasmBackendLike } from "./module.js";
import { fusedBatchNormWasm, TFJS_KERNEL } from "./norm.js";
import { randomArray, relErr, rng } from "./test-data.js";

/** Gradients of f w.r.t. its inputs on `backend`, read back. */
function gradsOn(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Array<{ data: Float32Array; shape: number[] }>,
): Float32Array[] {
  tf.setBackend(backend);
  const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
  const gs = tf.grads(f)(xs);
  const out = gs.map((g) => g.dataSync() as Float32Array);
  tf.dispose([...xs, ...gs]);
  return out;
}

describe("classfit batch-norm and reduction gradients (wasm)", () => {
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

  const reductions: Array<[string, number[], number[]]> = [
    ["mean", [3, 5, 5, 8], [1, 2]], // global average pooling
    ["mean", [3, 5, 5, 7], [0, 1, 2]], // batch-norm moments
    ["sum", [4, 6, 9], [0, 1]],
    ["sum", [4, 6, 9], [2]],
    ["mean", [4, 6, 9], [0, 2]], // not contiguous: tfjs's own gradient
  ];
  it.each(reductions.map((r, i) => [i, ...r] as const))(
    "%i: %s over %j of %j: gradient matches the CPU backend",
    (i, op, shape, axes) => {
      const next = rng(200 + i);
      const size = shape.reduce((a, b) => a * b, 1);
      const weights = tf.tensor(randomArray(size, next), shape);
      const x = { data: randomArray(size, next), shape };
      const reduce = op === "mean" ? tf.mean : tf.sum;
      // Square after the reduction so dy varies across the reduced tensor's entries.
      const f = (xt: tf.Tensor) => tf.sum(tf.square(reduce(tf.mul(xt, weights), axes)));
      const [ref] = gradsOn("cpu", f as (...xs: tf.Tensor[]) => tf.Tensor, [x]);
      const [got] = gradsOn("wasm", f as (...xs: tf.Tensor[]) => tf.Tensor, [x]);
      weights.dispose();
      expect(relErr(got as Float32Array, ref as Float32Array)).toBeLessThan(1e-5);
    },
  );

  const forward: Array<[string, number[], number[], boolean]> = [
    ["mean", [4, 5, 5, 16], [0, 1, 2], false], // batch-norm moments
    ["mean", [4, 5, 5, 7], [1, 2], true], // global average pooling, keepDims
    ["sum", [3, 6, 10], [0], false],
    ["sum", [3, 6, 10], [1, 2], false], // innermost: tfjs's kernel
    ["mean", [3, 6, 10], [0, 2], false], // not contiguous: tfjs's kernel
  ];
  it.each(forward.map((r, i) => [i, ...r] as const))(
    "%i: %s over %j of %j (keepDims %s) matches the CPU backend",
    (i, op, shape, axes, keepDims) => {
      const data = randomArray(
        shape.reduce((a, b) => a * b, 1),
        rng(300 + i),
        0.25,
      );
      const run = (backend: string) => {
        tf.setBackend(backend);
        const x = tf.tensor(data, shape);
        const y = (op === "mean" ? tf.mean : tf.sum)(x, axes, keepDims);
        const out = { shape: y.shape, data: y.dataSync() as Float32Array };
        tf.dispose([x, y]);
        return out;
      };
      const ref = run("cpu");
      const got = run("wasm");
      expect(got.shape).toEqual(ref.shape);
      expect(relErr(got.data, ref.data)).toBeLessThan(1e-5);
    },
  );

  it("Cast to the same dtype shares the buffer; real conversions still convert", () => {
    tf.setBackend("wasm");
    const a = tf.tensor([1.5, -2.25, 3]);
    const before = tf.backend().numDataIds();
    const same = tf.cast(a, "float32");
    expect(tf.backend().numDataIds()).toBe(before);
    const asInt = tf.cast(a, "int32");
    expect(Array.from(asInt.dataSync())).toEqual([1, -2, 3]);
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.25, 3]);
    tf.dispose([a, same, asInt]);
  });

  it("Identity shares the buffer, and the original survives disposing the clone", () => {
    tf.setBackend("wasm");
    const a = tf.tensor([1, 2, 3, 4]);
    const before = tf.backend().numDataIds();
    const b = tf.clone(a);
    expect(tf.backend().numDataIds()).toBe(before);
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4]);
    b.dispose();
    expect(Array.from(a.dataSync())).toEqual([1, 2, 3, 4]);
    a.dispose();
  });
});

/** A tiny CIFAR-style ResNet (conv-BN-ReLU stem, one strided basic block with a 1×1 projection,
 * global average pooling, dense) on synthetic 12×12 images whose class sets a bright quadrant. */
function tinyResNet(seed: number): tfl.LayersModel {
  let s = seed;
  const conv = (x: tfl.SymbolicTensor, filters: number, k: number, strides: number) =>
    tfl.layers
      .conv2d({
        filters,
        kernelSize: k,
        strides,
        padding: "same",
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: s++ }),
      })
      .apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor) => tfl.layers.batchNormalization({}).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor) => tfl.layers.activation({ activation: "relu" }).apply(x) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [12, 12, 1] });
  const stem = relu(bn(conv(input, 8, 3, 1)));
  const y = bn(conv(relu(bn(conv(stem, 16, 3, 2))), 16, 3, 1));
  const shortcut = bn(conv(stem, 16, 1, 2));
  const merged = relu(tfl.layers.add().apply([y, shortcut]) as tfl.SymbolicTensor);
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(merged) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: 4, kernelInitializer: tfl.initializers.glorotUniform({ seed: s++ }) })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

function syntheticBatch(n: number): { x: tf.Tensor; y: tf.Tensor } {
  const next = rng(99);
  const xs = new Float32Array(n * 144);
  const ys = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const cls = i % 4;
    ys[i * 4 + cls] = 1;
    for (let r = 0; r < 12; r++)
      for (let c = 0; c < 12; c++) {
        const quadrant = (r < 6 ? 0 : 2) + (c < 6 ? 0 : 1);
        xs[i * 144 + r * 12 + c] = (quadrant === cls ? 1 : 0) + 0.3 * (next() - 0.5);
      }
  }
  return { x: tf.tensor4d(xs, [n, 12, 12, 1]), y: tf.tensor2d(ys, [n, 4]) };
}

async function trainTiny(steps: number): Promise<{ losses: number[]; weights: Uint8Array }> {
  tf.setBackend("wasm");
  const model = tinyResNet(3);
  model.compile({
    optimizer: tf.train.momentum(0.1, 0.9),
    loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp),
  });
  const { x, y } = syntheticBatch(16);
  const losses: number[] = [];
  const tensorsAfter: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push((await model.trainOnBatch(x, y)) as number);
    tensorsAfter.push(tf.memory().numTensors * 1e6 + tf.backend().numDataIds());
  }
  // No tensor or wasm-buffer leaks per step (the eager batch-norm gradients are all consumed or
  // disposed; shared Identity/Cast buffers are reference counted).
  expect(new Set(tensorsAfter.slice(1)).size).toBe(1);
  const parts = model.getWeights().map((w) => new Uint8Array((w.dataSync() as Float32Array).slice().buffer));
  const weights = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    weights.set(p, o);
    o += p.length;
  }
  tf.dispose([x, y]);
  model.dispose();
  return { losses, weights };
}

describe("training a small ResNet on the wasm backend", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("lowers the loss, and two identical seeded runs give identical weight bytes", async () => {
    const a = await trainTiny(8);
    const b = await trainTiny(8);
    const first = a.losses[0] as number;
    const last = a.losses[a.losses.length - 1] as number;
    expect(Number.isFinite(first)).toBe(true);
    expect(last).toBeLessThan(first * 0.8);
    expect(b.losses).toEqual(a.losses);
    expect(Buffer.from(b.weights).equals(Buffer.from(a.weights))).toBe(true);
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

describe("classfit Sub with a last-axis broadcast (wasm)", () => {
  beforeAll(async () => {
    await initBackend();
  });

  // [a shape, b shape]: the first three take the fast path (c = 16 SIMD only, 7 and 1 with the
  // scalar remainder); the rest go to tfjs's kernel (other broadcasts, same shapes, b first).
  const cases: Array<[number[], number[]]> = [
    [
      [4, 5, 5, 16],
      [1, 1, 1, 16],
    ],
    [[3, 4, 7], [7]],
    [
      [6, 1],
      [1, 1],
    ],
    [
      [4, 5, 3],
      [1, 5, 3],
    ],
    [
      [4, 5, 3],
      [4, 5, 3],
    ],
    [[3], [2, 3]],
    [
      [2, 3, 4],
      [1, 3, 1],
    ],
  ];
  for (const [i, [sa, sb]] of cases.entries()) {
    it(`equals the CPU backend exactly, a [${sa}] − b [${sb}]`, () => {
      const next = rng(300 + i);
      const a = randomArray(
        sa.reduce((p, q) => p * q, 1),
        next,
      );
      const b = randomArray(
        sb.reduce((p, q) => p * q, 1),
        next,
      );
      const on = (backend: string) => {
        tf.setBackend(backend);
        const t = tf.tidy(() => tf.sub(tf.tensor(a, sa), tf.tensor(b, sb)));
        const out = { shape: t.shape, data: Array.from(t.dataSync()) };
        t.dispose();
        return out;
      };
      const wasm = on("wasm");
      const cpu = on("cpu");
      tf.setBackend("wasm");
      expect(wasm.shape).toEqual(cpu.shape);
      expect(wasm.data).toEqual(cpu.data);
    });
  }

  it("leaves int32 to tfjs's kernel", () => {
    tf.setBackend("wasm");
    const y = tf.sub(tf.tensor2d([5, 7, 9, 11], [2, 2], "int32"), tf.tensor1d([1, 2], "int32"));
    expect(y.dtype).toBe("int32");
    expect(Array.from(y.dataSync())).toEqual([4, 5, 8, 9]);
    y.dispose();
  });
});
