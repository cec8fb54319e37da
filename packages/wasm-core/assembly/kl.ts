// Relative entropy D_KL(p ‖ q) of a class model's predictive to the least-assumption
// Gaussian q fitted to the class data (METHOD.md §5), by Monte Carlo.
//
// For each kept trace t: draw M points x_j ~ p_t (a component by weight — including the
// new-cluster term t_0 for the exact variant — then a Student-t draw
// x = μ + sqrt((κ+1)/(κ df)) · L z · sqrt(df / χ²_df), z ~ N(0, I), χ²_df = 2 Gamma(df/2)),
// and average log p_t(x_j) − log q(x_j). The estimate is the mean over traces (the authors'
// protocol); its Monte Carlo standard error is sqrt(Σ_t s_t²/M)/T with s_t² the sample
// variance of the log-ratio within trace t (traces use independent streams (seed, t)).

import { RNG_BYTES, rngSeed, uniform, normal, gamma } from "./rng";
import { Mixture, traceLogPdfBatch, PBATCH } from "./predictive";
import { muPtr, countOf } from "./niw";
import { cholFactor, triInvLower, mahalSimd } from "./chol";
import { f64At, i32At, setF64 } from "./mem";

const LOG_2PI: f64 = 1.8378770664093454836;


function zalloc(bytes: usize): usize {
  const p = heap.alloc(bytes > 0 ? bytes : 16);
  memory.fill(p, 0, bytes);
  return p;
}

/** Biased (1/n) mean and variances of data f64[n·d] with the variance floor of the DP-GMM
 * prior (see dpgmm prior in index.ts): var_j ← max(var_j, 1e-12 · max var), or 1 when every
 * variance is zero. Writes mean f64[d], var f64[d]; returns the number of floored dims. */
export function momentsDiag(data: usize, n: i32, d: i32, mean: usize, vr: usize): i32 {
  for (let j = 0; j < d; j++) {
    let s = 0.0;
    for (let i = 0; i < n; i++) s += f64At(data, i * d + j);
    const m = s / <f64>n;
    let v = 0.0;
    for (let i = 0; i < n; i++) {
      const u = f64At(data, i * d + j) - m;
      v += u * u;
    }
    setF64(mean, j, m);
    setF64(vr, j, v / <f64>n);
  }
  let maxv = 0.0;
  for (let j = 0; j < d; j++) if (f64At(vr, j) > maxv) maxv = f64At(vr, j);
  const floor = maxv > 0.0 ? 1e-12 * maxv : 1.0;
  let floored = 0;
  for (let j = 0; j < d; j++) {
    if (!(f64At(vr, j) >= floor)) {
      setF64(vr, j, floor);
      floored++;
    }
  }
  return floored;
}

/** Monte Carlo KL estimate. data f64[n·d] is the class data defining q; full = 1 for a
 * full-covariance q (biased covariance, diagonal floored as in momentsDiag), 0 for diagonal.
 * Writes out[0] = KL estimate, out[1] = its standard error. */
export function mixtureKl(mx: Mixture, data: usize, n: i32, M: i32, seed: u64, full: i32, out: usize): void {
  const d = mx.d;
  const ld = mx.ld;
  const cl = mx.cl;
  const mean = zalloc(<usize>ld << 3);
  const vr = zalloc(<usize>ld << 3);
  const wq = zalloc((<usize>ld * <usize>ld) << 3); // inverse factor of the full covariance
  const lq = zalloc((<usize>ld * <usize>ld) << 3);
  const r = zalloc(<usize>ld << 3);
  const zz = zalloc((<usize>ld + <usize>PBATCH) << 3); // normals, then the batch's log q
  const cum = zalloc(<usize>(mx.maxK + 1) << 3);
  const rng = heap.alloc(RNG_BYTES);
  momentsDiag(data, n, d, mean, vr);
  let cq = 0.0;
  if (full != 0) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0.0;
        for (let k = 0; k < n; k++) {
          s += (f64At(data, k * d + i) - f64At(mean, i)) * (f64At(data, k * d + j) - f64At(mean, j));
        }
        setF64(lq, i * ld + j, s / <f64>n);
      }
      setF64(lq, i * ld + i, f64At(lq, i * ld + i) > f64At(vr, i) ? f64At(lq, i * ld + i) : f64At(vr, i));
    }
    if (!cholFactor(lq, d, ld)) {
      // A singular sample covariance (d > n, collinear features): fall back to adding the
      // floor along the diagonal once more, scaled up until it factors.
      let eps = 1e-10;
      let ok = false;
      while (!ok && eps < 1e6) {
        for (let i = 0; i < d; i++) {
          for (let j = 0; j <= i; j++) {
            let s = 0.0;
            for (let k = 0; k < n; k++) {
              s += (f64At(data, k * d + i) - f64At(mean, i)) * (f64At(data, k * d + j) - f64At(mean, j));
            }
            setF64(lq, i * ld + j, s / <f64>n);
          }
          setF64(lq, i * ld + i, f64At(lq, i * ld + i) + eps * f64At(vr, i) + 1e-300);
        }
        ok = cholFactor(lq, d, ld);
        eps *= 10.0;
      }
    }
    triInvLower(lq, wq, d, ld);
    let ldet = 0.0;
    for (let i = 0; i < d; i++) ldet += Math.log(f64At(lq, i * ld + i));
    cq = -0.5 * (<f64>d * LOG_2PI) - ldet;
  } else {
    let ldet = 0.0;
    for (let j = 0; j < d; j++) ldet += Math.log(f64At(vr, j));
    cq = -0.5 * (<f64>d * LOG_2PI + ldet);
  }
  const T = mx.T;
  let klSum = 0.0;
  let varSum = 0.0;
  for (let t = 0; t < T; t++) {
    rngSeed(rng, seed, <u64>t);
    const c0 = i32At(mx.start, t);
    const c1 = i32At(mx.start, t + 1);
    const K = c1 - c0;
    // Cumulative weights; slot K is the new-cluster (prior predictive) component.
    let acc = 0.0;
    for (let k = 0; k < K; k++) {
      acc += Math.exp(f64At(mx.logw, c0 + k));
      setF64(cum, k, acc);
    }
    const ln = f64At(mx.logNew, t);
    acc += ln > -Infinity ? Math.exp(ln) : 0.0;
    setF64(cum, K, acc);
    let s1 = 0.0;
    let s2 = 0.0;
    const lqs = zz + (<usize>ld << 3); // f64[PBATCH] after the normals (see allocation)
    for (let j0 = 0; j0 < M; j0 += PBATCH) {
      let B = M - j0;
      if (B > PBATCH) B = PBATCH;
      // Draw B samples in order (the stream is the same as one at a time), then score them
      // together against the trace's mixture.
      for (let p = 0; p < B; p++) {
        const xp = mx.bx + ((<usize>p * <usize>ld) << 3);
        const u = uniform(rng) * acc;
        let k = 0;
        while (k < K && u >= f64At(cum, k)) k++;
        // Component parameters: a cluster (k < K) or the prior (k = K).
        let kappa: f64, nu: f64;
        let mu: usize;
        let Lk: usize = 0;
        if (k < K) {
          const s = i32At(mx.slot, c0 + k);
          const nk = <f64>countOf(cl, s);
          kappa = cl.kappa0 + nk;
          nu = cl.nu0 + nk;
          mu = muPtr(cl, s);
          Lk = mx.L + ((<usize>(c0 + k) * <usize>ld * <usize>ld) << 3);
        } else {
          kappa = cl.kappa0;
          nu = cl.nu0;
          mu = cl.mu0;
        }
        const df = nu - <f64>d + 1.0;
        const chi2 = 2.0 * gamma(rng, df * 0.5);
        const f = Math.sqrt((kappa + 1.0) / (kappa * df)) * Math.sqrt(df / chi2);
        for (let i = 0; i < d; i++) setF64(zz, i, normal(rng));
        for (let i = 0; i < d; i++) {
          let y = 0.0;
          if (Lk != 0) {
            const row = Lk + ((<usize>(i * ld)) << 3);
            for (let q = 0; q <= i; q++) y += f64At(row, q) * f64At(zz, q);
          } else {
            y = Math.sqrt(f64At(cl.s0, i)) * f64At(zz, i);
          }
          setF64(xp, i, f64At(mu, i) + f * y);
        }
        let lq_: f64;
        if (full != 0) {
          for (let i = 0; i < d; i++) setF64(r, i, f64At(xp, i) - f64At(mean, i));
          lq_ = cq - 0.5 * mahalSimd(wq, r, d, ld);
        } else {
          let a = 0.0;
          for (let i = 0; i < d; i++) {
            const u2 = f64At(xp, i) - f64At(mean, i);
            a += (u2 * u2) / f64At(vr, i);
          }
          lq_ = cq - 0.5 * a;
        }
        setF64(lqs, p, lq_);
      }
      traceLogPdfBatch(mx, t, B);
      for (let p = 0; p < B; p++) {
        const diff = f64At(mx.bout, p) - f64At(lqs, p);
        s1 += diff;
        s2 += diff * diff;
      }
    }
    const fm = <f64>M;
    const m1 = s1 / fm;
    const v = M > 1 ? (s2 - fm * m1 * m1) / (fm - 1.0) : 0.0;
    klSum += m1;
    varSum += v > 0.0 ? v : 0.0;
  }
  setF64(out, 0, klSum / <f64>T);
  setF64(out, 1, Math.sqrt(varSum / <f64>M) / <f64>T);
  heap.free(mean);
  heap.free(vr);
  heap.free(wq);
  heap.free(lq);
  heap.free(r);
  heap.free(zz);
  heap.free(cum);
  heap.free(rng);
}
