import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import { createCore } from "./node.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

// An independent BigInt implementation of the documented seeding + xoshiro256**, written
// from the reference C code, to pin the wasm generator to its specification.
const M = (1n << 64n) - 1n;
function splitmix(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & M;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
  return z ^ (z >> 31n);
}
function rotl(x: bigint, k: bigint): bigint {
  return ((x << k) | (x >> (64n - k))) & M;
}
function referenceStream(seed: number, stream: number, n: number): bigint[] {
  let x = BigInt(seed) ^ splitmix(BigInt(stream) ^ 0x6a09e667f3bcc909n);
  const s: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b97f4a7c15n) & M;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    s.push(z ^ (z >> 31n));
  }
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const [s0, s1, s2, s3] = s as [bigint, bigint, bigint, bigint];
    out.push((rotl((s1 * 5n) & M, 7n) * 9n) & M);
    const t = (s1 << 17n) & M;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[0] = s0 ^ n3;
    s[1] = s1 ^ n2;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 45n);
  }
  return out;
}

function moments(x: Float64Array): { mean: number; variance: number; skew: number } {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let m2 = 0;
  let m3 = 0;
  for (const v of x) {
    m2 += (v - m) ** 2;
    m3 += (v - m) ** 3;
  }
  m2 /= x.length;
  m3 /= x.length;
  return { mean: m, variance: m2, skew: m3 / m2 ** 1.5 };
}

describe("xoshiro256** generator", () => {
  it("matches an independent BigInt implementation of seeding and stepping", () => {
    for (const [seed, stream] of [
      [0, 0],
      [42, 0],
      [42, 7],
      [2 ** 53 - 1, 123456],
    ] as const) {
      const rng = core.rng(seed, stream);
      expect(Array.from(rng.u64(64))).toEqual(referenceStream(seed, stream, 64));
      rng.dispose();
    }
  });

  it("gives identical streams for identical (seed, stream) and different ones otherwise", () => {
    const a = core.rng(7).normal(1000);
    const b = core.rng(7).normal(1000);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const c = core.rng(8).normal(1000);
    const d = core.rng(7, 1).normal(1000);
    const same = (x: Float64Array, y: Float64Array) => x.filter((v, i) => v === y[i]).length;
    expect(same(a, c)).toBeLessThan(5);
    expect(same(a, d)).toBeLessThan(5);
  });

  it("rejects seeds JavaScript cannot pass exactly", () => {
    expect(() => core.rng(-1)).toThrow(/seed/);
    expect(() => core.rng(1.5)).toThrow(/seed/);
    expect(() => core.rng(2 ** 53)).toThrow(/seed/);
  });
});

describe("samplers (seeded property tests)", () => {
  const N = 200_000;

  it("uniform on [0,1): mean 1/2, variance 1/12, range", () => {
    const u = core.rng(1).uniform(N);
    const { mean, variance } = moments(u);
    // standard errors: sqrt(1/12/N) ≈ 6.5e-4 for the mean; 5 SE tolerances
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N));
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it("standard normal: mean 0, variance 1, skew 0, tail mass", () => {
    const z = core.rng(2).normal(N);
    const { mean, variance, skew } = moments(z);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(Math.abs(skew)).toBeLessThan(5 * Math.sqrt(6 / N));
    // P(|Z| > 1.96) = 0.05
    const tail = z.filter((v) => Math.abs(v) > 1.959963984540054).length / N;
    expect(Math.abs(tail - 0.05)).toBeLessThan(5 * Math.sqrt((0.05 * 0.95) / N));
  });

  it.each([
    [0.3, 1],
    [1, 1],
    [2.5, 2],
    [50, 0.5],
  ])("gamma(shape %d, rate %d): mean shape/rate, variance shape/rate², skew 2/√shape", (shape, rate) => {
    const g = core.rng(3, shape * 100).gamma(N, shape, rate);
    const { mean, variance, skew } = moments(g);
    const mu = shape / rate;
    const v = shape / rate ** 2;
    expect(Math.abs(mean - mu)).toBeLessThan(5 * Math.sqrt(v / N));
    // Var of the sample variance for a gamma: (μ4 − σ⁴)/N with excess kurtosis 6/shape.
    expect(Math.abs(variance - v) / v).toBeLessThan(5 * Math.sqrt((2 + 6 / shape) / N));
    expect(Math.abs(skew - 2 / Math.sqrt(shape))).toBeLessThan(0.1 * (2 / Math.sqrt(shape)) + 0.02);
    expect(g.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
  });

  it("uniform integers are unbiased over a bound that is not a power of two", () => {
    const k = core.rng(4).int(N, 7);
    const counts = new Array<number>(7).fill(0);
    for (const v of k) counts[v] = (counts[v] ?? 0) + 1;
    // χ² with 6 d.o.f.; 22.46 is its 0.999 quantile
    const e = N / 7;
    const chi2 = counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(22.46);
  });

  it("rejects invalid gamma parameters with a clear error", () => {
    const r = core.rng(5);
    expect(() => r.gamma(3, 0, 1)).toThrow(/shape and rate/);
    expect(() => r.gamma(3, 1, Number.NaN)).toThrow(/shape and rate/);
  });
});
