// Seeded property tests of the DP-GMM class model (src/dpgmm.ts over assembly/gibbs.ts,
// predictive.ts, kl.ts): recovery of a known mixture, convergence diagnostics, normalisation
// of the predictive, KL against closed forms, degenerate inputs and the binary encoding.
import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import {
  type ClassModel,
  decodeClassModel,
  dpgmmConfig,
  encodeClassModel,
  fitClassModel,
  logPredictive,
  relativeEntropy,
  splitRhat,
} from "./dpgmm.js";
import { createCore } from "./node.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

/** n points from K spherical Gaussians with means ~ N(0, sep²) per dimension. */
function mixture(seed: number, n: number, d: number, K: number, sep: number) {
  const rng = core.rng(seed, 1);
  const centres = rng.normal(K * d).map((v) => sep * v);
  const labels = rng.int(n, K);
  const z = rng.normal(n * d);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const k = labels[i] as number;
    for (let j = 0; j < d; j++) data[i * d + j] = (centres[k * d + j] as number) + (z[i * d + j] as number);
  }
  rng.dispose();
  return { data, labels: Int32Array.from(labels) };
}

/** Adjusted Rand index (Hubert & Arabie 1985). */
function adjustedRand(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const table = new Map<string, number>();
  const ra = new Map<number, number>();
  const rb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    table.set(`${x},${y}`, (table.get(`${x},${y}`) ?? 0) + 1);
    ra.set(x, (ra.get(x) ?? 0) + 1);
    rb.set(y, (rb.get(y) ?? 0) + 1);
  }
  const c2 = (m: number) => (m * (m - 1)) / 2;
  let sij = 0;
  for (const v of table.values()) sij += c2(v);
  let sa = 0;
  for (const v of ra.values()) sa += c2(v);
  let sb = 0;
  for (const v of rb.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  return (sij - expected) / ((sa + sb) / 2 - expected);
}

function digamma(x: number): number {
  let r = 0;
  while (x < 8) {
    r -= 1 / x;
    x += 1;
  }
  const x2 = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - x2 * (1 / 12 - x2 * (1 / 120 - x2 * (1 / 252 - x2 / 240)));
}

function lgammaTs(x: number): number {
  let shift = 0;
  while (x < 12) {
    shift += Math.log(x);
    x += 1;
  }
  const x2 = 1 / (x * x);
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + (1 / 12 - x2 * (1 / 360 - x2 / 1260)) / x - shift;
}

function chol(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * d + k] as number) * (l[j * d + k] as number);
      l[i * d + j] = i === j ? Math.sqrt(s) : s / (l[j * d + j] as number);
    }
  return l;
}

describe("configuration and input validation", () => {
  it("profiles, overrides and frozen configs", () => {
    const c = dpgmmConfig();
    expect(c.profile).toBe("default");
    expect([c.sweeps, c.burnIn, c.thin, c.chains, c.replicates, c.initClusters, c.kappa0, c.nu0Offset]).toEqual([
      40, 24, 8, 32, 1, 6, 0.01, 2,
    ]);
    expect(c.splitMerge).toBe(2);
    expect(Object.isFrozen(c)).toBe(true);
    // The paper profile stays the authors' sampler: one chain of 400 sweeps, plain Gibbs.
    const p = dpgmmConfig({ profile: "paper" });
    expect(p.predictive).toBe("paper");
    expect([p.sweeps, p.burnIn, p.thin, p.chains, p.replicates, p.splitMerge, p.splitMergeKept, p.neighbours]).toEqual([
      400, 320, 4, 1, 1, 0, 0, 0,
    ]);
    expect(p.init).toBe("random");
    expect(() => dpgmmConfig({ replicates: 0 })).toThrow(/replicates/);
    expect(() => dpgmmConfig({ init: "spread" as never })).toThrow(/init/);
    expect(dpgmmConfig({ sweeps: 10, burnIn: 2, thin: 2 }).sweeps).toBe(10);
    expect(() => dpgmmConfig({ sweeps: 10, burnIn: 9, thin: 2 })).toThrow(/burnIn \+ thin/);
    expect(() => dpgmmConfig({ kappa0: 0 })).toThrow(/kappa0/);
    expect(() => dpgmmConfig({ nope: 1 } as never)).toThrow(/unknown option 'nope'/);
  });

  it("rejects non-finite data naming row and column, and bad shapes", () => {
    const cfg = dpgmmConfig({ sweeps: 2, burnIn: 0, thin: 1 });
    const data = new Float64Array(12);
    data[2 * 4 + 1] = Number.NaN;
    expect(() => fitClassModel(core, data, 3, 4, cfg)).toThrow(/row 2, column 1/);
    expect(() => fitClassModel(core, new Float64Array(5), 2, 3, cfg)).toThrow(/expected n·d/);
    expect(() => fitClassModel(core, new Float64Array(0), 0, 3, cfg)).toThrow(/n must be/);
  });
});

describe("collapsed Gibbs sampler", () => {
  let model: ClassModel;
  let labels: Int32Array;
  beforeAll(() => {
    const m = mixture(3, 300, 16, 5, 4);
    labels = m.labels;
    model = fitClassModel(
      core,
      m.data,
      300,
      16,
      dpgmmConfig({ sweeps: 120, burnIn: 60, thin: 12, chains: 4, seed: 5 }),
    );
  });

  it("recovers a well-separated 5-cluster mixture in 16-d (ARI ≥ 0.9 in every chain)", () => {
    for (const ch of model.chains) expect(adjustedRand(ch.assignments, labels)).toBeGreaterThanOrEqual(0.9);
    expect(model.meanK).toBeGreaterThanOrEqual(4.5);
    expect(model.meanK).toBeLessThanOrEqual(7);
  });

  it("reports split-R̂ near 1 for converged chains", () => {
    expect(model.rhat.logJoint).toBeLessThan(1.1);
    expect(model.rhat.k).toBeLessThan(1.1);
    expect(model.warnings).toEqual([]);
  });

  it("keeps the documented traces with consistent shapes", () => {
    for (const ch of model.chains) {
      expect(ch.traces.map((t) => t.sweep)).toEqual([72, 84, 96, 108, 120]);
      expect(ch.logJointTrace.length).toBe(120);
      for (const t of ch.traces) {
        const K = t.counts.length;
        expect(t.counts.reduce((a, b) => a + b, 0)).toBe(300);
        expect(t.means.length).toBe(K * 16);
        expect(t.chol.length).toBe(K * 256);
        expect(t.alpha).toBeGreaterThan(0);
      }
      const last = ch.traces.at(-1);
      // The final assignments index the final state's clusters.
      const counts = new Int32Array(last?.counts.length ?? 0);
      for (const a of ch.assignments) counts[a] = (counts[a] ?? 0) + 1;
      expect(counts).toEqual(last?.counts);
    }
    // The log joint rises from the random start.
    const ch0 = model.chains[0];
    expect((ch0?.logJointTrace[119] ?? 0) > (ch0?.logJointTrace[0] ?? 0)).toBe(true);
  });

  it("is deterministic per seed; chains and seeds differ", () => {
    const m = mixture(4, 80, 3, 3, 5);
    const cfg = dpgmmConfig({ sweeps: 12, burnIn: 4, thin: 4, chains: 2, seed: 9 });
    const a = encodeClassModel(fitClassModel(core, m.data, 80, 3, cfg));
    const b = encodeClassModel(fitClassModel(core, m.data, 80, 3, cfg));
    expect(a).toEqual(b);
    const c = fitClassModel(core, m.data, 80, 3, dpgmmConfig({ ...cfg, seed: 10 }));
    expect(encodeClassModel(c)).not.toEqual(a);
    expect(c.chains[0]?.logJointTrace).not.toEqual(c.chains[1]?.logJointTrace);
  });

  it.each([
    [0, 0],
    [3, 0],
    [3, 1],
  ])(
    "samples the exact partition posterior and its leave-one-out predictive (n = 4, α ≈ 1, 15 partitions; %d split–merge moves/sweep, %d neighbours)",
    (splitMerge, neighbours) => {
      const n = 4;
      const d = 2;
      const data = Float64Array.from([0, 0, 0.8, 0.3, 2.5, 2, 3, 2.6]);
      const mu0 = Float64Array.from([1.5, 1.2]);
      const s0 = Float64Array.from([1.2, 0.9]);
      const kappa0 = 0.5;
      const nu0 = d + 2;
      const e = core.exports;
      // Exact: p(partition) ∝ α^K Π Γ(n_k) Π ML(block); ML from the pool (checked in niw.test.ts).
      const logMl = (members: number[]) =>
        core.scope((s) => {
          const h = e.clu_create(d, s.f64(mu0), s.f64(s0), kappa0, nu0);
          const slot = e.clu_acquire(h);
          for (const i of members) e.clu_add(h, slot, s.f64(data.subarray(i * d, i * d + d)));
          const v = e.clu_log_marginal(h, slot);
          e.clu_free(h);
          return v;
        });
      const partitions: number[][] = [];
      const grow = (prefix: number[]) => {
        if (prefix.length === n) {
          partitions.push(prefix);
          return;
        }
        const k = Math.max(-1, ...prefix) + 1;
        for (let c = 0; c <= k; c++) grow([...prefix, c]);
      };
      grow([]);
      expect(partitions.length).toBe(15);
      const lgammaInt = (m: number) => {
        let s = 0;
        for (let i = 2; i < m; i++) s += Math.log(i);
        return s;
      };
      const logw = partitions.map((p) => {
        const K = Math.max(...p) + 1;
        let lw = 0; // α = 1
        for (let k = 0; k < K; k++) {
          const members = p.flatMap((c, i) => (c === k ? [i] : []));
          lw += lgammaInt(members.length) + logMl(members);
        }
        return lw;
      });
      const mx = Math.max(...logw);
      const z = logw.reduce((a, v) => a + Math.exp(v - mx), 0);
      const exact = logw.map((v) => Math.exp(v - mx) / z);
      // The sampler with α ~ Gamma(1e8, 1e8), i.e. α = 1 to ±1e-4.
      const counts = new Map<string, number>();
      let loo: Float64Array = new Float64Array(0);
      const sweeps = 40_000;
      core.scope((s) => {
        const ch = e.gibbs_create(
          s.f64(data),
          n,
          d,
          s.f64(mu0),
          s.f64(s0),
          kappa0,
          nu0,
          1e8,
          1e8,
          2,
          splitMerge,
          17,
          0,
        );
        const sweepsDone = () => e.gibbs_split_merge_accepted(ch);
        if (neighbours > 0) e.gibbs_set_neighbours(ch, neighbours);
        e.gibbs_record_cpo(ch, 1);
        const out = s.alloc(4 * n);
        for (let t = 0; t < sweeps; t++) {
          e.gibbs_sweep(ch, 1);
          e.gibbs_assignments(ch, out);
          const a = Array.from(new Int32Array(e.memory.buffer, out, n));
          const relabel = new Map<number, number>();
          const key = a
            .map((c) => {
              if (!relabel.has(c)) relabel.set(c, relabel.size);
              return relabel.get(c);
            })
            .join("");
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        if (splitMerge > 0) expect(sweepsDone()).toBeGreaterThan(1000);
        const po = s.f64Out(n);
        expect(e.gibbs_read_cpo(ch, po)).toBe(sweeps);
        loo = core.readF64(po, n);
        e.gibbs_free(ch);
      });
      let tv = 0;
      partitions.forEach((p, i) => {
        tv += Math.abs((counts.get(p.join("")) ?? 0) / sweeps - (exact[i] as number));
      });
      expect(tv / 2).toBeLessThan(0.02);
      // What the recorded leave-one-out predictive estimates: the posterior mean over z_−i of
      // p(x_i | z_−i, X_−i) = Σ_k n_k/(n − 1 + α) t_k(x_i) + α/(n − 1 + α) t0(x_i), with
      // t_k(x_i) = ML(block ∪ i)/ML(block) and t0 = ML({i}).
      for (let i = 0; i < n; i++) {
        let expected = 0;
        partitions.forEach((p, j) => {
          const K = Math.max(...p) + 1;
          let dens = Math.exp(logMl([i])) / n; // α = 1, n − 1 + α = n
          for (let k = 0; k < K; k++) {
            const others = p.flatMap((c, q) => (c === k && q !== i ? [q] : []));
            if (others.length === 0) continue;
            dens += (others.length / n) * Math.exp(logMl([...others, i]) - logMl(others));
          }
          expected += (exact[j] as number) * dens;
        });
        expect(Math.abs((loo[i] as number) - Math.log(expected))).toBeLessThan(0.02);
      }
    },
  );

  it("does not depend on heap state: a fresh core and a used one give the same bytes; onSweep sees every sweep", async () => {
    const m = mixture(5, 70, 5, 3, 4);
    const cfg = dpgmmConfig({ sweeps: 30, burnIn: 20, thin: 5, chains: 2, seed: 4 });
    const fresh = await createCore();
    const seen: string[] = [];
    const a = encodeClassModel(fitClassModel(fresh, m.data, 70, 5, cfg, (c, s) => seen.push(`${c}:${s}`)));
    expect(seen.length).toBe(60);
    expect(seen[0]).toBe("0:1");
    expect(seen.at(-1)).toBe("1:30");
    // Leave the other core's heap fragmented and dirty before fitting.
    const junk = [1000, 37, 4096, 5].map((b) => core.alloc(b * 8));
    for (const p of junk) core.viewF64(p, 5).fill(Number.NaN);
    core.free(junk[0] as number);
    core.free(junk[2] as number);
    const b = encodeClassModel(fitClassModel(core, m.data, 70, 5, cfg));
    expect(b).toEqual(a);
    core.free(junk[1] as number);
    core.free(junk[3] as number);
  });

  it("split-R̂ separates mixed from unmixed chains", () => {
    const rng = core.rng(1);
    const a = rng.normal(200);
    const b = rng.normal(200);
    expect(splitRhat([a, b])).toBeLessThan(1.05);
    expect(splitRhat([a, b.map((v) => v + 5)])).toBeGreaterThan(2);
    expect(splitRhat([new Float64Array(10).fill(3), new Float64Array(10).fill(3)])).toBe(1);
  });
});

describe("degenerate inputs", () => {
  it("n = 1 works and warns", () => {
    const x = Float64Array.from([1, 2, 3]);
    const m = fitClassModel(core, x, 1, 3, dpgmmConfig({ sweeps: 5, burnIn: 1, thin: 2 }));
    expect(m.meanK).toBe(1);
    expect(m.warnings.join(" ")).toMatch(/n = 1/);
    const lp = logPredictive(core, m, Float64Array.from([1, 2, 3, 1.5, 2, 3]), 2);
    expect(Number.isFinite(lp[0])).toBe(true);
    expect(lp[0] as number).toBeGreaterThan(lp[1] as number);
  });

  it("d > n works and warns", () => {
    const { data } = mixture(8, 5, 12, 2, 3);
    const m = fitClassModel(core, data, 5, 12, dpgmmConfig({ sweeps: 10, burnIn: 4, thin: 3 }));
    expect(m.warnings.join(" ")).toMatch(/exceeds n/);
    const lp = logPredictive(core, m, data, 5);
    for (const v of lp) expect(Number.isFinite(v)).toBe(true);
    const kl = relativeEntropy(core, m, { classData: data, n: 5, samples: 500, reference: "full" });
    expect(Number.isFinite(kl.kl)).toBe(true);
  });

  it("zero-variance dimensions are floored with a warning", () => {
    const { data } = mixture(9, 40, 3, 2, 3);
    for (let i = 0; i < 40; i++) data[i * 3 + 1] = 7;
    const m = fitClassModel(core, data, 40, 3, dpgmmConfig({ sweeps: 10, burnIn: 4, thin: 3 }));
    expect(m.prior.flooredDims).toBe(1);
    expect(m.warnings.join(" ")).toMatch(/zero variance/);
    for (const v of logPredictive(core, m, data, 40)) expect(Number.isFinite(v)).toBe(true);
  });
});

describe("posterior predictive", () => {
  /** ∫ p over the real line by the substitution x = c + s·tan θ and the trapezoid rule. */
  function integrate1d(model: ClassModel, variant: "exact" | "paper", c: number, s: number): number {
    const N = 40001;
    const xs = new Float64Array(N);
    const jac = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const th = -Math.PI / 2 + (Math.PI * (i + 0.5)) / N;
      xs[i] = c + s * Math.tan(th);
      jac[i] = s / Math.cos(th) ** 2;
    }
    const lp = logPredictive(core, model, xs, N, variant);
    let sum = 0;
    for (let i = 0; i < N; i++) sum += Math.exp(lp[i] as number) * (jac[i] as number);
    return (sum * Math.PI) / N;
  }

  it("integrates to 1 in 1-D (exact mixture over traces; paper variant per single trace)", () => {
    const { data } = mixture(11, 60, 1, 3, 4);
    const exact = fitClassModel(core, data, 60, 1, dpgmmConfig({ sweeps: 30, burnIn: 10, thin: 10, chains: 2 }));
    expect(integrate1d(exact, "exact", 0, 2)).toBeCloseTo(1, 3);
    const one = fitClassModel(core, data, 60, 1, dpgmmConfig({ sweeps: 30, burnIn: 29, thin: 1, chains: 1 }));
    expect(integrate1d(one, "paper", 0, 2)).toBeCloseTo(1, 3);
  });

  it("mean-log pools each trace's exact predictive by the mean of its logs, never above the exact pool", () => {
    const { data } = mixture(13, 50, 2, 3, 3);
    const model = fitClassModel(core, data, 50, 2, dpgmmConfig({ sweeps: 24, burnIn: 8, thin: 4, chains: 3 }));
    const traces = model.chains.flatMap((c, ci) => c.traces.map((_, ti) => ({ ci, ti })));
    expect(traces.length).toBe(12);
    const perTrace = traces.map(({ ci, ti }) => {
      const ch = model.chains[ci] as (typeof model.chains)[number];
      const one = { ...model, chains: [{ ...ch, traces: [ch.traces[ti] as (typeof ch.traces)[number]] }] };
      return logPredictive(core, one, data, 50, "exact");
    });
    const ml = logPredictive(core, model, data, 50, "mean-log");
    const ex = logPredictive(core, model, data, 50, "exact");
    for (let i = 0; i < 50; i++) {
      const direct = perTrace.reduce((s, v) => s + (v[i] as number), 0) / perTrace.length;
      expect(ml[i] as number).toBeCloseTo(direct, 10);
      // Jensen: the mean of logs is at most the log of the mean.
      expect(ml[i] as number).toBeLessThanOrEqual((ex[i] as number) + 1e-12);
    }
    // One trace: both poolings are log p_t.
    const ch0 = model.chains[0] as (typeof model.chains)[number];
    const single = { ...model, chains: [{ ...ch0, traces: ch0.traces.slice(0, 1) }] };
    expect(logPredictive(core, single, data, 50, "mean-log")).toEqual(logPredictive(core, single, data, 50, "exact"));
  });

  it("integrates to 1 in 2-D (importance sampling from a wide Student-t)", () => {
    const { data } = mixture(12, 80, 2, 3, 3);
    const model = fitClassModel(core, data, 80, 2, dpgmmConfig({ sweeps: 20, burnIn: 10, thin: 5, chains: 1 }));
    // Proposal: independent Cauchy(0, 6) per coordinate (heavier tails than the df = 3 term).
    const M = 200_000;
    const u = core.rng(3, 3).uniform(2 * M);
    const pts = new Float64Array(2 * M);
    const logq = new Float64Array(M);
    for (let i = 0; i < M; i++) {
      let lq = 0;
      for (let j = 0; j < 2; j++) {
        const t = Math.tan(Math.PI * ((u[2 * i + j] as number) - 0.5));
        pts[2 * i + j] = 6 * t;
        lq += -Math.log(Math.PI * 6 * (1 + t * t));
      }
      logq[i] = lq;
    }
    const lp = logPredictive(core, model, pts, M, "exact");
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < M; i++) {
      const w = Math.exp((lp[i] as number) - (logq[i] as number));
      s1 += w;
      s2 += w * w;
    }
    const mean = s1 / M;
    const se = Math.sqrt((s2 / M - mean * mean) / M);
    expect(Math.abs(mean - 1)).toBeLessThan(4 * se + 1e-3);
    expect(se).toBeLessThan(0.02);
  });

  it("assigns higher density to the training data than to far-away points", () => {
    const { data } = mixture(13, 50, 4, 2, 3);
    const model = fitClassModel(core, data, 50, 4, dpgmmConfig({ sweeps: 12, burnIn: 4, thin: 4 }));
    const far = data.map((v) => v + 30);
    const near = logPredictive(core, model, data, 50);
    const away = logPredictive(core, model, far, 50);
    for (let i = 0; i < 50; i++) expect(near[i] as number).toBeGreaterThan(away[i] as number);
  });
});

describe("relative entropy", () => {
  /** A hand-built one-trace, one-cluster model: under the paper weights p is that cluster's
   * Student-t exactly, whose KL to any Gaussian has a closed form. */
  function singleCluster(d: number) {
    const rng = core.rng(21, d);
    const nk = 20;
    const mu = rng.normal(d);
    const b = rng.normal(d * d);
    const S = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = i === j ? 5 : 0;
        for (let k = 0; k < d; k++) s += (b[i * d + k] as number) * (b[j * d + k] as number);
        S[i * d + j] = s;
      }
    const L = chol(S, d);
    const kappa0 = 0.01;
    const nu0 = d + 2;
    const model: ClassModel = {
      n: nk,
      d,
      config: dpgmmConfig({ profile: "paper" }),
      prior: { mu0: new Float64Array(d), s0: new Float64Array(d).fill(1), kappa0, nu0, flooredDims: 0 },
      chains: [
        {
          assignments: new Int32Array(nk),
          logJointTrace: new Float64Array(1),
          kTrace: new Int32Array(1),
          alphaTrace: new Float64Array(1),
          rebuilds: 0,
          splitMergeAccepted: 0,
          traces: [
            {
              sweep: 1,
              alpha: 0.5,
              logJoint: 0,
              counts: Int32Array.of(nk),
              means: mu,
              chol: L,
              kappa: Float64Array.of(kappa0 + nk),
              nu: Float64Array.of(nu0 + nk),
            },
          ],
        },
      ],
      rhat: { logJoint: 1, k: 1 },
      meanK: 1,
      warnings: [],
    };
    const kappa = kappa0 + nk;
    const df = nu0 + nk - d + 1;
    const sigma = S.map((v) => (v * (kappa + 1)) / (kappa * df));
    return { model, mu, sigma, df };
  }

  /** KL(t_df(μ, Σ) ‖ N(m, C)) = −H(t) − E_t[log N(x; m, C)]. */
  function klClosed(mu: Float64Array, sigma: Float64Array, df: number, m: Float64Array, C: Float64Array, d: number) {
    const Ls = chol(sigma, d);
    let logdetS = 0;
    for (let i = 0; i < d; i++) logdetS += 2 * Math.log(Ls[i * d + i] as number);
    const h =
      0.5 * logdetS +
      (d / 2) * Math.log(df * Math.PI) +
      lgammaTs(df / 2) -
      lgammaTs((df + d) / 2) +
      ((df + d) / 2) * (digamma((df + d) / 2) - digamma(df / 2));
    const Lc = chol(C, d);
    let logdetC = 0;
    for (let i = 0; i < d; i++) logdetC += 2 * Math.log(Lc[i * d + i] as number);
    // tr(C⁻¹ Cov_t) with Cov_t = df/(df−2) Σ, via the columns of C⁻¹ Σ.
    const solve = (b: Float64Array) => {
      const y = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let s = b[i] as number;
        for (let k = 0; k < i; k++) s -= (Lc[i * d + k] as number) * (y[k] as number);
        y[i] = s / (Lc[i * d + i] as number);
      }
      return y;
    };
    let tr = 0;
    for (let j = 0; j < d; j++) {
      const y = solve(Float64Array.from({ length: d }, (_, i) => sigma[i * d + j] as number));
      const e = solve(Float64Array.from({ length: d }, (_, i) => (i === j ? 1 : 0)));
      for (let i = 0; i < d; i++) tr += (y[i] as number) * (e[i] as number);
    }
    tr *= df / (df - 2);
    const r = solve(mu.map((v, i) => v - (m[i] as number)));
    const maha = r.reduce((a, v) => a + v * v, 0);
    return -h + 0.5 * (d * Math.log(2 * Math.PI) + logdetC + tr + maha);
  }

  it.each(["diag", "full"] as const)(
    "a single Student-t cluster matches the closed form (%s reference)",
    (reference) => {
      const d = 3;
      const { model, mu, sigma, df } = singleCluster(d);
      const n = 400;
      const data = core
        .rng(22)
        .normal(n * d)
        .map((v, i) => 1.5 * v + (i % d));
      const m = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j] = (m[j] as number) + (data[i * d + j] as number) / n;
      const C = new Float64Array(d * d);
      for (let i = 0; i < n; i++)
        for (let a = 0; a < d; a++)
          for (let b = 0; b < d; b++)
            C[a * d + b] =
              (C[a * d + b] as number) +
              (((data[i * d + a] as number) - (m[a] as number)) * ((data[i * d + b] as number) - (m[b] as number))) / n;
      if (reference === "diag") for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) if (a !== b) C[a * d + b] = 0;
      const want = klClosed(mu, sigma, df, m, C, d);
      const got = relativeEntropy(core, model, { classData: data, n, samples: 40_000, reference, seed: 1 });
      expect(got.standardError).toBeGreaterThan(0);
      expect(got.standardError).toBeLessThan(0.02);
      expect(Math.abs(got.kl - want)).toBeLessThan(4 * got.standardError);
    },
  );

  it("is near 0 against the cluster's own moment-matched Gaussian when df is large, and ≥ 0", () => {
    // Large n_k: the Student-t is nearly Gaussian; KL to N(μ, Cov_t) is the small closed form.
    const d = 2;
    const { model, mu, sigma, df } = singleCluster(d);
    const cov = sigma.map((v) => (v * df) / (df - 2));
    // Class data whose biased moments are exactly (μ, Cov_t): μ ± columns of sqrt(d)·chol(Cov).
    const Lc = chol(cov, d);
    const data = new Float64Array(2 * d * d);
    for (let k = 0; k < d; k++)
      for (let sgn = 0; sgn < 2; sgn++)
        for (let i = 0; i < d; i++)
          data[(2 * k + sgn) * d + i] = (mu[i] as number) + (sgn ? -1 : 1) * Math.sqrt(d) * (Lc[i * d + k] as number);
    const got = relativeEntropy(core, model, {
      classData: data,
      n: 2 * d,
      samples: 40_000,
      reference: "full",
      seed: 2,
    });
    const want = klClosed(mu, sigma, df, mu, cov, d);
    expect(want).toBeGreaterThan(0);
    expect(want).toBeLessThan(0.01);
    expect(Math.abs(got.kl - want)).toBeLessThan(4 * got.standardError + 1e-3);
  });

  it("is larger for a multi-modal class than for a single blob, with the diagonal ≥ the full reference", () => {
    const multi = mixture(31, 200, 3, 4, 6);
    const blob = mixture(32, 200, 3, 1, 0);
    const cfg = dpgmmConfig({ sweeps: 20, burnIn: 10, thin: 5, chains: 1, profile: "paper" });
    const mm = fitClassModel(core, multi.data, 200, 3, cfg);
    const mb = fitClassModel(core, blob.data, 200, 3, cfg);
    const opts = { samples: 4000, seed: 3 };
    const kmDiag = relativeEntropy(core, mm, { ...opts, classData: multi.data, n: 200, reference: "diag" });
    const kmFull = relativeEntropy(core, mm, { ...opts, classData: multi.data, n: 200, reference: "full" });
    const kb = relativeEntropy(core, mb, { ...opts, classData: blob.data, n: 200, reference: "diag" });
    expect(kmDiag.kl).toBeGreaterThan(kb.kl + 10 * kmDiag.standardError);
    expect(kmDiag.kl).toBeGreaterThan(kmFull.kl - 4 * kmDiag.standardError);
    expect(kb.kl).toBeGreaterThan(-4 * kb.standardError);
  });
});

describe("binary encoding", () => {
  it("round-trips exactly and rejects corrupt input", () => {
    const { data } = mixture(41, 30, 3, 2, 4);
    const m = fitClassModel(core, data, 30, 3, dpgmmConfig({ sweeps: 8, burnIn: 2, thin: 3, chains: 2 }));
    const bytes = encodeClassModel(m);
    const back = decodeClassModel(bytes);
    expect(encodeClassModel(back)).toEqual(bytes);
    expect(back.chains[1]?.traces[0]?.chol).toEqual(m.chains[1]?.traces[0]?.chol);
    expect(back.config).toEqual(m.config);
    expect(logPredictive(core, back, data, 30)).toEqual(logPredictive(core, m, data, 30));
    expect(() => decodeClassModel(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeClassModel(bad)).toThrow(/bad magic/);
  });

  it("reads a version-2 model (no classScore) as scoring training points with its predictive", () => {
    const { data } = mixture(42, 30, 3, 2, 4);
    const m = fitClassModel(core, data, 30, 3, dpgmmConfig({ sweeps: 8, burnIn: 2, thin: 3, chains: 2 }));
    const bytes = encodeClassModel(m);
    // Rewrite the header as version 2 wrote it: no classScore key.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const len = view.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + len)));
    delete header.config.classScore;
    const h2 = new TextEncoder().encode(JSON.stringify(header));
    const old = new Uint8Array(16 + h2.length + bytes.length - 16 - len);
    old.set(bytes.subarray(0, 16));
    old.set(h2, 16);
    old.set(bytes.subarray(16 + len), 16 + h2.length);
    const ov = new DataView(old.buffer);
    ov.setUint32(8, 2, true);
    ov.setUint32(12, h2.length, true);
    const back = decodeClassModel(old);
    expect(back.config.classScore).toBe("exact");
    expect(back.chains[1]?.traces[0]?.means).toEqual(m.chains[1]?.traces[0]?.means);
    ov.setUint32(8, 4, true);
    expect(() => decodeClassModel(old)).toThrow(/version 4/);
  });
});
