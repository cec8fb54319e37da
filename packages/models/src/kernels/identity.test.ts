// Identity and same-dtype Cast on the wasm backend share the input's buffer.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";

describe("classfit Identity and Cast without copies (wasm)", () => {
  beforeAll(async () => {
    await initBackend();
  });

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
