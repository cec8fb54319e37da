import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { beforeAll, describe, expect, it } from "vitest";
import { certify, predict, predictFromCounts } from "./cohen.js";
import { type CertifyStats, coreStats } from "./stats.js";
import { categoricalBackend, scriptedBackend } from "./synthetic.js";

let core: Core;
let stats: CertifyStats;
beforeAll(async () => {
  core = await createCore();
  stats = coreStats(core);
});

const x = new Float32Array(3);

/** CERTIFY through a backend that answers the n0 selection with `sel` and the n estimation
 * samples with ĉ = 2 drawn k times. */
async function certifyCounts(k: number, n: number, sigma = 0.5, alpha = 0.001) {
  const calls: number[] = [];
  const b = scriptedBackend(3, (samples, call) => {
    calls.push(samples);
    return call === 0 ? [10, 5, samples - 15] : [n - k, 0, k];
  });
  const rng = core.rng(1, 0);
  try {
    const r = await certify(b, x, { sigma, n0: 100, n, alpha, batchSize: 1000 }, rng, stats);
    expect(calls).toEqual([100, n]);
    return r;
  } finally {
    rng.dispose();
  }
}

describe("CERTIFY (Cohen et al. 2019, Algorithm 1) against METHOD.md §9 reference values", () => {
  it("k = 99 000 of n = 1e5, α = 0.001 → p_lower = 0.98898934, R = σ·2.2900", async () => {
    const r = await certifyCounts(99_000, 100_000);
    expect(r.top).toBe(2);
    expect(r.prediction).toBe(2);
    expect(r.countTop).toBe(99_000);
    expect(r.samples).toBe(100_100);
    expect(r.pLower).toBeCloseTo(0.98898934, 8);
    expect(r.radius / 0.5).toBeCloseTo(2.29, 4);
  });

  it("k = 60 000 of 1e5 → 0.59520105, Φ⁻¹ = 0.24094; k = n = 1000 → 0.99311605, Φ⁻¹ = 2.46326", async () => {
    const a = await certifyCounts(60_000, 100_000, 0.25);
    expect(a.pLower).toBeCloseTo(0.59520105, 8);
    expect(a.radius / 0.25).toBeCloseTo(0.24094, 5);
    const b = await certifyCounts(1000, 1000, 1);
    expect(b.pLower).toBeCloseTo(0.99311605, 8);
    expect(b.radius).toBeCloseTo(2.46326, 5);
  });

  it("reaches the largest certifiable radius σ·Φ⁻¹(α^(1/n)) ≈ 3.81σ at k = n = 1e5, and abstains below 1/2", async () => {
    const r = await certifyCounts(100_000, 100_000);
    expect(r.radius / 0.5).toBeCloseTo(3.81, 2);
    const ab = await certifyCounts(50_000, 100_000);
    expect(ab.pLower).toBeLessThan(0.5);
    expect(ab.prediction).toBe(-1);
    expect(ab.radius).toBe(0);
    expect(ab.top).toBe(2);
  });

  it("refuses σ ≤ 0, α outside (0, 1) and n0 > n, naming the parameter", async () => {
    const b = categoricalBackend(2);
    const rng = core.rng(1, 0);
    const p = { sigma: 0.5, n0: 10, n: 100, alpha: 0.01, batchSize: 50 };
    await expect(certify(b, x, { ...p, sigma: 0 }, rng, stats)).rejects.toThrow(
      /sigma must be a finite number > 0, got 0/,
    );
    await expect(certify(b, x, { ...p, sigma: -1 }, rng, stats)).rejects.toThrow(/sigma/);
    await expect(certify(b, x, { ...p, alpha: 1 }, rng, stats)).rejects.toThrow(/alpha must be in \(0, 1\), got 1/);
    await expect(certify(b, x, { ...p, alpha: 0 }, rng, stats)).rejects.toThrow(/alpha/);
    await expect(certify(b, x, { ...p, n0: 200 }, rng, stats)).rejects.toThrow(/n0 \(200\) must not exceed n \(100\)/);
    rng.dispose();
  });

  it("draws all noise from the seed: same stream → same result, and counts near p_A", async () => {
    const b = categoricalBackend(3);
    const input = Float32Array.from([0.05, 0.9, 0.05]);
    const run = async (stream: number) => {
      const rng = core.rng(42, stream);
      try {
        return await certify(b, input, { sigma: 0.5, n0: 100, n: 20_000, alpha: 0.001, batchSize: 1000 }, rng, stats);
      } finally {
        rng.dispose();
      }
    };
    const a = await run(0);
    expect(await run(0)).toEqual(a);
    expect(a.top).toBe(1);
    // Binomial(20 000, 0.9f): sd ≈ 42.
    expect(Math.abs(a.countTop - 20_000 * (input[1] as number))).toBeLessThan(250);
    expect(a.pLower).toBeLessThanOrEqual(a.countTop / 20_000);
    expect((await run(1)).countTop).not.toBe(a.countTop);
  });
});

describe("PREDICT (Cohen et al. 2019, Algorithm 1)", () => {
  it("510 vs 490 → p = 0.548, abstain at α = 0.001", () => {
    const r = predictFromCounts(stats, [3, 510, 490], 0.001);
    expect(r.pValue).toBeCloseTo(0.548, 3);
    expect(r.prediction).toBe(-1);
    expect([r.top, r.second, r.countTop, r.countSecond]).toEqual([1, 2, 510, 490]);
    expect(predictFromCounts(stats, [3, 510, 490], 0.6).prediction).toBe(1);
  });

  it("predicts a clear winner", async () => {
    const rng = core.rng(3, 0);
    const r = await predict(
      categoricalBackend(3),
      Float32Array.from([0.2, 0.1, 0.7]),
      { sigma: 0.5, n: 1000, alpha: 0.001, batchSize: 100 },
      rng,
      stats,
    );
    rng.dispose();
    expect(r.prediction).toBe(2);
    expect(r.pValue).toBeLessThan(1e-6);
  });
});
