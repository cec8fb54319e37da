// Posterior predictive log-densities of a fitted DP-GMM class model (METHOD.md §4).
//
// A Mixture holds T kept traces. Trace t has clusters k with counts n_k, means μ_k and
// Cholesky factors L_k of S_n, concentration α_t, and n = Σ n_k points. Its predictive is
//   exact: p_t(x) = Σ_k n_k/(n+α) t_k(x) + α/(n+α) t_0(x)       (Neal 2000, eq. 3.7)
//   paper: p_t(x) = Σ_k (α+n_k)/(Kα+n) t_k(x)                   (the authors' variant)
// and across traces exact = log((1/T) Σ_t p_t(x)), paper = (1/T) Σ_t log p_t(x).
// Components live in a cluster pool (niw.ts) so the density kernel is the sampler's.

import { Clusters, clustersCreate, clustersFree, acquire, refresh, wPtr, muPtr, mahalTo, logPriorT } from "./niw";
import { triInvLower } from "./chol";

@unmanaged
export class Mixture {
  d: i32 = 0;
  ld: i32 = 0;
  T: i32 = 0;
  variant: i32 = 0; // 0 exact, 1 paper
  nComp: i32 = 0;
  cl: Clusters = changetype<Clusters>(0);
  start: usize = 0; // i32[T+1] first component of each trace
  slot: usize = 0; // i32[nComp] pool slot of each component
  lc: usize = 0; // f64[nComp] log weight + Student-t constant
  logw: usize = 0; // f64[nComp] log mixture weight
  L: usize = 0; // f64[nComp·ld·ld] padded Cholesky factors of S_n (for sampling)
  logNew: usize = 0; // f64[T] log weight of the new-cluster term (−∞ for paper)
  alpha: usize = 0; // f64[T]
  x: usize = 0; // scratch f64[ld]
  tmp: usize = 0; // scratch f64[max K + 1]
  maxK: i32 = 0;
}

// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function setF64(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
// @ts-ignore: decorator
@inline function i32At(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function setI32(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

function zalloc(bytes: usize): usize {
  const p = heap.alloc(bytes > 0 ? bytes : 16);
  memory.fill(p, 0, bytes);
  return p;
}

/** Builds a mixture from T traces. ks i32[T] clusters per trace; alphas f64[T];
 * counts i32[ΣK]; means f64[ΣK·d]; chol f64[ΣK·d·d] (lower, row-major); prior μ0 f64[d],
 * s0 f64[d] (diagonal of S0), κ0, ν0; variant 0 = exact, 1 = paper. Inputs are copied. */
export function mixtureCreate(
  d: i32,
  T: i32,
  ks: usize,
  alphas: usize,
  counts: usize,
  means: usize,
  chol: usize,
  mu0: usize,
  s0: usize,
  kappa0: f64,
  nu0: f64,
  variant: i32,
): Mixture {
  const mx = changetype<Mixture>(zalloc(offsetof<Mixture>()));
  let total = 0;
  let maxK = 0;
  for (let t = 0; t < T; t++) {
    const k = i32At(ks, t);
    total += k;
    if (k > maxK) maxK = k;
  }
  const cl = clustersCreate(d, mu0, s0, kappa0, nu0, total);
  const ld = cl.ld;
  mx.d = d;
  mx.ld = ld;
  mx.T = T;
  mx.variant = variant;
  mx.nComp = total;
  mx.cl = cl;
  mx.maxK = maxK;
  mx.start = zalloc(<usize>(T + 1) << 2);
  mx.slot = zalloc(<usize>total << 2);
  mx.lc = zalloc(<usize>total << 3);
  mx.logw = zalloc(<usize>total << 3);
  mx.L = zalloc((<usize>total * <usize>ld * <usize>ld) << 3);
  mx.logNew = zalloc(<usize>T << 3);
  mx.alpha = zalloc(<usize>T << 3);
  mx.x = zalloc(<usize>ld << 3);
  mx.tmp = zalloc(<usize>(maxK + 1) << 3);
  let c = 0;
  for (let t = 0; t < T; t++) {
    setI32(mx.start, t, c);
    const K = i32At(ks, t);
    const alpha = f64At(alphas, t);
    setF64(mx.alpha, t, alpha);
    let n = 0;
    for (let k = 0; k < K; k++) n += i32At(counts, c + k);
    const fn = <f64>n;
    for (let k = 0; k < K; k++) {
      const nk = i32At(counts, c + k);
      const s = acquire(cl);
      setI32(mx.slot, c + k, s);
      const Lk = mx.L + ((<usize>(c + k) * <usize>ld * <usize>ld) << 3);
      const src = chol + ((<usize>(c + k) * <usize>d * <usize>d) << 3);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j <= i; j++) setF64(Lk, i * ld + j, f64At(src, i * d + j));
      }
      triInvLower(Lk, wPtr(cl, s), d, ld);
      memory.copy(muPtr(cl, s), means + ((<usize>(c + k) * <usize>d) << 3), <usize>d << 3);
      store<i32>(cl.cnt + (<usize>s << 2), nk);
      refresh(cl, s);
      const lw = variant == 0 ? Math.log(<f64>nk / (fn + alpha)) : Math.log((alpha + <f64>nk) / (<f64>K * alpha + fn));
      setF64(mx.logw, c + k, lw);
      // refresh() stored log n_k + constant; swap log n_k for the mixture weight.
      setF64(mx.lc, c + k, f64At(cl.lw, s) - (nk > 0 ? Math.log(<f64>nk) : 0.0) + lw);
    }
    setF64(mx.logNew, t, variant == 0 ? Math.log(alpha / (fn + alpha)) : -Infinity);
    c += K;
  }
  setI32(mx.start, T, c);
  return mx;
}

export function mixtureFree(mx: Mixture): void {
  clustersFree(mx.cl);
  heap.free(mx.start);
  heap.free(mx.slot);
  heap.free(mx.lc);
  heap.free(mx.logw);
  heap.free(mx.L);
  heap.free(mx.logNew);
  heap.free(mx.alpha);
  heap.free(mx.x);
  heap.free(mx.tmp);
  heap.free(changetype<usize>(mx));
}

/** log p_t(x) for trace t; x is f64[ld] with zero padding. */
export function traceLogPdf(mx: Mixture, t: i32, x: usize): f64 {
  const cl = mx.cl;
  const c0 = i32At(mx.start, t);
  const c1 = i32At(mx.start, t + 1);
  const tmp = mx.tmp;
  let best = -Infinity;
  let m = 0;
  for (let c = c0; c < c1; c++) {
    const s = i32At(mx.slot, c);
    const a = mahalTo(cl, s, x);
    const l = f64At(mx.lc, c) - load<f64>(cl.h + (<usize>s << 3)) * Math.log1p(load<f64>(cl.g + (<usize>s << 3)) * a);
    setF64(tmp, m, l);
    m++;
    if (l > best) best = l;
  }
  const ln = f64At(mx.logNew, t);
  if (ln > -Infinity) {
    const l = ln + logPriorT(cl, x);
    setF64(tmp, m, l);
    m++;
    if (l > best) best = l;
  }
  if (best == -Infinity) return -Infinity;
  let sum = 0.0;
  for (let i = 0; i < m; i++) sum += Math.exp(f64At(tmp, i) - best);
  return best + Math.log(sum);
}

/** out[i] = log predictive density of point i (points f64[m·d] row-major), METHOD.md §4. */
export function mixtureLogPdf(mx: Mixture, points: usize, m: i32, out: usize): void {
  const d = mx.d;
  const T = mx.T;
  const x = mx.x;
  const logT = Math.log(<f64>T);
  for (let i = 0; i < m; i++) {
    memory.copy(x, points + ((<usize>i * <usize>d) << 3), <usize>d << 3);
    let r: f64;
    if (mx.variant == 0) {
      let best = -Infinity;
      // Two passes (max, then sum) would evaluate every trace twice; a running
      // log-sum-exp keeps it to one.
      let sum = 0.0;
      for (let t = 0; t < T; t++) {
        const l = traceLogPdf(mx, t, x);
        if (l == -Infinity) continue;
        if (l > best) {
          sum = sum * Math.exp(best - l) + 1.0;
          best = l;
        } else {
          sum += Math.exp(l - best);
        }
      }
      r = best == -Infinity ? -Infinity : best + Math.log(sum) - logT;
    } else {
      let s = 0.0;
      for (let t = 0; t < T; t++) s += traceLogPdf(mx, t, x);
      r = s / <f64>T;
    }
    setF64(out, i, r);
  }
}
