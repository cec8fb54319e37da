// Collapsed Gibbs sampler for the DP-GMM (METHOD.md §3): Neal (2000), "Markov chain sampling
// methods for Dirichlet process mixture models", Algorithm 3, with α resampled after every
// sweep by the auxiliary-variable step of Escobar & West (1995), JASA 90(430), §6.
//
// One Chain owns a padded copy of the data, the assignments and a cluster pool (niw.ts).
// A sweep visits the points in a fresh random order; for point i in cluster k0 it needs
// log n_k^(−i) + log t_k^(−i)(x_i) for every cluster. Only k0 differs from its current state,
// and its one-point-removed density follows from the current factor in closed form
// (niw.ts: logWeightedTRemoved), so a point that stays where it is costs no factor update
// at all; factors change only when a point actually moves (one downdate, one update).

import { RNG_BYTES, rngSeed, uniform, uniformInt, gamma } from "./rng";
import { lgamma } from "./special";
import { mahalBatch } from "./chol";
import {
  Clusters,
  clustersCreate,
  clustersFree,
  strideFor,
  acquire,
  release,
  addPoint,
  removePoint,
  rebuild,
  mahalTo,
  wPtr,
  logWeightedT,
  logWeightedTRemoved,
  logPriorT,
  logMarginal,
  exportChol,
  muPtr,
  countOf,
} from "./niw";
import { f64At, i32At, setF64, setI32 } from "./mem";

@unmanaged
export class Chain {
  n: i32 = 0;
  d: i32 = 0;
  ld: i32 = 0;
  sweeps: i32 = 0;
  alpha: f64 = 1.0;
  alphaShape: f64 = 1.0;
  alphaRate: f64 = 1.0;
  logJoint: f64 = 0.0;
  cl: Clusters = changetype<Clusters>(0);
  X: usize = 0; // f64[n·ld] padded copy of the data
  z: usize = 0; // i32[n] slot of each point
  perm: usize = 0; // i32[n]
  logt0: usize = 0; // f64[n] log t0(x_i), fixed for the chain
  logp: usize = 0; // f64[n + 2] category log-weights of the current point
  slots: usize = 0; // i32[n + 1] scratch (active slots / members)
  rank: usize = 0; // i32[cap] scratch: slot → export index
  rng: usize = 0;
  splitMerge: i32 = 0; // split–merge proposals per sweep
  smAccepted: i32 = 0;
  listA: usize = 0; // i32[n] scratch for split–merge
  listB: usize = 0; // i32[n]
  others: usize = 0; // i32[n]
  batchA: usize = 0; // f64[acap·BATCH] Mahalanobis terms of the batch, slot-major
  acap: i32 = 0;
  batchR: usize = 0; // f64[BATCH·ld] x − μ of the batch
  batchTot: usize = 0; // 16·BATCH bytes
  nn: i32 = 0; // neighbours per point for split–merge pair selection (0 = uniform pairs only)
  nbr: usize = 0; // i32[n·nn] nearest neighbours of each point, nearest first
  cpoOn: i32 = 0; // whether sweeps accumulate the leave-one-out predictive
  cpoCount: i32 = 0; // sweeps accumulated
  cpoMax: usize = 0; // f64[n] running maximum of log p(x_i | z_−i, X_−i) over those sweeps
  cpoSum: usize = 0; // f64[n] Σ exp(log p − running maximum)
}

/** Sweeps between rebuilds of every cluster factor from its members. */
const REFACTOR_EVERY: i32 = 25;

/** Points scored together against each cluster (see mahalBatch). */
const BATCH: i32 = 8;


// @ts-ignore: decorator
@inline function rowPtr(ch: Chain, i: i32): usize {
  return ch.X + ((<usize>i * <usize>ch.ld) << 3);
}

function zalloc(bytes: usize): usize {
  const p = heap.alloc(bytes > 0 ? bytes : 16);
  memory.fill(p, 0, bytes);
  return p;
}

/** Rebuilds slot s from the points currently assigned to it. */
function rebuildFromMembers(ch: Chain, s: i32): void {
  let m = 0;
  for (let i = 0; i < ch.n; i++) {
    if (i32At(ch.z, i) == s) {
      setI32(ch.slots, m, i);
      m++;
    }
  }
  if (!rebuild(ch.cl, s, ch.X, ch.ld, ch.slots, m)) {
    throw new Error("gibbs: a cluster scatter matrix is not positive definite (degenerate prior scale S0)");
  }
}

/** Creates a chain over data (f64[n·d] row-major, copied) with prior (μ0 f64[d], diagonal
 * s0 f64[d], κ0, ν0), α ~ Gamma(alphaShape, alphaRate), and `initClusters` random initial
 * clusters (each point uniform over them; METHOD.md §3). The generator is seeded from
 * (seed, chain). The initial α is the prior mean a/b. */
export function chainCreate(
  data: usize,
  n: i32,
  d: i32,
  mu0: usize,
  s0: usize,
  kappa0: f64,
  nu0: f64,
  alphaShape: f64,
  alphaRate: f64,
  initClusters: i32,
  splitMerge: i32,
  seed: u64,
  chain: u64,
): Chain {
  const ch = changetype<Chain>(zalloc(offsetof<Chain>()));
  const ld = strideFor(d);
  ch.n = n;
  ch.d = d;
  ch.ld = ld;
  ch.alphaShape = alphaShape;
  ch.alphaRate = alphaRate;
  ch.alpha = alphaShape / alphaRate;
  ch.X = zalloc((<usize>n * <usize>ld) << 3);
  for (let i = 0; i < n; i++) {
    memory.copy(rowPtr(ch, i), data + ((<usize>i * <usize>d) << 3), <usize>d << 3);
  }
  ch.z = zalloc(<usize>n << 2);
  ch.perm = zalloc(<usize>n << 2);
  ch.logt0 = zalloc(<usize>n << 3);
  ch.logp = zalloc(<usize>(n + 2) << 3);
  ch.slots = zalloc(<usize>(n + 1) << 2);
  ch.rng = heap.alloc(RNG_BYTES);
  rngSeed(ch.rng, seed, chain);
  ch.splitMerge = splitMerge;
  ch.listA = zalloc(<usize>n << 2);
  ch.listB = zalloc(<usize>n << 2);
  ch.others = zalloc(<usize>n << 2);
  ch.batchR = zalloc((<usize>BATCH * <usize>ld) << 3);
  ch.batchTot = zalloc(<usize>BATCH << 4);
  let k0 = initClusters < 1 ? 1 : initClusters;
  if (k0 > n) k0 = n;
  const cl = clustersCreate(d, mu0, s0, kappa0, nu0, k0 + 8);
  ch.cl = cl;
  for (let i = 0; i < n; i++) setI32(ch.z, i, <i32>uniformInt(ch.rng, <u32>k0));
  for (let i = 0; i < n; i++) setF64(ch.logt0, i, logPriorT(cl, rowPtr(ch, i)));
  // Slots 0..k0−1 in order; drop any that received no point.
  for (let k = 0; k < k0; k++) acquire(cl);
  for (let k = 0; k < k0; k++) {
    rebuildFromMembers(ch, k);
    if (countOf(cl, k) == 0) release(cl, k);
  }
  cl.rebuilds = 0;
  ch.rank = zalloc(<usize>cl.cap << 2);
  ch.logJoint = computeLogJoint(ch);
  return ch;
}

export function chainFree(ch: Chain): void {
  clustersFree(ch.cl);
  heap.free(ch.X);
  heap.free(ch.z);
  heap.free(ch.perm);
  heap.free(ch.logt0);
  heap.free(ch.logp);
  heap.free(ch.slots);
  heap.free(ch.rank);
  heap.free(ch.rng);
  heap.free(ch.listA);
  heap.free(ch.listB);
  heap.free(ch.others);
  if (ch.batchA != 0) heap.free(ch.batchA);
  if (ch.nbr != 0) heap.free(ch.nbr);
  if (ch.cpoMax != 0) heap.free(ch.cpoMax);
  if (ch.cpoSum != 0) heap.free(ch.cpoSum);
  heap.free(ch.batchR);
  heap.free(ch.batchTot);
  heap.free(changetype<usize>(ch));
}

/** Moves point i (x) out of slot `from` for real (it is already re-assigned in z). */
function takeOut(ch: Chain, from: i32, x: usize): void {
  if (!removePoint(ch.cl, from, x)) rebuildFromMembers(ch, from);
}

function putIn(ch: Chain, to: i32, x: usize): void {
  if (!addPoint(ch.cl, to, x)) rebuildFromMembers(ch, to);
}

/** Running log-sum-exp of point i's leave-one-out predictive over the recorded sweeps. */
function accumulateCpo(ch: Chain, i: i32, l: f64): void {
  if (ch.cpoCount == 0) {
    setF64(ch.cpoMax, i, l);
    setF64(ch.cpoSum, i, 1.0);
    return;
  }
  const cur = f64At(ch.cpoMax, i);
  if (l > cur) {
    setF64(ch.cpoSum, i, f64At(ch.cpoSum, i) * Math.exp(cur - l) + 1.0);
    setF64(ch.cpoMax, i, l);
  } else {
    setF64(ch.cpoSum, i, f64At(ch.cpoSum, i) + Math.exp(l - cur));
  }
}

/** Turns accumulation of the leave-one-out predictive on (1) or off (0) for the next sweeps. */
export function chainRecordCpo(ch: Chain, on: i32): void {
  if (on != 0 && ch.cpoMax == 0) {
    ch.cpoMax = zalloc(<usize>ch.n << 3);
    ch.cpoSum = zalloc(<usize>ch.n << 3);
  }
  ch.cpoOn = on;
}

/** Writes log of the mean over the recorded sweeps of p(x_i | z_−i, X_−i) into out f64[n]
 * (−∞ when no sweep was recorded); returns the number of recorded sweeps. */
export function chainReadCpo(ch: Chain, out: usize): i32 {
  const c = ch.cpoCount;
  for (let i = 0; i < ch.n; i++) {
    setF64(out, i, c == 0 ? -Infinity : f64At(ch.cpoMax, i) + Math.log(f64At(ch.cpoSum, i) / <f64>c));
  }
  return c;
}

/** One sweep of Algorithm 3 over all points in a random order, then the α step. */
export function chainSweep(ch: Chain): void {
  const n = ch.n;
  const cl = ch.cl;
  const rng = ch.rng;
  const perm = ch.perm;
  const logp = ch.logp;
  // Fisher–Yates (Knuth, TAOCP vol. 2, Alg. 3.4.2P) from the identity each sweep.
  for (let i = 0; i < n; i++) setI32(perm, i, i);
  for (let i = n - 1; i > 0; i--) {
    const j = <i32>uniformInt(rng, <u32>(i + 1));
    const t = i32At(perm, i);
    setI32(perm, i, i32At(perm, j));
    setI32(perm, j, t);
  }
  const logAlphaInit = Math.log(ch.alpha);
  // Points are scored in batches of BATCH against each cluster (one pass over its factor
  // per batch); when a point moves, the two clusters it touched are re-scored for the rest
  // of the batch, so every score is exactly what a point-by-point scan would compute.
  for (let t = 0; t < n; t++) {
    const p = t % BATCH;
    if (p == 0) scoreBatch(ch, t);
    const i = i32At(perm, t);
    const x = rowPtr(ch, i);
    const k0 = i32At(ch.z, i);
    const single = countOf(cl, k0) == 1;
    let removed = false;
    const K = cl.nActive;
    let best = -Infinity;
    for (let idx = 0; idx < K; idx++) {
      const s = i32At(cl.active, idx);
      const a = load<f64>(ch.batchA + ((<usize>s * <usize>BATCH + <usize>p) << 3));
      let l: f64;
      if (s != k0) {
        l = logWeightedT(cl, s, a);
      } else if (single) {
        l = -Infinity; // the cluster would be dropped; "new cluster" stands for staying
      } else {
        l = logWeightedTRemoved(cl, s, a);
        if (isNaN(l)) {
          // The closed-form removal is ill-conditioned: remove for real (with a rebuild if
          // the downdate fails) and score the point against the result.
          setI32(ch.z, i, -1);
          takeOut(ch, k0, x);
          removed = true;
          l = logWeightedT(cl, s, mahalTo(cl, s, x));
        }
      }
      setF64(logp, idx, l);
      if (l > best) best = l;
    }
    const lnew = logAlphaInit + f64At(ch.logt0, i);
    setF64(logp, K, lnew);
    if (lnew > best) best = lnew;
    let total = 0.0;
    for (let idx = 0; idx <= K; idx++) {
      const e = Math.exp(f64At(logp, idx) - best);
      setF64(logp, idx, e);
      total += e;
    }
    // The normaliser of these Gibbs weights is (n − 1 + α) · p(x_i | z_−i, X_−i): the
    // leave-one-out predictive (conditional predictive ordinate) comes for one log per point.
    if (ch.cpoOn != 0) accumulateCpo(ch, i, best + Math.log(total) - Math.log(<f64>(n - 1) + ch.alpha));
    // Inverse-CDF draw; the last category absorbs rounding at the top end.
    let u = uniform(rng) * total;
    let pick = K;
    for (let idx = 0; idx < K; idx++) {
      u -= f64At(logp, idx);
      if (u < 0.0) {
        pick = idx;
        break;
      }
    }
    if (pick == K) {
      if (single) continue; // a fresh singleton is the state it already has
      const s = acquire(cl);
      setI32(ch.z, i, s);
      if (!removed) takeOut(ch, k0, x);
      putIn(ch, s, x);
      rescore(ch, t, k0);
      rescore(ch, t, s);
    } else {
      const s = i32At(cl.active, pick);
      if (s == k0) {
        if (removed) {
          setI32(ch.z, i, k0);
          putIn(ch, k0, x);
          rescore(ch, t, k0);
        }
        continue;
      }
      setI32(ch.z, i, s);
      if (single) release(cl, k0);
      else {
        if (!removed) takeOut(ch, k0, x);
        rescore(ch, t, k0);
      }
      putIn(ch, s, x);
      rescore(ch, t, s);
    }
  }
  // Split–merge after the scan: from a random start the first scan sorts the points, and
  // merging the initial (exchangeable, hence similar) random clusters first would throw
  // that structure away.
  for (let m = 0; m < ch.splitMerge; m++) splitMergeStep(ch);
  // Rank-one moves accumulate rounding in the factors; rebuilding every cluster from its
  // points now and then bounds that drift for long runs (about a tenth of a scan's cost).
  if ((ch.sweeps + 1) % REFACTOR_EVERY == 0) refactorAll(ch);
  if (ch.cpoOn != 0) ch.cpoCount++;
  sampleAlpha(ch);
  ch.sweeps++;
  ch.logJoint = computeLogJoint(ch);
}

function refactorAll(ch: Chain): void {
  const cl = ch.cl;
  const before = cl.rebuilds;
  for (let idx = 0; idx < cl.nActive; idx++) rebuildFromMembers(ch, i32At(cl.active, idx));
  cl.rebuilds = before; // scheduled, not repairs
}

function ensureBatchCapacity(ch: Chain): void {
  const cap = ch.cl.cap;
  if (cap <= ch.acap) return;
  const bytes = (<usize>cap * <usize>BATCH) << 3;
  ch.batchA = ch.batchA == 0 ? heap.alloc(bytes) : heap.realloc(ch.batchA, bytes);
  ch.acap = cap;
}

/** Mahalanobis terms of points perm[t0 .. t0+BATCH) against every active cluster. */
function scoreBatch(ch: Chain, t0: i32): void {
  const cl = ch.cl;
  ensureBatchCapacity(ch);
  let nb = ch.n - t0;
  if (nb > BATCH) nb = BATCH;
  const ldb = <usize>ch.ld << 3;
  const K = cl.nActive;
  for (let idx = 0; idx < K; idx++) {
    const s = i32At(cl.active, idx);
    const m = muPtr(cl, s);
    for (let p = 0; p < nb; p++) {
      const x = rowPtr(ch, i32At(ch.perm, t0 + p));
      const r = ch.batchR + <usize>p * ldb;
      for (let o: usize = 0; o < ldb; o += 16) v128.store(r + o, f64x2.sub(v128.load(x + o), v128.load(m + o)));
    }
    mahalBatch(wPtr(cl, s), ch.batchR, nb, ch.d, ch.ld, ch.batchTot, ch.batchA + ((<usize>s * <usize>BATCH) << 3));
  }
}

/** After the point at position t changed slot s, re-scores s for the rest of t's batch. */
function rescore(ch: Chain, t: i32, s: i32): void {
  const cl = ch.cl;
  if (i32At(cl.pos, s) < 0) return;
  ensureBatchCapacity(ch);
  const start = t - (t % BATCH);
  let end = start + BATCH;
  if (end > ch.n) end = ch.n;
  for (let u = t + 1; u < end; u++) {
    const a = mahalTo(cl, s, rowPtr(ch, i32At(ch.perm, u)));
    store<f64>(ch.batchA + ((<usize>s * <usize>BATCH + <usize>(u - start)) << 3), a);
  }
}

/** Escobar & West (1995) §6: η ~ Beta(α + 1, n); with odds π/(1−π) = (a + K − 1)/(n(b − log η)),
 * α ~ π Gamma(a + K, b − log η) + (1 − π) Gamma(a + K − 1, b − log η). Beta from two gammas. */
function sampleAlpha(ch: Chain): void {
  const rng = ch.rng;
  const n = <f64>ch.n;
  const K = <f64>ch.cl.nActive;
  const a = ch.alphaShape;
  const b = ch.alphaRate;
  const g1 = gamma(rng, ch.alpha + 1.0);
  const g2 = gamma(rng, n);
  const eta = g1 / (g1 + g2);
  const rate = b - Math.log(eta);
  const odds = (a + K - 1.0) / (n * rate);
  const pi = odds / (1.0 + odds);
  const shape = uniform(rng) < pi ? a + K : a + K - 1.0;
  let alpha = shape > 0.0 ? gamma(rng, shape) / rate : 0.0;
  // A draw that underflows would make log α = −∞ and forbid new clusters for ever.
  if (!(alpha > 1e-300)) alpha = 1e-300;
  ch.alpha = alpha;
}

/** log p(X | partition) + log p(partition | α) + log p(α): the collapsed NIW marginal
 * likelihoods, the CRP (Ewens) prior K log α + Σ log Γ(n_k) + log Γ(α) − log Γ(α + n), and the
 * Gamma(a, b) prior density of α. */
export function computeLogJoint(ch: Chain): f64 {
  const cl = ch.cl;
  const K = cl.nActive;
  const alpha = ch.alpha;
  let lj = 0.0;
  for (let idx = 0; idx < K; idx++) {
    const s = i32At(cl.active, idx);
    lj += logMarginal(cl, s) + lgamma(<f64>countOf(cl, s));
  }
  lj += <f64>K * Math.log(alpha) + lgamma(alpha) - lgamma(alpha + <f64>ch.n);
  const a = ch.alphaShape;
  const b = ch.alphaRate;
  lj += a * Math.log(b) - lgamma(a) + (a - 1.0) * Math.log(alpha) - b * alpha;
  return lj;
}

/** Fills ch.rank: slot → index among active slots in increasing slot order (the canonical
 * cluster order of exported traces); returns K. */
function rankSlots(ch: Chain): i32 {
  const cl = ch.cl;
  let k = 0;
  for (let s = 0; s < cl.cap; s++) {
    if (i32At(cl.pos, s) >= 0) {
      setI32(ch.rank, s, k);
      k++;
    } else {
      setI32(ch.rank, s, -1);
    }
  }
  return k;
}

/** Number of clusters now. */
export function chainK(ch: Chain): i32 {
  return ch.cl.nActive;
}

/** Exports the current state, clusters in increasing slot order: counts i32[K],
 * means f64[K·d], chol f64[K·d·d] (L of S_n, row-major lower). Returns K. */
export function chainExport(ch: Chain, counts: usize, means: usize, chol: usize): i32 {
  const cl = ch.cl;
  if (ch.rank != 0) heap.free(ch.rank);
  ch.rank = zalloc(<usize>cl.cap << 2);
  const K = rankSlots(ch);
  const d = ch.d;
  for (let s = 0; s < cl.cap; s++) {
    const k = i32At(ch.rank, s);
    if (k < 0) continue;
    setI32(counts, k, countOf(cl, s));
    memory.copy(means + ((<usize>k * <usize>d) << 3), muPtr(cl, s), <usize>d << 3);
    exportChol(cl, s, chol + ((<usize>k * <usize>d * <usize>d) << 3));
  }
  return K;
}

/** Writes the assignments i32[n] as indices into the chainExport order. */
export function chainAssignments(ch: Chain, out: usize): void {
  const cl = ch.cl;
  if (ch.rank != 0) heap.free(ch.rank);
  ch.rank = zalloc(<usize>cl.cap << 2);
  rankSlots(ch);
  for (let i = 0; i < ch.n; i++) setI32(out, i, i32At(ch.rank, i32At(ch.z, i)));
}

/** Adds point p to scratch slot s whose members are list[0..m) (p not yet listed);
 * rebuilds from the list if the factor update fails. Returns the new member count. */
function addTracked(ch: Chain, s: i32, list: usize, m: i32, p: i32): i32 {
  setI32(list, m, p);
  if (!addPoint(ch.cl, s, rowPtr(ch, p))) {
    if (!rebuild(ch.cl, s, ch.X, ch.ld, list, m + 1)) {
      throw new Error("gibbs: a cluster scatter matrix is not positive definite (degenerate prior scale S0)");
    }
  }
  return m + 1;
}

/** One split–merge Metropolis–Hastings proposal with sequential allocation (Dahl 2003,
 * "An improved merge-split sampler for conjugate Dirichlet process mixture models"; the
 * restricted-Gibbs idea of Jain & Neal 2004, JCGS 13(1), with one allocation pass). Two
 * distinct points i, j are drawn uniformly. In one cluster: propose splitting it into the
 * clusters seeded by i and j, allocating the other members one by one in a random order with
 * probability ∝ n_A t_A(x) vs n_B t_B(x); accept with min(1, π(split)/π(merged) / q(split)).
 * In two clusters: propose merging them, with q(split) the probability that the same
 * allocation scheme recreates the current pair. π is the collapsed posterior (CRP × NIW
 * marginals), so the move leaves the same distribution invariant as the Gibbs scan; it exists
 * because single-site Gibbs cannot open a cluster in high dimension under a diffuse prior
 * (the prior predictive t0 is orders of magnitude below any fitted cluster's density). */
export function splitMergeStep(ch: Chain): void {
  const n = ch.n;
  if (n < 2) return;
  const cl = ch.cl;
  const rng = ch.rng;
  const i = <i32>uniformInt(rng, <u32>n);
  let j: i32;
  // With neighbours, half the pairs are (i, one of i's nearest neighbours): merges of adjacent
  // clusters, which uniform pairs almost never propose once K is large. The choice of (i, j)
  // does not depend on the partition, so its probability is the same for a split and for the
  // merge that reverses it and cancels from the acceptance ratio.
  if (ch.nn > 0 && uniform(rng) < 0.5) {
    j = i32At(ch.nbr, i * ch.nn + <i32>uniformInt(rng, <u32>ch.nn));
  } else {
    j = <i32>uniformInt(rng, <u32>(n - 1));
    if (j >= i) j++;
  }
  const ci = i32At(ch.z, i);
  const cj = i32At(ch.z, j);
  const split = ci == cj;
  let no = 0;
  for (let k = 0; k < n; k++) {
    if (k == i || k == j) continue;
    const zk = i32At(ch.z, k);
    if (zk == ci || zk == cj) {
      setI32(ch.others, no, k);
      no++;
    }
  }
  for (let k = no - 1; k > 0; k--) {
    const r = <i32>uniformInt(rng, <u32>(k + 1));
    const t = i32At(ch.others, k);
    setI32(ch.others, k, i32At(ch.others, r));
    setI32(ch.others, r, t);
  }
  const A = acquire(cl);
  const B = acquire(cl);
  let na = addTracked(ch, A, ch.listA, 0, i);
  let nb = addTracked(ch, B, ch.listB, 0, j);
  let logq = 0.0;
  for (let t = 0; t < no; t++) {
    const k = i32At(ch.others, t);
    const x = rowPtr(ch, k);
    const la = logWeightedT(cl, A, mahalTo(cl, A, x));
    const lb = logWeightedT(cl, B, mahalTo(cl, B, x));
    // log pA and log pB without overflow.
    const mx = la > lb ? la : lb;
    const lse = mx + Math.log(Math.exp(la - mx) + Math.exp(lb - mx));
    let toA: bool;
    if (split) toA = uniform(rng) < Math.exp(la - lse);
    else toA = i32At(ch.z, k) == ci;
    logq += (toA ? la : lb) - lse;
    if (toA) na = addTracked(ch, A, ch.listA, na, k);
    else nb = addTracked(ch, B, ch.listB, nb, k);
  }
  const logAlpha = Math.log(ch.alpha);
  const mlA = logMarginal(cl, A);
  const mlB = logMarginal(cl, B);
  const nm = na + nb;
  if (split) {
    const mlM = logMarginal(cl, ci);
    const logPi = logAlpha + lgamma(<f64>na) + lgamma(<f64>nb) - lgamma(<f64>nm) + mlA + mlB - mlM;
    if (Math.log(uniform(rng)) < logPi - logq) {
      for (let t = 0; t < na; t++) setI32(ch.z, i32At(ch.listA, t), A);
      for (let t = 0; t < nb; t++) setI32(ch.z, i32At(ch.listB, t), B);
      release(cl, ci);
      ch.smAccepted++;
    } else {
      release(cl, A);
      release(cl, B);
    }
  } else {
    // The merged cluster, rebuilt from both member lists (cheaper than n rank-one adds).
    const M = acquire(cl);
    for (let t = 0; t < na; t++) setI32(ch.others, t, i32At(ch.listA, t));
    for (let t = 0; t < nb; t++) setI32(ch.others, na + t, i32At(ch.listB, t));
    if (!rebuild(cl, M, ch.X, ch.ld, ch.others, nm)) {
      throw new Error("gibbs: a cluster scatter matrix is not positive definite (degenerate prior scale S0)");
    }
    cl.rebuilds--; // a construction, not a repair
    const mlM = logMarginal(cl, M);
    const logPi = -(logAlpha + lgamma(<f64>na) + lgamma(<f64>nb) - lgamma(<f64>nm)) + mlM - mlA - mlB;
    release(cl, A);
    release(cl, B);
    if (Math.log(uniform(rng)) < logPi + logq) {
      for (let t = 0; t < n; t++) {
        const zt = i32At(ch.z, t);
        if (zt == ci || zt == cj) setI32(ch.z, t, M);
      }
      release(cl, ci);
      release(cl, cj);
      ch.smAccepted++;
    } else {
      release(cl, M);
    }
  }
}

/** Fills ch.nbr with the nn nearest neighbours (Euclidean, ties to the lower index) of every
 * point, for split–merge pair selection; nn is capped at n − 1. O(n² d) once per chain. */
export function chainSetNeighbours(ch: Chain, nn: i32): void {
  const n = ch.n;
  if (nn > n - 1) nn = n - 1;
  if (ch.nbr != 0) {
    heap.free(ch.nbr);
    ch.nbr = 0;
  }
  ch.nn = nn < 0 ? 0 : nn;
  if (ch.nn == 0) return;
  ch.nbr = zalloc((<usize>n * <usize>nn) << 2);
  const dist = zalloc(<usize>nn << 3);
  const ldb = <usize>ch.ld << 3;
  for (let i = 0; i < n; i++) {
    const xi = rowPtr(ch, i);
    let m = 0;
    for (let j = 0; j < n; j++) {
      if (j == i) continue;
      const xj = rowPtr(ch, j);
      let acc = f64x2.splat(0.0);
      for (let o: usize = 0; o < ldb; o += 16) {
        const r = f64x2.sub(v128.load(xi + o), v128.load(xj + o));
        acc = f64x2.add(acc, f64x2.mul(r, r));
      }
      const dj = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      if (m == nn && !(dj < f64At(dist, nn - 1))) continue;
      // Insertion into the sorted list of the nn nearest so far.
      let q = m < nn ? m : nn - 1;
      while (q > 0 && f64At(dist, q - 1) > dj) {
        setF64(dist, q, f64At(dist, q - 1));
        setI32(ch.nbr, i * nn + q, i32At(ch.nbr, i * nn + q - 1));
        q--;
      }
      setF64(dist, q, dj);
      setI32(ch.nbr, i * nn + q, j);
      if (m < nn) m++;
    }
  }
  heap.free(dist);
}
