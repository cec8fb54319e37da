// Seeded test data and the tolerance check shared by the kernel tests (test-only; imports vitest,
// so it is excluded from the build).
import * as tf from "@tensorflow/tfjs-core";
import { expect } from "vitest";

/** xorshift32 uniforms in [0, 1): test data only (the kernels under test consume no randomness). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** n uniforms in [−1, 1) + offset, from `next`. */
export function randomArray(n: number, next: () => number, offset = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = next() * 2 - 1 + offset;
  return a;
}

/** max |a − b| / (1 + max |b|): float32 sums in different orders agree to a few ulps of the scale. */
export function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return err / (1 + scale);
}

/** Runs one kernel on `backend` (tensors built from `inputs`, disposed after) and reads its
 * output: the same call on "cpu" and "wasm" is how the kernel tests compare the two. */
export function runOn(
  backend: string,
  kernel: string,
  inputs: Record<string, { shape: number[]; data: Float32Array }>,
  attrs: object,
): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const ins: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = tf.tensor(v.data, v.shape, "float32");
    const out = tf.engine().runKernel(kernel, ins, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/** Gradients of f w.r.t. its inputs on `backend`, read back. */
export function gradsOn(
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
