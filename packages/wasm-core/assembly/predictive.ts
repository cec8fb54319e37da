// Posterior predictive log-densities of a fitted DP-GMM class model (METHOD.md §4).
//
// A Mixture holds T kept traces. Trace t has clusters k with counts n_k, means μ_k and
// Cholesky factors L_k of S_n, concentration α_t, and n = Σ n_k points. Its predictive is
//   exact: p_t(x) = Σ_k n_k/(n+α) t_k(x) + α/(n+α) t_0(x)       (Neal 2000, eq. 3.7)
//   paper: p_t(x) = Σ_k (α+n_k)/(Kα+n) t_k(x)                   (the authors' variant)
// and across traces exact = log((1/T) Σ_t p_t(x)), paper = (1/T) Σ_t log p_t(x).
// mean-log: the exact p_t pooled as paper pools, (1/T) Σ_t log p_t(x): the posterior mean of
// each trace's log predictive, whose estimate does not rise with the number of traces pooled.
// Components live in a cluster pool (niw.ts) so the density kernel is the sampler's.

import { Clusters, clustersCreate, clustersFree, acquire, refresh, wPtr, muPtr, mahalTo, logPriorT } from "./niw";
import { triInvLower, mahalBatch } from "./chol";
import { f64At, i32At, setF64, setI32 } from "./mem";

/** Points evaluated together against each component (see mahalBatch in chol.ts). */
export const PBATCH: i32 = 8;

@unmanaged
export class Mixture {
  d: i32 = 0;
  ld: i32 = 0;
  T: i32 = 0;
  variant: i32 = 0; // 0 exact, 1 paper, 2 mean-log
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
  bx: usize = 0; // scratch f64[PBATCH·ld] padded points
  br: usize = 0; // scratch f64[PBATCH·ld] x − μ
  ba: usize = 0; // scratch f64[PBATCH] Mahalanobis terms
  btot: usize = 0; // scratch 16·PBATCH bytes
  btmp: usize = 0; // scratch f64[(max K + 1)·PBATCH] component log terms
  bout: usize = 0; // scratch f64[PBATCH] per-trace log densities
  bbest: usize = 0; // scratch f64[PBATCH]
  bsum: usize = 0; // scratch f64[PBATCH]
}


function zalloc(bytes: usize): usize {
  const p = heap.alloc(bytes > 0 ? bytes : 16);
  memory.fill(p, 0, bytes);
  return p;
}

/** Builds a mixture from T traces. ks i32[T] clusters per trace; alphas f64[T];
 * counts i32[ΣK]; means f64[ΣK·d]; chol f64[ΣK·d·d] (lower, row-major); prior μ0 f64[d],
 * s0 f64[d] (diagonal of S0), κ0, ν0; variant 0 = exact, 1 = paper, 2 = mean-log. Inputs are copied. */
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
  mx.bx = zalloc((<usize>PBATCH * <usize>ld) << 3);
  mx.br = zalloc((<usize>PBATCH * <usize>ld) << 3);
  mx.ba = zalloc(<usize>PBATCH << 3);
  mx.btot = zalloc(<usize>PBATCH << 4);
  mx.btmp = zalloc((<usize>(maxK + 1) * <usize>PBATCH) << 3);
  mx.bout = zalloc(<usize>PBATCH << 3);
  mx.bbest = zalloc(<usize>PBATCH << 3);
  mx.bsum = zalloc(<usize>PBATCH << 3);
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
      const lw = variant != 1 ? Math.log(<f64>nk / (fn + alpha)) : Math.log((alpha + <f64>nk) / (<f64>K * alpha + fn));
      setF64(mx.logw, c + k, lw);
      // refresh() stored log n_k + constant; swap log n_k for the mixture weight.
      setF64(mx.lc, c + k, f64At(cl.lw, s) - (nk > 0 ? Math.log(<f64>nk) : 0.0) + lw);
    }
    setF64(mx.logNew, t, variant != 1 ? Math.log(alpha / (fn + alpha)) : -Infinity);
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
  heap.free(mx.bx);
  heap.free(mx.br);
  heap.free(mx.ba);
  heap.free(mx.btot);
  heap.free(mx.btmp);
  heap.free(mx.bout);
  heap.free(mx.bbest);
  heap.free(mx.bsum);
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

/** traceLogPdf for the B ≤ PBATCH padded points in mx.bx, into mx.bout. Each component's
 * factor is read once for all B points (mahalBatch); every per-point value and summation
 * order is traceLogPdf's, so the results are bit-identical to it. */
export function traceLogPdfBatch(mx: Mixture, t: i32, B: i32): void {
  const cl = mx.cl;
  const ld = mx.ld;
  const ldb = <usize>ld << 3;
  const c0 = i32At(mx.start, t);
  const c1 = i32At(mx.start, t + 1);
  const btmp = mx.btmp;
  for (let p = 0; p < B; p++) setF64(mx.bbest, p, -Infinity);
  let m = 0;
  for (let c = c0; c < c1; c++) {
    const s = i32At(mx.slot, c);
    const mu = muPtr(cl, s);
    for (let p = 0; p < B; p++) {
      const x = mx.bx + <usize>p * ldb;
      const r = mx.br + <usize>p * ldb;
      for (let o: usize = 0; o < ldb; o += 16) v128.store(r + o, f64x2.sub(v128.load(x + o), v128.load(mu + o)));
    }
    mahalBatch(wPtr(cl, s), mx.br, B, mx.d, ld, mx.btot, mx.ba);
    const lc = f64At(mx.lc, c);
    const h = load<f64>(cl.h + (<usize>s << 3));
    const g = load<f64>(cl.g + (<usize>s << 3));
    for (let p = 0; p < B; p++) {
      const l = lc - h * Math.log1p(g * f64At(mx.ba, p));
      setF64(btmp, m * PBATCH + p, l);
      if (l > f64At(mx.bbest, p)) setF64(mx.bbest, p, l);
    }
    m++;
  }
  const ln = f64At(mx.logNew, t);
  if (ln > -Infinity) {
    for (let p = 0; p < B; p++) {
      const l = ln + logPriorT(cl, mx.bx + <usize>p * ldb);
      setF64(btmp, m * PBATCH + p, l);
      if (l > f64At(mx.bbest, p)) setF64(mx.bbest, p, l);
    }
    m++;
  }
  for (let p = 0; p < B; p++) {
    const best = f64At(mx.bbest, p);
    if (best == -Infinity) {
      setF64(mx.bout, p, -Infinity);
      continue;
    }
    let sum = 0.0;
    for (let i = 0; i < m; i++) sum += Math.exp(f64At(btmp, i * PBATCH + p) - best);
    setF64(mx.bout, p, best + Math.log(sum));
  }
}

/** out[i] = log predictive density of point i (points f64[m·d] row-major), METHOD.md §4. */
export function mixtureLogPdf(mx: Mixture, points: usize, m: i32, out: usize): void {
  const d = mx.d;
  const T = mx.T;
  const ldb = <usize>mx.ld << 3;
  const logT = Math.log(<f64>T);
  for (let i0 = 0; i0 < m; i0 += PBATCH) {
    let B = m - i0;
    if (B > PBATCH) B = PBATCH;
    for (let p = 0; p < B; p++) {
      memory.copy(mx.bx + <usize>p * ldb, points + ((<usize>(i0 + p) * <usize>d) << 3), <usize>d << 3);
    }
    // Across traces: exact = running log-sum-exp (one pass), paper = mean of logs.
    for (let p = 0; p < B; p++) {
      setF64(mx.bsum, p, 0.0);
      setF64(out, i0 + p, -Infinity);
    }
    for (let t = 0; t < T; t++) {
      traceLogPdfBatch(mx, t, B);
      for (let p = 0; p < B; p++) {
        const l = f64At(mx.bout, p);
        if (mx.variant == 0) {
          // out[] holds the running maximum, bsum the scaled sum.
          if (l == -Infinity) continue;
          const cur = f64At(out, i0 + p);
          if (l > cur) {
            setF64(mx.bsum, p, f64At(mx.bsum, p) * Math.exp(cur - l) + 1.0);
            setF64(out, i0 + p, l);
          } else {
            setF64(mx.bsum, p, f64At(mx.bsum, p) + Math.exp(l - cur));
          }
        } else {
          setF64(mx.bsum, p, f64At(mx.bsum, p) + l);
        }
      }
    }
    for (let p = 0; p < B; p++) {
      let r: f64;
      if (mx.variant == 0) {
        const b = f64At(out, i0 + p);
        r = b == -Infinity ? -Infinity : b + Math.log(f64At(mx.bsum, p)) - logT;
      } else {
        r = f64At(mx.bsum, p) / <f64>T;
      }
      setF64(out, i0 + p, r);
    }
  }
}
