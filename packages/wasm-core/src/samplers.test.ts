import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import { createCore } from "./node.js";
import { sampleBeta, sampleCategorical, sampleChiSquare, sampleDirichlet, sampleStudentT } from "./samplers.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

function meanVar(x: ArrayLike<number>, stride = 1, offset = 0): { mean: number; variance: number; n: number } {
  let m = 0;
  let n = 0;
  for (let i = offset; i < x.length; i += stride) {
    m += x[i] as number;
    n++;
  }
  m /= n;
  let v = 0;
  for (let i = offset; i < x.length; i += stride) v += ((x[i] as number) - m) ** 2;
  return { mean: m, variance: v / (n - 1), n };
}

/** |sample mean − μ| within 5 standard errors (false-failure rate ~6e-7 per check). */
function expectMean(x: ArrayLike<number>, mu: number, variance: number, stride = 1, offset = 0): void {
  const s = meanVar(x, stride, offset);
  expect(Math.abs(s.mean - mu)).toBeLessThan(5 * Math.sqrt(variance / s.n));
}

describe("Beta", () => {
  it("has the right mean and variance, for large and tiny shapes", () => {
    for (const [a, b] of [
      [2, 5],
      [0.5, 0.5],
      [0.05, 0.1],
      [300, 40],
    ] as [number, number][]) {
      const rng = core.rng(11, 1);
      const x = sampleBeta(core, rng, 100_000, a, b);
      rng.dispose();
      expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
      const mean = a / (a + b);
      const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
      expectMean(x, mean, variance);
      const s = meanVar(x);
      expect(Math.abs(s.variance / variance - 1)).toBeLessThan(0.05);
    }
  });
  it("is X/(X+Y) of the generator's own Gamma draws (shapes >= 1)", () => {
    const r1 = core.rng(3, 0);
    const r2 = core.rng(3, 0);
    const x = sampleBeta(core, r1, 50, 2.5, 4);
    for (let i = 0; i < 50; i++) {
      const g = r2.gamma(1, 2.5)[0] as number;
      const h = r2.gamma(1, 4)[0] as number;
      expect(x[i]).toBe(g / (g + h));
    }
    r1.dispose();
    r2.dispose();
  });
});

describe("chi-square", () => {
  it("has mean df and variance 2·df", () => {
    for (const df of [0.7, 3, 50]) {
      const rng = core.rng(5, 2);
      const x = sampleChiSquare(core, rng, 100_000, df);
      rng.dispose();
      expectMean(x, df, 2 * df);
      expect(Math.abs(meanVar(x).variance / (2 * df) - 1)).toBeLessThan(0.05);
    }
  });
});

describe("categorical from log-weights", () => {
  it("draws each index with its probability, never a −Infinity one, without overflow", () => {
    const logw = [1000, 1000 + Math.log(3), Number.NEGATIVE_INFINITY, 1000 - 2, 1000 + Math.log(0.5)];
    const w = logw.map((l) => Math.exp(l - 1000));
    const total = w.reduce((a, b) => a + b, 0);
    const n = 200_000;
    const rng = core.rng(8, 0);
    const idx = sampleCategorical(core, rng, n, logw);
    rng.dispose();
    const counts = new Array<number>(logw.length).fill(0);
    for (const i of idx) counts[i] = (counts[i] ?? 0) + 1;
    expect(counts[2]).toBe(0);
    for (let i = 0; i < logw.length; i++) {
      const p = (w[i] ?? 0) / total;
      const f = (counts[i] ?? 0) / n;
      expect(Math.abs(f - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });
  it("rejects NaN, +Infinity and all −Infinity weights by index", () => {
    const rng = core.rng(1);
    expect(() => sampleCategorical(core, rng, 3, [0, Number.NaN])).toThrow(/logWeights\[1\] is NaN/);
    expect(() => sampleCategorical(core, rng, 3, [Number.POSITIVE_INFINITY])).toThrow(/logWeights\[0\]/);
    expect(() => sampleCategorical(core, rng, 3, [Number.NEGATIVE_INFINITY])).toThrow(/every log-weight/);
    rng.dispose();
  });
});

describe("Dirichlet", () => {
  it("rows sum to 1 and components have the Beta(α_i, α_0 − α_i) moments", () => {
    for (const alpha of [
      [1, 2, 3],
      [0.01, 0.02, 0.5, 0.05],
      [40, 40],
    ]) {
      const k = alpha.length;
      const a0 = alpha.reduce((a, b) => a + b, 0);
      const n = 50_000;
      const rng = core.rng(21, k);
      const x = sampleDirichlet(core, rng, n, alpha);
      rng.dispose();
      let inRange = true;
      let worstSum = 0;
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let j = 0; j < k; j++) {
          const v = x[r * k + j] as number;
          if (!(v >= 0 && v <= 1)) inRange = false;
          s += v;
        }
        worstSum = Math.max(worstSum, Math.abs(s - 1));
      }
      expect(inRange).toBe(true);
      expect(worstSum).toBeLessThan(1e-12);
      for (let j = 0; j < k; j++) {
        const aj = alpha[j] as number;
        const mean = aj / a0;
        const variance = (aj * (a0 - aj)) / (a0 * a0 * (a0 + 1));
        expectMean(x, mean, variance, k, j);
      }
    }
  });
});

describe("multivariate Student-t", () => {
  const mu = [1, -2, 0.5];
  // L lower-triangular; Σ = L Lᵀ.
  const L = [2, 0, 0, 0.5, 1, 0, -1, 0.3, 0.7];
  const d = 3;
  const sigma = (i: number, j: number): number => {
    let s = 0;
    for (let t = 0; t < d; t++) s += (L[i * d + t] ?? 0) * (L[j * d + t] ?? 0);
    return s;
  };
  it("is μ + L z·√(df/χ²) of the generator's own normals and chi-square, bit for bit", () => {
    const df = 4.5;
    const r1 = core.rng(77, 3);
    const r2 = core.rng(77, 3);
    const x = sampleStudentT(core, r1, 20, mu, L, df);
    for (let r = 0; r < 20; r++) {
      const z = r2.normal(d);
      const w = 2 * (r2.gamma(1, df / 2)[0] as number);
      const scale = Math.sqrt(df / w);
      for (let i = 0; i < d; i++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc += (L[i * d + j] as number) * (z[j] as number);
        expect(x[r * d + i]).toBe((mu[i] as number) + scale * acc);
      }
    }
    r1.dispose();
    r2.dispose();
  });
  it("has mean μ and covariance df/(df − 2)·Σ", () => {
    const df = 9;
    const n = 200_000;
    const rng = core.rng(5, 9);
    const x = sampleStudentT(core, rng, n, mu, L, df);
    rng.dispose();
    const f = df / (df - 2);
    for (let i = 0; i < d; i++) expectMean(x, mu[i] as number, f * sigma(i, i), d, i);
    const means = [0, 1, 2].map((i) => meanVar(x, d, i).mean);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let c = 0;
        for (let r = 0; r < n; r++)
          c += ((x[r * d + i] as number) - (means[i] ?? 0)) * ((x[r * d + j] as number) - (means[j] ?? 0));
        c /= n - 1;
        const want = f * sigma(i, j);
        // Relative to the scale of the two variances (off-diagonals can be near 0).
        expect(Math.abs(c - want)).toBeLessThan(0.03 * Math.sqrt(f * sigma(i, i) * f * sigma(j, j)));
      }
    }
  });
  it("validates shapes and values", () => {
    const rng = core.rng(1);
    expect(() => sampleStudentT(core, rng, 1, mu, [1, 0, 1], 3)).toThrow(/chol must have d·d = 9/);
    expect(() => sampleStudentT(core, rng, 1, mu, L, 0)).toThrow(/df must be finite and > 0/);
    const bad = L.slice();
    bad[4] = Number.NaN;
    expect(() => sampleStudentT(core, rng, 1, mu, bad, 3)).toThrow(/chol\[1\]\[1\] is NaN/);
    rng.dispose();
  });
});

describe("determinism", () => {
  it("same seed and stream give the same draws; another stream does not", () => {
    const draw = (stream: number): Float64Array => {
      const rng = core.rng(99, stream);
      const out = new Float64Array([
        ...sampleBeta(core, rng, 10, 0.3, 2),
        ...sampleDirichlet(core, rng, 3, [0.2, 1, 4]),
        ...sampleChiSquare(core, rng, 5, 2.5),
      ]);
      rng.dispose();
      return out;
    };
    expect(draw(0)).toEqual(draw(0));
    expect(draw(1)).not.toEqual(draw(0));
  });
});
