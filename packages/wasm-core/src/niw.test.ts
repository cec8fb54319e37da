// Property tests of the NIW/Cholesky algebra (assembly/chol.ts, assembly/niw.ts) against
// naive TypeScript implementations of the METHOD.md §3 formulas.
import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import { createCore } from "./node.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

// ---- naive dense algebra (test-side reference) -------------------------------------------

type Mat = Float64Array; // d×d row-major

function cholNaive(a: Mat, d: number): Mat {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * d + k] as number) * (l[j * d + k] as number);
      l[i * d + j] = i === j ? Math.sqrt(s) : s / (l[j * d + j] as number);
    }
  }
  return l;
}

function mulLLt(l: Mat, d: number): Mat {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (l[i * d + k] as number) * (l[j * d + k] as number);
      a[i * d + j] = s;
    }
  return a;
}

function mulLtL(w: Mat, d: number): Mat {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (w[k * d + i] as number) * (w[k * d + j] as number);
      a[i * d + j] = s;
    }
  return a;
}

function solveL(l: Mat, b: ArrayLike<number>, d: number): Float64Array {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * d + k] as number) * (y[k] as number);
    y[i] = s / (l[i * d + i] as number);
  }
  return y;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i] as number));
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m / Math.max(scale, 1e-300);
}

/** lgamma by recurrence up to x ≥ 12 and the Stirling series (independent of special.ts). */
function lgammaNaive(x: number): number {
  let shift = 0;
  while (x < 12) {
    shift += Math.log(x);
    x += 1;
  }
  const x2 = 1 / (x * x);
  const series = (1 / 12 - x2 * (1 / 360 - x2 * (1 / 1260 - x2 / 1680))) / x;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

interface Prior {
  mu0: Float64Array;
  s0: Float64Array;
  kappa0: number;
  nu0: number;
}

/** NIW posterior by the direct formula (METHOD.md §3). */
function posteriorDirect(pr: Prior, pts: Float64Array[], d: number) {
  const n = pts.length;
  const kn = pr.kappa0 + n;
  const nn = pr.nu0 + n;
  const xbar = new Float64Array(d);
  for (const p of pts) for (let j = 0; j < d; j++) xbar[j] = (xbar[j] as number) + (p[j] as number) / n;
  const mu = new Float64Array(d);
  for (let j = 0; j < d; j++) mu[j] = (pr.kappa0 * (pr.mu0[j] as number) + n * (n > 0 ? (xbar[j] as number) : 0)) / kn;
  const S = new Float64Array(d * d);
  for (let i = 0; i < d; i++) S[i * d + i] = pr.s0[i] as number;
  for (const p of pts)
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++)
        S[i * d + j] =
          (S[i * d + j] as number) +
          ((p[i] as number) - (xbar[i] as number)) * ((p[j] as number) - (xbar[j] as number));
  if (n > 0) {
    const c = (pr.kappa0 * n) / kn;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++)
        S[i * d + j] =
          (S[i * d + j] as number) +
          c * ((xbar[i] as number) - (pr.mu0[i] as number)) * ((xbar[j] as number) - (pr.mu0[j] as number));
  }
  return { kappa: kn, nu: nn, mu, S };
}

/** Student-t log-density exactly as written in METHOD.md §3. */
function logTDirect(pr: Prior, pts: Float64Array[], x: ArrayLike<number>, d: number): number {
  const { kappa, nu, mu, S } = posteriorDirect(pr, pts, d);
  const df = nu - d + 1;
  const c = (kappa + 1) / (kappa * df);
  const sigma = S.map((v) => v * c);
  const L = cholNaive(sigma, d);
  let logdet = 0;
  for (let i = 0; i < d; i++) logdet += 2 * Math.log(L[i * d + i] as number);
  const r = Float64Array.from({ length: d }, (_, j) => (x[j] as number) - (mu[j] as number));
  const y = solveL(L, r, d);
  let q = 0;
  for (const v of y) q += v * v;
  return (
    lgammaNaive((df + d) / 2) -
    lgammaNaive(df / 2) -
    (d / 2) * Math.log(df * Math.PI) -
    0.5 * logdet -
    ((df + d) / 2) * Math.log(1 + q / df)
  );
}

function randomSpd(seed: number, d: number): Mat {
  const rng = core.rng(seed, 99);
  const b = rng.normal(d * d);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = i === j ? d : 0;
      for (let k = 0; k < d; k++) s += (b[i * d + k] as number) * (b[j * d + k] as number);
      a[i * d + j] = s;
    }
  return a;
}

function invLower(l: Mat, d: number): Mat {
  const w = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const e = new Float64Array(d);
    e[j] = 1;
    const y = solveL(l, e, d);
    for (let i = 0; i < d; i++) w[i * d + j] = y[i] as number;
  }
  return w;
}

// ---- wasm helpers -------------------------------------------------------------------------

function cluster(pr: Prior, d: number) {
  const e = core.exports;
  const h = core.scope((s) => e.clu_create(d, s.f64(pr.mu0), s.f64(pr.s0), pr.kappa0, pr.nu0));
  return {
    h,
    acquire: () => e.clu_acquire(h),
    add: (slot: number, x: ArrayLike<number>) => core.scope((s) => e.clu_add(h, slot, s.f64(x))),
    remove: (slot: number, x: ArrayLike<number>, members: Float64Array[], force = false) =>
      core.scope((s) => {
        const flat = new Float64Array(Math.max(1, members.length) * d);
        members.forEach((m, i) => {
          flat.set(m, i * d);
        });
        return e.clu_remove(h, slot, s.f64(x), s.f64(flat), members.length, force ? 1 : 0);
      }),
    read: (slot: number) =>
      core.scope((s) => {
        const pm = s.f64Out(d);
        const pl = s.f64Out(d * d);
        const count = e.clu_read(h, slot, pm, pl);
        return { count, mu: core.readF64(pm, d), L: core.readF64(pl, d * d) };
      }),
    logt: (slot: number, x: ArrayLike<number>) => core.scope((s) => e.clu_logt(h, slot, s.f64(x))),
    logtRemoved: (slot: number, x: ArrayLike<number>) => core.scope((s) => e.clu_logt_removed(h, slot, s.f64(x))),
    logt0: (x: ArrayLike<number>) => core.scope((s) => e.clu_logt0(h, s.f64(x))),
    logMarginal: (slot: number) => e.clu_log_marginal(h, slot),
    free: () => e.clu_free(h),
  };
}

function randomPrior(seed: number, d: number): Prior {
  const rng = core.rng(seed, 7);
  const mu0 = rng.normal(d);
  const s0 = rng.uniform(d).map((u) => 0.2 + u);
  return { mu0, s0, kappa0: 0.01 + (rng.uniform(1)[0] as number), nu0: d + 2 };
}

function points(seed: number, n: number, d: number, spread = 1): Float64Array[] {
  const z = core.rng(seed, 8).normal(n * d);
  return Array.from({ length: n }, (_, i) => z.slice(i * d, (i + 1) * d).map((v, j) => spread * v + j));
}

// ---- kernels ------------------------------------------------------------------------------

describe("triangular kernels", () => {
  it.each([1, 2, 3, 4, 5, 8, 13, 17])("SIMD Mahalanobis equals its scalar twin and the naive form, d = %d", (d) => {
    const L = cholNaive(randomSpd(d, d), d);
    const W = invLower(L, d);
    const r = core.rng(d, 3).normal(d);
    const [simd, scalar] = core.scope((s) => {
      const pw = s.f64(W);
      const pr = s.f64(r);
      return [core.exports.tri_mahal(pw, pr, d, 1), core.exports.tri_mahal(pw, pr, d, 0)];
    });
    const y = solveL(L, r, d);
    const naive = y.reduce((a, v) => a + v * v, 0);
    expect(Math.abs((simd as number) - (scalar as number))).toBeLessThanOrEqual(1e-12 * (scalar as number));
    expect(Math.abs((scalar as number) - naive)).toBeLessThanOrEqual(1e-9 * naive);
  });

  it.each([1, 3, 4, 7, 16, 33])("batched Mahalanobis is bit-identical to the single-vector kernel, d = %d", (d) => {
    const W = invLower(cholNaive(randomSpd(200 + d, d), d), d);
    const B = 5;
    const rs = core.rng(d, 6).normal(B * d);
    const [batch, single] = core.scope((s) => {
      const pw = s.f64(W);
      const out = s.f64Out(B);
      core.exports.tri_mahal_batch(pw, s.f64(rs), B, d, out);
      const one = Array.from({ length: B }, (_, p) =>
        core.exports.tri_mahal(pw, s.f64(rs.subarray(p * d, p * d + d)), d, 1),
      );
      return [core.readF64(out, B), Float64Array.from(one)];
    });
    expect(batch).toEqual(single);
  });

  it.each([1, 2, 5, 8, 13])("SIMD triangular mat-vec equals its scalar twin, d = %d", (d) => {
    const W = invLower(cholNaive(randomSpd(300 + d, d), d), d);
    const r = core.rng(d, 9).normal(d);
    const run = (simd: number) =>
      core.scope((s) => {
        const out = s.f64Out(d);
        core.exports.tri_matvec(s.f64(W), s.f64(r), d, simd, out);
        return core.readF64(out, d);
      });
    const a = run(1);
    const b = run(0);
    for (let i = 0; i < d; i++)
      expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b[i] as number)));
  });

  it.each([
    [1, 1],
    [3, -1],
    [6, 1],
    [7, -1],
    [16, 1],
    [16, -1],
  ])(
    "precision-factor rank-one move equals recomputation (SIMD = scalar bit for bit), d = %d, sigma = %d",
    (d, sigma) => {
      const S = randomSpd(100 + d, d);
      const W = invLower(cholNaive(S, d), d);
      const P = mulLtL(W, d);
      // P − v vᵀ stays positive definite iff vᵀ P⁻¹ v = vᵀ S v < 1: scale the downdate to 0.5.
      const raw = core.rng(d, 4).normal(d);
      let vSv = 0;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) vSv += (raw[i] as number) * (S[i * d + j] as number) * (raw[j] as number);
      const v = raw.map((x) => (sigma < 0 ? x * Math.sqrt(0.5 / vSv) : x));
      const expected = P.map((p, k) => p + sigma * (v[Math.floor(k / d)] as number) * (v[k % d] as number));
      const run = (simd: number) =>
        core.scope((s) => {
          const pw = s.f64(W);
          const pv = s.f64(v);
          const ok = core.exports.tri_prec_rank1(pw, pv, d, sigma, simd);
          return { ok, W: core.readF64(pw, d * d) };
        });
      const a = run(1);
      const b = run(0);
      expect(a.ok).toBe(1);
      expect(a.W).toEqual(b.W);
      expect(maxRelDiff(mulLtL(a.W, d), expected)).toBeLessThan(1e-12);
      for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) expect(a.W[i * d + j]).toBe(0);
    },
  );

  it("Cholesky rank-one update and downdate equal recomputation; an impossible downdate is reported", () => {
    const d = 9;
    const S = randomSpd(5, d);
    const L = cholNaive(S, d);
    const x = core.rng(5, 5).normal(d);
    const run = (l: Float64Array, v: Float64Array, sigma: number) =>
      core.scope((s) => {
        const pl = s.f64(l);
        const ok = core.exports.tri_chol_rank1(pl, s.f64(v), d, sigma);
        return { ok, L: core.readF64(pl, d * d) };
      });
    const up = run(L, x, 1);
    expect(up.ok).toBe(1);
    const Sup = S.map((p, k) => p + (x[Math.floor(k / d)] as number) * (x[k % d] as number));
    expect(maxRelDiff(mulLLt(up.L, d), Sup)).toBeLessThan(1e-12);
    const down = run(up.L, x, -1);
    expect(down.ok).toBe(1);
    expect(maxRelDiff(mulLLt(down.L, d), S)).toBeLessThan(1e-10);
    // Removing 10·x x^T from S is not positive definite when x^T S^-1 x > 1/10.
    const big = x.map((v) => 10 * v);
    expect(run(L, big, -1).ok).toBe(0);
  });
});

// ---- clusters -----------------------------------------------------------------------------

describe("NIW clusters under rank-one moves", () => {
  it.each([1, 3, 8, 13])("adds and removes equal the direct posterior formula, d = %d", (d) => {
    const pr = randomPrior(d, d);
    const pts = points(d, 12, d);
    const c = cluster(pr, d);
    try {
      const s = c.acquire();
      for (const p of pts) expect(c.add(s, p)).toBe(1);
      const check = (members: Float64Array[]) => {
        const got = c.read(s);
        const want = posteriorDirect(pr, members, d);
        expect(got.count).toBe(members.length);
        expect(maxRelDiff(got.mu, want.mu)).toBeLessThan(1e-12);
        expect(maxRelDiff(mulLLt(got.L, d), want.S)).toBeLessThan(1e-10);
      };
      check(pts);
      // Remove every other point (clean downdates), checking after each.
      const kept = [...pts];
      for (let i = 0; i < 6; i++) {
        const x = kept.splice(i, 1)[0] as Float64Array;
        expect(c.remove(s, x, kept)).toBe(1);
        check(kept);
      }
    } finally {
      c.free();
    }
  });

  it("a forced failing downdate rebuilds the factor from the members, equal to recomputation", () => {
    const d = 6;
    const pr = randomPrior(1, d);
    const pts = points(2, 9, d);
    const c = cluster(pr, d);
    try {
      const s = c.acquire();
      for (const p of pts) c.add(s, p);
      const rest = pts.slice(1);
      expect(c.remove(s, pts[0] as Float64Array, rest, true)).toBe(0);
      const got = c.read(s);
      const want = posteriorDirect(pr, rest, d);
      expect(got.count).toBe(rest.length);
      expect(maxRelDiff(got.mu, want.mu)).toBeLessThan(1e-12);
      expect(maxRelDiff(mulLLt(got.L, d), want.S)).toBeLessThan(1e-12);
    } finally {
      c.free();
    }
  });

  it("a genuinely failing downdate (removing a non-member far away) is detected and rebuilt", () => {
    const d = 4;
    const pr = { mu0: new Float64Array(d), s0: new Float64Array(d).fill(1e-3), kappa0: 0.01, nu0: d + 2 };
    const pts = points(3, 3, d, 0.01);
    const c = cluster(pr, d);
    try {
      const s = c.acquire();
      for (const p of pts) c.add(s, p);
      // "Removing" a far point the cluster never held would make S_n indefinite.
      const far = Float64Array.from({ length: d }, () => 50);
      const rest = pts.slice(0, 2);
      expect(c.remove(s, far, rest)).toBe(0);
      const got = c.read(s);
      const want = posteriorDirect(pr, rest, d);
      expect(maxRelDiff(mulLLt(got.L, d), want.S)).toBeLessThan(1e-12);
    } finally {
      c.free();
    }
  });

  it.each([1, 2, 5, 11])("Student-t log-density equals the METHOD.md formula, d = %d", (d) => {
    const pr = randomPrior(30 + d, d);
    const pts = points(31 + d, 7, d);
    const c = cluster(pr, d);
    try {
      const s = c.acquire();
      const xs = points(32 + d, 5, d, 2);
      for (const x of xs) expect(c.logt(s, x)).toBeCloseTo(logTDirect(pr, [], x, d), 9);
      for (const x of xs) expect(c.logt0(x)).toBeCloseTo(logTDirect(pr, [], x, d), 9);
      for (const p of pts) c.add(s, p);
      for (const x of xs) expect(c.logt(s, x)).toBeCloseTo(logTDirect(pr, pts, x, d), 9);
      // The closed-form one-point-removed density (Sherman–Morrison + determinant lemma).
      for (let i = 0; i < pts.length; i++) {
        const others = pts.filter((_, j) => j !== i);
        expect(c.logtRemoved(s, pts[i] as Float64Array)).toBeCloseTo(
          logTDirect(pr, others, pts[i] as Float64Array, d),
          9,
        );
      }
    } finally {
      c.free();
    }
  });

  it("the log marginal likelihood equals the chain rule of sequential predictives", () => {
    const d = 5;
    const pr = randomPrior(40, d);
    const pts = points(41, 10, d);
    const c = cluster(pr, d);
    try {
      const s = c.acquire();
      let chain = 0;
      for (const p of pts) {
        chain += c.logt(s, p);
        c.add(s, p);
      }
      expect(c.logMarginal(s)).toBeCloseTo(chain, 8);
    } finally {
      c.free();
    }
  });
});
