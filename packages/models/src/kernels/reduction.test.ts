// Sum and Mean on the wasm backend, and their gradients (classfit's fast paths), against tfjs's
// own on the CPU backend, contiguous and other reduction axes.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { gradsOn, randomArray, relErr, rng } from "./test-data.js";

describe("classfit reductions and their gradients (wasm)", () => {
  beforeAll(async () => {
    await initBackend();
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
});
