// An oracle upper bound on the noisy passes ANY valid certification procedure could save on a
// measured population, at a given total budget of certified-radius loss (the adaptive
// CERTIFY target, bench/adaptive-certify-real.mjs).
//
// The fact used. A procedure is valid at level α when, for every input and every true
// p = P(f(x + ε) = ĉ), P(reported p_lower > p) ≤ α. Take any path of N estimation votes that are
// ALL for ĉ, and suppose the procedure, having seen that path, reports p_lower ≥ q. For a true
// p' < q the path has probability p'^N, so validity needs p'^N ≤ α for every p' < q, i.e.
// q^N ≤ α: on the all-ĉ path, N votes certify at most ρ(N) = σ·Φ⁻¹(α^(1/N)) (= Clopper–Pearson's
// bound at k = N, computed here as stats.clopperPearsonLower(N, N, α)). The inputs whose fixed-n
// run saw k = n are the ones the bound bites on: their fixed radius is exactly ρ(n), and their
// path IS all-ĉ. (On a path with other votes a procedure could in principle claim more than
// ρ(N) on a set of paths of small probability: for every true p, P(report ≥ q within N votes)
// ≤ α/q^N. Inputs whose fixed run saw other votes get ρ(N) all the same — generously, as their
// own CP bound needs far more than ρ's N, so the bound only gets looser there.)
//
// The oracle allocation. Input i keeps N_i estimation votes (plus its selection votes) and loses
// loss_i(N_i) = r_i − min(ρ(N_i), cap_i) of the fixed run's credited radius r_i (0 when the fixed
// run abstained or certified a wrong class). Minimise Σ cost_i(N_i) s.t. Σ loss_i(N_i) ≤ B. Three
// models of what the procedure may know or must pay:
//   A (the target's wording, "even one that knows the labels"): each input costs n0 + N_i; inputs the
//     fixed run did not certify correctly cost only n0 and lose nothing; no input is credited
//     beyond its fixed radius (cap_i = r_i).
//   C (procedures that see only the votes, like CERTIFY and adaptive CERTIFY): as A, but every
//     input whose n0 + n votes were all for ĉ — certified correct OR wrong — shows the same all-ĉ path,
//     so a deterministic procedure spends the same N on all of them.
//   B (more generous than A): selection is free (cost N_i only), inputs not certified correctly
//     cost 0, and gains are allowed up to the label's one-sided Clopper–Pearson upper bound
//     p_up from the fixed run's votes (cap_i = σ·Φ⁻¹(p_up), 0 if p_up ≤ 1/2): a valid procedure
//     reports more than the true p with probability ≤ α, and p ≤ p_up except with probability α.
// The minimum is found by Lagrangian duality over a grid of N: for EVERY λ ≥ 0,
// Σ_i min_N [cost_i(N) + λ·loss_i(N)] − λ·B is a lower bound on the minimum (weak duality, no
// convexity needed), so the largest such value over λ is a rigorous lower bound; the grid is
// made rigorous by charging each grid interval (G_{j−1}, G_j] its smallest cost and its largest
// radius. An allocation that meets the budget gives the upper end (both are reported).
// Model D (expectedOptions below) bounds expected cost and loss instead, and bites on inputs whose
// votes were not unanimous, where A/B/C are loose.

/** Grid of estimation sample counts: 0 … 2048 one by one, then ×1.0005 up to `max`, with `extra`. */
function grid(max, extra) {
  const g = [];
  for (let N = 0; N <= Math.min(2048, max); N++) g.push(N);
  let N = 2048;
  while (N < max) {
    N = Math.min(max, Math.max(N + 1, Math.ceil(N * 1.0005)));
    g.push(N);
  }
  for (const e of extra) if (e <= max && !g.includes(e)) g.push(e);
  return Float64Array.from(g.sort((a, b) => a - b));
}

const rhoCache = new Map();
/** ρ(G_j) = σ·Φ⁻¹(α^(1/G_j)) (0 where that is < 1/2, including G_j = 0). */
function rhos(stats, sigma, alpha, g) {
  const key = `${sigma}/${alpha}/${g.length}/${g[g.length - 1]}`;
  const hit = rhoCache.get(key);
  if (hit) return hit;
  const r = new Float64Array(g.length);
  for (let j = 0; j < g.length; j++) {
    const N = g[j];
    const q = N === 0 ? 0 : stats.clopperPearsonLower(N, N, alpha);
    r[j] = q < 0.5 ? 0 : sigma * stats.normalQuantile(q);
  }
  rhoCache.set(key, r);
  return r;
}

/**
 * The bound for `model` ("A", "B", "C" or "D", see above and expectedOptions) at total loss budget `budget` (radius units,
 * summed over inputs). `items`: per input { correct, radius (the fixed run's credited radius),
 * unanimous (all n0 + n votes for ĉ), labelCount (votes for the label among the n), pLower }. Returns
 * { lower, upper, lambda, describe }: the least total passes lies in [lower, upper].
 */
export function oracleBound({ stats, sigma, alpha, n0, n, items, model, budget }) {
  const gen = model === "B";
  const max = gen ? 100 * n : n;
  const { J, opts } = model === "D" ? expectedOptions({ stats, sigma, alpha, n0, n, items }) : pathOptions();
  function pathOptions() {
    const g = grid(max, [n]);
    const rho = rhos(stats, sigma, alpha, g);
    // (Super-)items: { mult, c0 (cost per member at N = 0), r (list of credited radii of members
    // that count), cap (per counted member) } — identical ones merged with a multiplicity.
    const raw = [];
    const group = { members: 0, radii: [] };
    for (const it of items) {
      if (model === "C" && it.unanimous) {
        group.members++;
        if (it.correct) group.radii.push(it.radius);
        continue;
      }
      if (gen) {
        const pUp = it.labelCount >= n ? 1 : 1 - stats.clopperPearsonLower(n - it.labelCount, n, alpha);
        const cap = pUp <= 0.5 ? 0 : pUp >= 1 ? Number.POSITIVE_INFINITY : sigma * stats.normalQuantile(pUp);
        if (cap === 0 && it.radius === 0) continue; // costs 0, loses 0
        raw.push({ members: 1, c0: 0, radii: [it.radius], caps: [cap] });
      } else if (it.correct && it.radius > 0) raw.push({ members: 1, c0: n0, radii: [it.radius], caps: [it.radius] });
      else raw.push({ members: 1, c0: n0, radii: [], caps: [] }); // n0, loses nothing
    }
    if (group.members > 0) raw.push({ members: group.members, c0: n0, radii: group.radii, caps: group.radii });
    const merged = new Map();
    for (const it of raw) {
      const key = JSON.stringify([it.members, it.c0, it.radii, it.caps.map(String)]);
      const m = merged.get(key);
      if (m) m.mult++;
      else merged.set(key, { ...it, mult: 1 });
    }
    // Option arrays per item: costLo (interval's least cost), costAt (cost at G_j), loss (with the
    // interval's largest radius ρ(G_j), attained at N = G_j).
    const J = g.length;
    const opts = [...merged.values()].map((it) => {
      const costLo = new Float64Array(J);
      const costAt = new Float64Array(J);
      const loss = new Float64Array(J);
      for (let j = 0; j < J; j++) {
        const lo = j === 0 ? 0 : g[j - 1] + 1;
        costLo[j] = it.members * (it.c0 + lo);
        costAt[j] = it.members * (it.c0 + g[j]);
        let l = 0;
        for (let m = 0; m < it.radii.length; m++) l += it.radii[m] - Math.min(rho[j], it.caps[m]);
        loss[j] = l;
      }
      return { mult: it.mult, costLo, costAt, loss };
    });
    return { J, opts };
  }
  const inner = (lambda, which) => {
    let value = 0;
    let cost = 0;
    let loss = 0;
    let atEnd = false;
    for (const o of opts) {
      const c = which === "lo" ? o.costLo : o.costAt;
      let best = 0;
      let bv = c[0] + lambda * o.loss[0];
      for (let j = 1; j < J; j++) {
        const v = c[j] + lambda * o.loss[j];
        if (v < bv) {
          bv = v;
          best = j;
        }
      }
      if (best === J - 1) atEnd = true;
      value += o.mult * bv;
      cost += o.mult * c[best];
      loss += o.mult * o.loss[best];
    }
    return { value, cost, loss, atEnd };
  };
  // Dual: concave in λ, so unimodal in log λ: golden-section search, keeping the best value seen.
  const dual = (t) => {
    const lambda = t === Number.NEGATIVE_INFINITY ? 0 : Math.exp(t);
    const r = inner(lambda, "lo");
    if (gen && r.atEnd) throw new Error(`oracle ${model}: λ = ${lambda} wants N beyond the grid (${max})`);
    return r.value - lambda * budget;
  };
  let lower = dual(Number.NEGATIVE_INFINITY);
  let a = -10;
  let b = 30;
  const phi = (Math.sqrt(5) - 1) / 2;
  let x1 = b - phi * (b - a);
  let x2 = a + phi * (b - a);
  let f1 = dual(x1);
  let f2 = dual(x2);
  for (let it = 0; it < 80; it++) {
    lower = Math.max(lower, f1, f2);
    if (f1 < f2) {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + phi * (b - a);
      f2 = dual(x2);
    } else {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - phi * (b - a);
      f1 = dual(x1);
    }
  }
  lower = Math.max(lower, f1, f2);
  // Primal: the smallest λ (bisection in log λ) whose allocation meets the budget.
  let lo = -10;
  let hi = 30;
  let best = inner(Math.exp(hi), "at");
  if (best.loss > budget + 1e-12) return { lower, upper: Number.NaN, describe: describe(model), lambda: Number.NaN };
  for (let it = 0; it < 80; it++) {
    const mid = (lo + hi) / 2;
    const r = inner(Math.exp(mid), "at");
    if (r.loss <= budget + 1e-12) {
      hi = mid;
      best = r;
    } else lo = mid;
  }
  return { lower, upper: best.cost, lambda: Math.exp(hi), describe: describe(model) };
}

function describe(model) {
  return {
    D: "any valid procedure, in expectation (Wald/KL bound, see expectedOptions): expected passes max(n0, T) vs expected loss",
    A: "any valid procedure, even one that knows the labels (n0 charged per input; wrong/abstained inputs cost n0; no radius above the fixed run's)",
    C: "valid procedures that see only the votes (as A, but inputs with all n0 + n votes for ĉ, right or wrong, share one N)",
    B: "more generous than A: free selection, wrong/abstained inputs free, gains up to the label's Clopper–Pearson upper bound",
  }[model];
}

// Model D: a bound on EXPECTED cost and loss that also bites on inputs whose votes were not
// unanimous. For any valid procedure, any true p and any q < p, with S = {reported radius ≥
// σ·Φ⁻¹(q)} and τ the votes it draws: E_p[τ]·KL(p‖p') ≥ kl(P_p(S), P_p'(S)) for every p' < q
// (Kaufmann, Cappé & Garivier 2016, "On the complexity of best-arm identification", JMLR, Lemma 1;
// kl = the Bernoulli relative entropy), and validity gives P_p'(S) ≤ α, so P_p(S) ≤ β*(T·KL(p‖q))
// where T = E_p[τ] and β*(c) = the largest β ≥ α with kl(β, α) ≤ c (β* = 1 once c ≥ ln(1/α)).
// The expected credited radius is then E[min(R, r_i)] = ∫_0^{r_i} P(R ≥ r) dr ≤ ∫_0^{r_i}
// β*(T·KL(p‖Φ(r/σ))) dr. The true p is unknown; KL(p‖q) grows with p (p > q), so the label's
// one-sided Clopper–Pearson upper bound p_up from the fixed run's votes (p ≤ p_up except with
// probability α) is used in its place. With p_up = 1 (unanimous votes) this is the bound of models
// A/C in expectation: T ≥ ln(1/α)/ln(1/q) to certify q surely. Cost: max(n0, T) (the votes that
// carry information include the selection ones; CERTIFY-like procedures draw at least n0). Both
// integrals are over grids with the bound rounded the safe way (β* from a table, rounded up; the
// integrand at each r interval's left end; T intervals charged their least T).
function expectedOptions({ stats, sigma, alpha, n0, n, items }) {
  // β grid and kl(β, α) on it, increasing.
  const TB = 20000;
  const betas = new Float64Array(TB + 1);
  const kls = new Float64Array(TB + 1);
  const kl = (x, y) => (x <= 0 ? 0 : x * Math.log(x / y)) + (x >= 1 ? 0 : (1 - x) * Math.log((1 - x) / (1 - y)));
  for (let t = 0; t <= TB; t++) {
    betas[t] = alpha + ((1 - alpha) * t) / TB;
    kls[t] = kl(betas[t], alpha);
  }
  const betaStar = (c) => {
    if (c >= kls[TB]) return 1;
    let lo = 0;
    let hi = TB; // kls[lo] ≤ c < kls[hi]
    if (c < kls[0]) return alpha;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (kls[mid] <= c) lo = mid;
      else hi = mid;
    }
    return betas[hi];
  };
  const Tg = [0];
  for (let T = 1; T < n; T = Math.max(T + 1, Math.ceil(T * 1.01))) Tg.push(T);
  Tg.push(n);
  const J = Tg.length;
  const M = 750;
  const raw = new Map();
  for (const it of items) {
    const key = it.correct && it.radius > 0 ? `${it.labelCount}/${it.pLower}` : "other";
    const m = raw.get(key);
    if (m) m.mult++;
    else raw.set(key, { mult: 1, it });
  }
  const opts = [];
  for (const [key, { mult, it }] of raw) {
    const costLo = new Float64Array(J);
    const costAt = new Float64Array(J);
    const loss = new Float64Array(J);
    for (let j = 0; j < J; j++) {
      costLo[j] = Math.max(n0, j === 0 ? 0 : Tg[j - 1]);
      costAt[j] = Math.max(n0, Tg[j]);
    }
    if (key !== "other") {
      const k = it.labelCount;
      const pUp = k >= n ? 1 : 1 - stats.clopperPearsonLower(n - k, n, alpha);
      // q grid from 1/2 to q_i = p_lower_i, evenly in log(1 − q), 150 steps over the first 80% of
      // that range and 600 over the last 20% (where rounding to the left end would cost most);
      // radii σ·Φ⁻¹(q).
      const u0 = Math.log(0.5);
      const u1 = Math.log(1 - it.pLower);
      const qs = new Float64Array(M + 1);
      const rs = new Float64Array(M + 1);
      for (let m = 0; m <= M; m++) {
        const f = m <= 150 ? (0.8 * m) / 150 : 0.8 + (0.2 * (m - 150)) / (M - 150);
        qs[m] = m === M ? it.pLower : 1 - Math.exp(u0 + (u1 - u0) * f);
        rs[m] = m === 0 ? 0 : m === M ? it.radius : sigma * stats.normalQuantile(qs[m]);
      }
      const kls2 = new Float64Array(M);
      for (let m = 0; m < M; m++) kls2[m] = pUp >= 1 ? -Math.log(qs[m]) : kl(pUp, qs[m]);
      for (let j = 0; j < J; j++) {
        let credited = 0;
        for (let m = 0; m < M; m++) credited += (rs[m + 1] - rs[m]) * betaStar(Tg[j] * kls2[m]);
        loss[j] = Math.max(0, it.radius - credited);
      }
    }
    opts.push({ mult, costLo, costAt, loss });
  }
  return { J, opts };
}

/**
 * Checks the solver on cases with a known answer; throws if it is off. One unanimous correct
 * input under model A: the least cost is n0 + N*, N* the least N with ρ(N) ≥ r − B.
 */
export function oracleSelfTest(stats) {
  const sigma = 0.5;
  const alpha = 0.001;
  const n0 = 100;
  const n = 100_000;
  const rN = (N) => sigma * stats.normalQuantile(stats.clopperPearsonLower(N, N, alpha));
  const r = rN(n);
  for (const B of [0, 0.05 * sigma, 0.3 * sigma]) {
    // N* by bisection over integers (ρ increasing).
    let lo = 1;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rN(mid) >= r - B) hi = mid;
      else lo = mid + 1;
    }
    const exact = n0 + lo;
    const items = [{ correct: true, radius: r, unanimous: true, labelCount: n }];
    for (const model of ["A", "C"]) {
      const b = oracleBound({ stats, sigma, alpha, n0, n, items, model, budget: B });
      if (!(b.lower <= exact + 1e-6 && b.upper >= exact && b.lower >= exact * 0.999))
        throw new Error(`oracle self-test ${model}, B = ${B}: [${b.lower}, ${b.upper}] vs exact ${exact}`);
    }
  }
  // Two identical inputs with budget 2B cost at most as much as twice one input at B (convexity
  // aside, the bound must be ≤ that), and a wrong input costs exactly n0 under A.
  const one = oracleBound({
    stats,
    sigma,
    alpha,
    n0,
    n,
    items: [{ correct: true, radius: r, unanimous: true, labelCount: n }],
    model: "A",
    budget: 0.05 * sigma,
  });
  const two = oracleBound({
    stats,
    sigma,
    alpha,
    n0,
    n,
    items: [
      { correct: true, radius: r, unanimous: true, labelCount: n },
      { correct: false, radius: 0, unanimous: false, labelCount: 3 },
    ],
    model: "A",
    budget: 0.05 * sigma,
  });
  if (Math.abs(two.lower - one.lower - n0) > 1e-6 * one.lower)
    throw new Error(`oracle self-test: a wrong input should add n0`);
  // D bounds expectations, so it is weaker than the path bound on a unanimous input, but not
  // vacuous: certifying the full radius surely needs ln(1/α)/ln(1/q) votes in expectation too.
  const unan = [
    { correct: true, radius: r, unanimous: true, labelCount: n, pLower: stats.clopperPearsonLower(n, n, alpha) },
  ];
  const dA = oracleBound({ stats, sigma, alpha, n0, n, items: unan, model: "A", budget: 0.05 * sigma });
  const dD = oracleBound({ stats, sigma, alpha, n0, n, items: unan, model: "D", budget: 0.05 * sigma });
  const d0 = oracleBound({ stats, sigma, alpha, n0, n, items: unan, model: "D", budget: 0 });
  const dAll = oracleBound({ stats, sigma, alpha, n0, n, items: unan, model: "D", budget: r });
  if (!(dD.lower <= dA.lower && dD.lower > 0.3 * dA.lower))
    throw new Error(`oracle self-test: D ${dD.lower} vs A ${dA.lower} on one unanimous input`);
  if (!(d0.lower > 0.98 * n && d0.lower <= n + 1e-6))
    throw new Error(`oracle self-test: D at budget 0 gives ${d0.lower}, not ≈ n`);
  if (Math.abs(dAll.lower - n0) > 1e-6)
    throw new Error(`oracle self-test: D with the whole radius to lose gives ${dAll.lower}, not n0`);
  return { A: dA.lower, D: dD.lower, D0: d0.lower };
}
