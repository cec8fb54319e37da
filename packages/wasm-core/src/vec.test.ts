import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import { createCore } from "./node.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

describe("SIMD vector kernels against their scalar twins", () => {
  it.each([0, 1, 2, 3, 4, 5, 17, 64, 1001])("dot, n = %d", (n) => {
    const rng = core.rng(11, n);
    const a = rng.normal(n);
    const b = rng.normal(n);
    const simd = core.dot(a, b);
    const scalar = core.dot(a, b, true);
    let naive = 0;
    for (let i = 0; i < n; i++) naive += (a[i] ?? 0) * (b[i] ?? 0);
    expect(scalar).toBe(naive);
    expect(Math.abs(simd - scalar)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.sqrt(n)));
  });

  it.each([0, 1, 2, 3, 33])("axpy is bit-identical to its scalar twin, n = %d", (n) => {
    const rng = core.rng(12, n);
    const x = rng.normal(n);
    const y = rng.normal(n);
    expect(core.axpy(0.37, x, y)).toEqual(core.axpy(0.37, x, y, true));
  });

  it("axpy writes correctly when out aliases x or y", () => {
    const n = 9;
    const rng = core.rng(13);
    const x = rng.normal(n);
    const y = rng.normal(n);
    const expected = x.map((v, i) => 2.5 * v + (y[i] ?? 0));
    for (const variant of ["x", "y"] as const) {
      for (const fn of [core.exports.vec_axpy, core.exports.vec_axpy_scalar]) {
        const got = core.scope((s) => {
          const px = s.f64(x);
          const py = s.f64(y);
          const out = variant === "x" ? px : py;
          fn(2.5, px, py, out, n);
          return core.readF64(out, n);
        });
        expect(got).toEqual(expected);
      }
    }
  });

  it("rejects mismatched lengths", () => {
    expect(() => core.dot(new Float64Array(3), new Float64Array(4))).toThrow(/lengths differ/);
  });
});
