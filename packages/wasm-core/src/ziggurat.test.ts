import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import { createCore } from "./node.js";
import { normCdf } from "./stats.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

const R = 3.6541528853610088;
const V = 0.00492867323399;

const identical = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * An independent JS ziggurat over the generator's raw 64-bit outputs (Rng.u64 of a twin), written
 * from Marsaglia & Tsang (2000) with the layer from the low 8 bits and the uniform from the top
 * 52. Its tables come from JS's Math, which need not round like the module's own, so it is held
 * to the module within a relative 1e-12, not bit for bit.
 */
function jsZiggurat(bits: () => bigint, n: number): Float64Array {
  const f = (x: number) => Math.exp(-0.5 * x * x);
  const X = [V / f(R), R];
  for (let i = 2; i < 256; i++) X.push(Math.sqrt(-2 * Math.log(V / (X[i - 1] as number) + f(X[i - 1] as number))));
  X.push(0);
  const F = X.map(f);
  const uniform = () => Number(bits() >> 11n) * 2 ** -53;
  const uniformOpen = () => (Number(bits() >> 11n) + 0.5) * 2 ** -53;
  const out = new Float64Array(n);
  for (let k = 0; k < n; ) {
    const b = bits();
    const i = Number(b & 0xffn);
    const u = Number(b >> 12n) * 2 ** -51 - 1;
    const x = u * (X[i] as number);
    if (Math.abs(x) < (X[i + 1] as number)) {
      out[k++] = x;
    } else if (i === 0) {
      let a: number;
      let c: number;
      do {
        a = -Math.log(uniformOpen()) / R;
        c = -Math.log(uniformOpen());
      } while (c + c < a * a);
      out[k++] = u < 0 ? -(R + a) : R + a;
    } else if ((F[i] as number) + ((F[i + 1] as number) - (F[i] as number)) * uniform() < f(x)) {
      out[k++] = x;
    }
  }
  return out;
}

describe("ziggurat normals (noise of noisy forward passes)", () => {
  it("the fast kernel gives the reference's bits, for any length and any split of the draws", () => {
    for (const [seed, stream] of [
      [0, 0],
      [7, 1],
      [123456789, 2 ** 40],
    ] as const) {
      for (const n of [0, 1, 2, 255, 4097, 60_000]) {
        const a = core.rng(seed, stream);
        const b = core.rng(seed, stream);
        expect(identical(a.zigguratNormal(n), b.zigguratNormalReference(n))).toBe(true);
        // Both leave the generator in the same state.
        expect(Array.from(a.u64(4))).toEqual(Array.from(b.u64(4)));
        a.dispose();
        b.dispose();
      }
      const whole = core.rng(seed, stream).zigguratNormal(10_000);
      const parts = core.rng(seed, stream);
      const pieces = [3, 997, 1, 5000, 3999].map((m) => parts.zigguratNormal(m));
      expect(identical(whole, Float64Array.from(pieces.flatMap((p) => Array.from(p))))).toBe(true);
    }
  });

  it("follows the method: an independent JS ziggurat on the same raw bits agrees to 1e-12", () => {
    const n = 50_000;
    const z = core.rng(7, 1).zigguratNormal(n);
    const raw = core.rng(7, 1).u64(3 * n);
    let at = 0;
    const js = jsZiggurat(() => {
      const v = raw[at++];
      if (v === undefined) throw new Error("ran out of raw outputs");
      return v;
    }, n);
    let worst = 0;
    for (let i = 0; i < n; i++)
      worst = Math.max(worst, Math.abs((z[i] as number) - (js[i] as number)) / Math.max(1, Math.abs(js[i] as number)));
    expect(worst).toBeLessThan(1e-12);
    // This stream goes through the tail and the wedges, so both slow paths were compared.
    expect(z.some((v) => Math.abs(v) > R)).toBe(true);
    expect(at).toBeGreaterThan(n + 100);
  });

  it("is N(0, 1): moments, tail masses, and a Kolmogorov–Smirnov test against Φ", () => {
    const N = 1_000_000;
    const z = core.rng(2026, 5).zigguratNormal(N);
    let m1 = 0;
    for (const v of z) m1 += v;
    m1 /= N;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    for (const v of z) {
      const d = v - m1;
      m2 += d * d;
      m3 += d * d * d;
      m4 += d * d * d * d;
    }
    m2 /= N;
    m3 /= N;
    m4 /= N;
    // 5 standard errors each: Var(mean) = 1/N, Var(s²) = 2/N, Var(skew) ≈ 6/N, Var(kurt) ≈ 24/N.
    expect(Math.abs(m1)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(m2 - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(Math.abs(m3 / m2 ** 1.5)).toBeLessThan(5 * Math.sqrt(6 / N));
    expect(Math.abs(m4 / m2 ** 2 - 3)).toBeLessThan(5 * Math.sqrt(24 / N));
    // Tail masses: beyond the base strip's R (the tail algorithm) and well beyond it.
    for (const t of [1.959963984540054, R, 4.5]) {
      const p = 2 * normCdf(core, -t);
      const count = z.filter((v) => Math.abs(v) > t).length;
      expect(Math.abs(count - N * p)).toBeLessThan(5 * Math.sqrt(N * p * (1 - p)) + 1);
    }
    // KS: D·√N below 1.95 (p = 0.001 for the Kolmogorov distribution).
    const sorted = Float64Array.from(z).sort();
    let d = 0;
    for (let i = 0; i < N; i++) {
      const c = normCdf(core, sorted[i] as number);
      d = Math.max(d, c - i / N, (i + 1) / N - c);
    }
    expect(d * Math.sqrt(N)).toBeLessThan(1.95);
    // And it is not the polar method's stream under another name.
    expect(identical(core.rng(2026, 5).normal(1000), z.subarray(0, 1000))).toBe(false);
  });

  it("writes into the caller's buffer, a view at an offset included, and nowhere else", () => {
    const backing = new Float64Array(20).fill(-7);
    const view = backing.subarray(5, 15);
    const ret = core.rng(3, 3).zigguratNormalInto(view);
    expect(ret).toBe(view);
    expect(identical(view, core.rng(3, 3).zigguratNormal(10))).toBe(true);
    expect(Array.from(backing.subarray(0, 5))).toEqual([-7, -7, -7, -7, -7]);
    expect(Array.from(backing.subarray(15))).toEqual([-7, -7, -7, -7, -7]);
    // Drawing into the buffer it was drawn into before (the noisy passes reuse one) continues
    // the stream, whatever the buffer held.
    const r = core.rng(3, 3);
    const buf = new Float64Array(10);
    r.zigguratNormalInto(buf);
    r.zigguratNormalInto(buf);
    expect(identical(buf, core.rng(3, 3).zigguratNormal(20).subarray(10))).toBe(true);
    expect(core.rng(3, 3).zigguratNormalInto(new Float64Array(0)).length).toBe(0);
  });
});
