// Sub with a last-axis broadcast on the wasm backend against the CPU backend, and the cases it
// leaves to tfjs's kernel.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { randomArray, rng } from "./test-data.js";

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
