// The sampler summary: its class means agree with the predictive they summarise, replicates group
// chains as documented, the jackknife error behaves, and convergence is read off easy and hard fits.
import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import {
  BRACKET_FACTOR,
  chainSubset,
  dpgmmConfig,
  fitClassModel,
  initialClusters,
  logPredictive,
  looLogDensity,
} from "./dpgmm.js";
import { createCore } from "./node.js";
import { samplerSummary } from "./sampler-summary.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

/** n points in d dims around K well-separated centres (seeded). */
function blobs(seed: number, n: number, d: number, K: number, sep: number): Float64Array {
  const rng = core.rng(seed, 7);
  const centres = rng.normal(K * d).map((v) => sep * v);
  const z = rng.normal(n * d);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) x[i * d + j] = (centres[(i % K) * d + j] as number) + (z[i * d + j] as number);
  return x;
}
const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x, 0) / v.length;

describe("samplerSummary", () => {
  it("pools, splits by replicate and matches the predictive it summarises", () => {
    const n = 90;
    const d = 3;
    const x = blobs(1, n, d, 3, 6);
    const cfg = dpgmmConfig({ sweeps: 60, burnIn: 36, thin: 4, chains: 2, replicates: 2, seed: 5 });
    const model = fitClassModel(core, x, n, d, cfg);
    expect(model.chains).toHaveLength(4);
    const s = samplerSummary(core, model, x);
    // The pooled class mean is the density step's number: training points scored as classScore
    // says (the default: the mean over every trace of log p_t), not as new points are.
    expect(cfg.classScore).toBe("mean-log");
    expect(s.classMean).toBeCloseTo(mean(logPredictive(core, model, x, n, "mean-log")), 9);
    expect(s.classMean).toBeLessThan(mean(logPredictive(core, model, x, n, "exact")));
    const exactScore = samplerSummary(core, { ...model, config: { ...model.config, classScore: "exact" } }, x);
    expect(exactScore.classMean).toBeCloseTo(mean(logPredictive(core, model, x, n, "exact")), 9);
    // Two replicates of two chains each: chains 0–1 and 2–3.
    expect(s.replicateClassMeans).toHaveLength(2);
    expect(s.replicateClassMeans[1]).toBeCloseTo(
      mean(logPredictive(core, chainSubset(model, 2, 4), x, n, "mean-log")),
      9,
    );
    expect(s.replicateLooMeans).toHaveLength(2);
    const loo = looLogDensity(core, model) as Float64Array;
    expect(s.looMean).toBeCloseTo(mean(loo), 9);
    // Under mean-log the chains' leave-one-out values are combined by the mean of their logs, so
    // the class mean is the mean of the chains' own; under exact, by the log of their mean, which
    // is never lower and climbs with the chains pooled.
    const chainLoo = model.chains.map((c) => mean(c.looLogDensity as Float64Array));
    expect(s.looMean).toBeCloseTo(mean(chainLoo), 9);
    const exactLoo = exactScore.looMean;
    expect(exactLoo).toBeGreaterThanOrEqual(s.looMean);
    const perPoint = Array.from({ length: n }, (_, i) =>
      Math.log(mean(model.chains.map((c) => Math.exp((c.looLogDensity as Float64Array)[i] as number)))),
    );
    expect(exactLoo).toBeCloseTo(mean(perPoint), 9);
    // A point scored without itself is scored lower than with itself.
    expect(s.looMean).toBeLessThan(s.classMean);
    expect(s.classMeanMcse).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(s.classMeanMcse)).toBe(true);
  });

  it("has no standard error with one chain, and per-chain replicates by default", () => {
    const n = 60;
    const d = 2;
    const x = blobs(2, n, d, 2, 8);
    const one = fitClassModel(core, x, n, d, dpgmmConfig({ sweeps: 40, burnIn: 20, thin: 2, chains: 1, seed: 1 }));
    const s1 = samplerSummary(core, one, x);
    expect(Number.isNaN(s1.classMeanMcse)).toBe(true);
    expect(s1.replicateClassMeans).toEqual([s1.classMean]);
    const three = fitClassModel(core, x, n, d, dpgmmConfig({ sweeps: 40, burnIn: 20, thin: 2, chains: 3, seed: 1 }));
    expect(samplerSummary(core, three, x).replicateClassMeans).toHaveLength(3);
  });

  it("measures the start gap between chains started from K0 and from 16·K0 clusters", () => {
    const cfg = dpgmmConfig({ sweeps: 12, burnIn: 8, thin: 2, chains: 4, initClusters: 2, init: "bracket", seed: 9 });
    expect([0, 1, 2, 3].map((c) => initialClusters(cfg, c))).toEqual([2, 2 * BRACKET_FACTOR, 2, 2 * BRACKET_FACTOR]);
    // 32 dims, few sweeps: the chains started with 32 clusters keep more of them than those
    // started with 2, and score their own training points higher.
    const n = 200;
    const d = 32;
    const x = blobs(4, n, d, 4, 1.5);
    const model = fitClassModel(core, x, n, d, cfg);
    const s = samplerSummary(core, model, x);
    const half = (h: number) => ({ ...model, chains: model.chains.filter((_, c) => c % 2 === h) });
    const ins = (h: number) => mean(logPredictive(core, half(h), x, n, "mean-log"));
    expect(s.startGap).toBeCloseTo(ins(0) - ins(1), 9);
    expect(s.looStartGap).toBeCloseTo(
      mean(looLogDensity(core, half(0)) as Float64Array) - mean(looLogDensity(core, half(1)) as Float64Array),
      9,
    );
    const k = (h: number) => mean(half(h).chains.map((c) => c.kTrace[cfg.sweeps - 1] as number));
    expect(k(1)).toBeGreaterThan(k(0));
    expect(s.startGap).toBeLessThan(0);
    // Any other start has no gap to measure.
    const random = fitClassModel(core, x, n, d, { ...cfg, init: "random" });
    expect(Number.isNaN(samplerSummary(core, random, x).startGap)).toBe(true);
    expect(() => dpgmmConfig({ init: "above" as never })).toThrow(/init must be one of random, dispersed, bracket/);
  });

  it("calls an easy fit converged and chains stuck far apart not", () => {
    const n = 120;
    const d = 2;
    const easy = blobs(3, n, d, 2, 10);
    const ok = samplerSummary(
      core,
      fitClassModel(core, easy, n, d, dpgmmConfig({ sweeps: 600, burnIn: 100, thin: 1, chains: 4, seed: 2 })),
      easy,
    );
    expect(ok.convergence.logJoint.rhat).toBeLessThan(1.05);
    expect(ok.convergence.classMean.essBulk).toBeGreaterThan(400);
    // 64-dimensional overlapping blobs: plain Gibbs chains from random starts settle in
    // different partitions, which R̂ of the log joint must show.
    const dh = 32;
    const hard = blobs(4, 300, dh, 6, 1.5);
    const bad = samplerSummary(
      core,
      fitClassModel(
        core,
        hard,
        300,
        dh,
        dpgmmConfig({ sweeps: 40, burnIn: 20, thin: 2, chains: 4, seed: 3, init: "dispersed" }),
      ),
      hard,
    );
    expect(bad.converged).toBe(false);
    expect(bad.convergence.logJoint.rhat as number).toBeGreaterThan(1.05);
  });
});
