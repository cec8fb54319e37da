import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { beforeAll, describe, expect, it } from "vitest";
import { certifyAdaptive, defaultLooks, resolveAdaptive } from "./adaptive.js";
import { type CertifyParams, certify } from "./cohen.js";
import { type CertifyStats, coreStats } from "./stats.js";
import { categoricalBackend } from "./synthetic.js";

let core: Core;
let stats: CertifyStats;
beforeAll(async () => {
  core = await createCore();
  stats = coreStats(core);
});

/** Largest count V that Binomial(T, α) exceeds with probability ≲ 1e-6 (normal tail bound with a
 * continuity margin; generous for small αT). */
function violationLimit(trials: number, alpha: number): number {
  return alpha * trials + 5 * Math.sqrt(trials * alpha * (1 - alpha)) + 1;
}

const P_A = [0.55, 0.7, 0.9, 0.97, 0.995, 1];

/**
 * Coverage over many trials on a backend whose p_A is known by construction (the input is the
 * class distribution; ĉ fixed to class 0 as CERTIFY's guarantee is conditional on ĉ):
 *  - `procedure`: how often adaptive CERTIFY's reported p_lower exceeds p_A;
 *  - `anyLook`: how often the bound at ANY look exceeds p_A — the worst case over every possible
 *    stopping rule, which the union bound also caps at α;
 *  - `naive`: the same with the full α at every look (no split) — the mistake this guards against.
 */
async function coverage(alpha: number, trials: number, seed: number) {
  const params: CertifyParams = { sigma: 1, n0: 1, n: 2000, alpha, batchSize: 2000 };
  const r = resolveAdaptive(params);
  const b = categoricalBackend(2);
  let procedure = 0;
  let anyLook = 0;
  let naive = 0;
  let saved = 0;
  for (let t = 0; t < trials; t++) {
    const pA = P_A[t % P_A.length] as number;
    const input = Float32Array.from([pA, 1 - pA]);
    const rng = core.rng(seed, t);
    let k = 0;
    let drawn = 0;
    let any = false;
    let anyNaive = false;
    for (let j = 0; j < r.looks.length; j++) {
      const N = r.looks[j] as number;
      k += (await b.countNoisy(input, 1, N - drawn, rng, 2000))[0] as number;
      drawn = N;
      if (stats.clopperPearsonLower(k, N, r.alphas[j] as number) > pA) any = true;
      if (stats.clopperPearsonLower(k, N, alpha) > pA) anyNaive = true;
    }
    rng.dispose();
    if (any) anyLook++;
    if (anyNaive) naive++;
    const rng2 = core.rng(seed + 1, t);
    const res = await certifyAdaptive(b, input, params, rng2, stats, r);
    rng2.dispose();
    if (res.top === 0 && res.pLower > pA) procedure++;
    saved += params.n - res.estimationSamples;
  }
  return { procedure, anyLook, naive, saved };
}

describe("adaptive CERTIFY", () => {
  it("with a single look is exactly Cohen's CERTIFY", async () => {
    const b = categoricalBackend(3);
    const input = Float32Array.from([0.1, 0.85, 0.05]);
    const params = { sigma: 0.5, n0: 100, n: 5000, alpha: 0.001, batchSize: 500 };
    const r1 = core.rng(9, 1);
    const r2 = core.rng(9, 1);
    const a = await certifyAdaptive(b, input, params, r1, stats, { looks: [5000] });
    const c = await certify(b, input, params, r2, stats);
    r1.dispose();
    r2.dispose();
    expect(a).toEqual(c);
  });

  it("keeps P(p_lower > p_A) ≤ α at α = 0.05 (4200 trials), also over every stopping rule; the naive unsplit α does not", async () => {
    const alpha = 0.05;
    const trials = 4200;
    const c = await coverage(alpha, trials, 1000);
    const limit = violationLimit(trials, alpha);
    expect(c.procedure).toBeLessThanOrEqual(limit);
    expect(c.anyLook).toBeLessThanOrEqual(limit);
    // The check has teeth: spending the full α at each of the looks breaks the guarantee.
    expect(c.naive).toBeGreaterThan(limit);
    // And the procedure does stop early (at n = 2000 the early looks are too small to save much).
    expect(c.saved).toBeGreaterThan(0.05 * trials * 2000);
  });

  it("shows no violations inconsistent with the intended α = 0.001 (4200 trials)", async () => {
    const alpha = 0.001;
    const trials = 4200;
    const c = await coverage(alpha, trials, 2000);
    expect(c.procedure).toBeLessThanOrEqual(violationLimit(trials, alpha));
    expect(c.anyLook).toBeLessThanOrEqual(violationLimit(trials, alpha));
  });

  it("abstains at the first look when no class can reach 1/2, and runs to n when p_A = 1", async () => {
    const b = categoricalBackend(3);
    const params = { sigma: 0.5, n0: 100, n: 100_000, alpha: 0.001, batchSize: 5000 };
    const looks = defaultLooks(params.n, params.n0);
    expect(looks).toEqual([1563, 3125, 6250, 12500, 25000, 50000, 100000]);
    let rng = core.rng(5, 0);
    const lost = await certifyAdaptive(b, Float32Array.from([0.4, 0.35, 0.25]), params, rng, stats);
    rng.dispose();
    expect(lost.prediction).toBe(-1);
    expect(lost.estimationSamples).toBe(1563);
    rng = core.rng(5, 1);
    const sure = await certifyAdaptive(b, Float32Array.from([0, 1, 0]), params, rng, stats);
    rng.dispose();
    rng = core.rng(5, 1);
    const sureCohen = await certify(b, Float32Array.from([0, 1, 0]), params, rng, stats);
    rng.dispose();
    expect(sure.estimationSamples).toBe(100_000);
    // Only the α split costs radius here: Φ⁻¹((0.7α)^(1/n)) vs Φ⁻¹(α^(1/n)).
    expect(sureCohen.radius - sure.radius).toBeGreaterThan(0);
    expect(sureCohen.radius - sure.radius).toBeLessThan(0.02 * 0.5);
  });

  it("stops early at p_A = 0.9 with a radius close to Cohen's at n = 1e5", async () => {
    const b = categoricalBackend(2);
    const params = { sigma: 0.5, n0: 100, n: 100_000, alpha: 0.001, batchSize: 5000 };
    const input = Float32Array.from([0.1, 0.9]);
    const rng = core.rng(6, 0);
    const a = await certifyAdaptive(b, input, params, rng, stats);
    rng.dispose();
    const rng2 = core.rng(6, 0);
    const c = await certify(b, input, params, rng2, stats);
    rng2.dispose();
    expect(a.prediction).toBe(1);
    expect(a.estimationSamples).toBeLessThanOrEqual(25_000);
    expect(c.radius - a.radius).toBeLessThan(0.075 * 0.5);
  });

  it("refuses bad schedules and options", () => {
    const p = { sigma: 0.5, n0: 100, n: 1000, alpha: 0.001, batchSize: 100 };
    expect(() => resolveAdaptive(p, { looks: [500, 400, 1000] })).toThrow(/increase strictly/);
    expect(() => resolveAdaptive(p, { looks: [500] })).toThrow(/last look \(500\) must equal n \(1000\)/);
    expect(() => resolveAdaptive(p, { earlyAlphaShare: 1 })).toThrow(/earlyAlphaShare/);
    expect(() => resolveAdaptive({ ...p, alpha: 2 })).toThrow(/alpha must be in/);
    const r = resolveAdaptive(p);
    expect(r.alphas.reduce((a, b) => a + b, 0)).toBeCloseTo(0.001, 15);
  });
});
