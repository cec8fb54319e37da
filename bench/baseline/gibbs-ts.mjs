// Baseline for bench/gibbs-sweep.mjs: a straightforward plain-JavaScript collapsed Gibbs sweep
// (Neal 2000, Algorithm 3) for the same DP-GMM as wasm-core (METHOD.md §3), written the way
// the method reads: per cluster a Cholesky factor L of S_n (row-major Float64Array), every
// point removed from its cluster (rank-one downdate) and re-added to the sampled one (rank-one
// update), every Student-t density by a forward substitution. Float64 throughout, no
// allocation in the sweep. Randomness from Math.random-free xorshift (the bench compares
// speed, not draws).

const LOG_PI = Math.log(Math.PI);

function lgamma(x) {
  // Lanczos g = 7 (as wasm-core's special.ts).
  const p = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = p[0];
  for (let i = 1; i < 9; i++) a += p[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

export class BaselineGibbs {
  /**
   * data: Float64Array (n, d); assignments: Int32Array (n) with labels 0..K-1 (all used);
   * prior: { mu0, s0 (diag), kappa0, nu0 }; alpha fixed for the sweep.
   */
  constructor(data, n, d, assignments, prior, alpha, seed = 1) {
    this.data = data;
    this.n = n;
    this.d = d;
    this.z = Int32Array.from(assignments);
    this.prior = prior;
    this.alpha = alpha;
    this.state = seed >>> 0 || 1;
    const cap = n + 1;
    this.cap = cap;
    this.cnt = new Int32Array(cap);
    this.mu = new Float64Array(cap * d);
    this.L = new Float64Array(cap * d * d);
    this.active = new Int32Array(cap); // slot ids in use
    this.nActive = 0;
    this.inUse = new Uint8Array(cap);
    this.r = new Float64Array(d);
    this.y = new Float64Array(d);
    this.logp = new Float64Array(cap + 1);
    this.perm = new Int32Array(n);
    let K = 0;
    for (let i = 0; i < n; i++) K = Math.max(K, assignments[i] + 1);
    for (let k = 0; k < K; k++) this.#resetPrior(k);
    for (let i = 0; i < n; i++) this.#add(this.z[i], i);
    // Prior predictive constant of the new-cluster term.
    this.logt0 = new Float64Array(n);
    for (let i = 0; i < n; i++) this.logt0[i] = this.#logPriorT(i);
  }

  #rand() {
    // xorshift32
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }

  #resetPrior(s) {
    const { d } = this;
    const { mu0, s0 } = this.prior;
    this.cnt[s] = 0;
    for (let j = 0; j < d; j++) this.mu[s * d + j] = mu0[j];
    const off = s * d * d;
    this.L.fill(0, off, off + d * d);
    for (let j = 0; j < d; j++) this.L[off + j * d + j] = Math.sqrt(s0[j]);
    if (!this.inUse[s]) {
      this.inUse[s] = 1;
      this.active[this.nActive++] = s;
    }
  }

  #drop(s) {
    this.inUse[s] = 0;
    for (let i = 0; i < this.nActive; i++) {
      if (this.active[i] === s) {
        this.active[i] = this.active[--this.nActive];
        break;
      }
    }
  }

  /** L L' += sigma x x' (LINPACK scheme); x destroyed. */
  #rank1(s, x, sigma) {
    const { d, L } = this;
    const off = s * d * d;
    for (let k = 0; k < d; k++) {
      const lkk = L[off + k * d + k];
      const r = Math.sqrt(lkk * lkk + sigma * x[k] * x[k]);
      const c = r / lkk;
      const sn = x[k] / lkk;
      L[off + k * d + k] = r;
      for (let i = k + 1; i < d; i++) {
        const lik = (L[off + i * d + k] + sigma * sn * x[i]) / c;
        L[off + i * d + k] = lik;
        x[i] = c * x[i] - sn * lik;
      }
    }
  }

  #add(s, i) {
    const { d, data, mu, r } = this;
    const kappa = this.prior.kappa0 + this.cnt[s];
    const f = Math.sqrt(kappa / (kappa + 1));
    for (let j = 0; j < d; j++) r[j] = f * (data[i * d + j] - mu[s * d + j]);
    this.#rank1(s, r, 1);
    for (let j = 0; j < d; j++) mu[s * d + j] = (kappa * mu[s * d + j] + data[i * d + j]) / (kappa + 1);
    this.cnt[s]++;
  }

  #remove(s, i) {
    const { d, data, mu, r } = this;
    const kappa = this.prior.kappa0 + this.cnt[s];
    const f = Math.sqrt(kappa / (kappa - 1));
    for (let j = 0; j < d; j++) r[j] = f * (data[i * d + j] - mu[s * d + j]);
    this.#rank1(s, r, -1);
    for (let j = 0; j < d; j++) mu[s * d + j] = (kappa * mu[s * d + j] - data[i * d + j]) / (kappa - 1);
    this.cnt[s]--;
  }

  #logPriorT(i) {
    const { d, data } = this;
    const { mu0, s0, kappa0, nu0 } = this.prior;
    const df = nu0 - d + 1;
    const c = (kappa0 + 1) / (kappa0 * df);
    let logdet = 0;
    let q = 0;
    for (let j = 0; j < d; j++) {
      logdet += Math.log(c * s0[j]);
      const u = data[i * d + j] - mu0[j];
      q += (u * u) / (c * s0[j]);
    }
    return (
      lgamma((df + d) / 2) -
      lgamma(df / 2) -
      (d / 2) * (Math.log(df) + LOG_PI) -
      0.5 * logdet -
      ((df + d) / 2) * Math.log1p(q / df)
    );
  }

  /** log t_s(x_i): forward substitution L y = x − μ, log-determinant from the diagonal. */
  #logT(s, i) {
    const { d, data, mu, L, y } = this;
    const n = this.cnt[s];
    const kappa = this.prior.kappa0 + n;
    const nu = this.prior.nu0 + n;
    const df = nu - d + 1;
    const off = s * d * d;
    let q = 0;
    let logdet = 0;
    for (let a = 0; a < d; a++) {
      let v = data[i * d + a] - mu[s * d + a];
      const row = off + a * d;
      for (let b = 0; b < a; b++) v -= L[row + b] * y[b];
      const la = L[row + a];
      v /= la;
      y[a] = v;
      q += v * v;
      logdet += Math.log(la);
    }
    const c = (kappa + 1) / (kappa * df);
    q /= c;
    const logdetSigma = d * Math.log(c) + 2 * logdet;
    return (
      lgamma((df + d) / 2) -
      lgamma(df / 2) -
      (d / 2) * (Math.log(df) + LOG_PI) -
      0.5 * logdetSigma -
      ((df + d) / 2) * Math.log1p(q / df)
    );
  }

  /** One sweep of Algorithm 3 (α fixed). */
  sweep() {
    const { n, perm, logp } = this;
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.#rand() * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    const logAlpha = Math.log(this.alpha);
    for (let t = 0; t < n; t++) {
      const i = perm[t];
      const k0 = this.z[i];
      if (this.cnt[k0] === 1) this.#drop(k0);
      else this.#remove(k0, i);
      const K = this.nActive;
      let best = -Infinity;
      for (let a = 0; a < K; a++) {
        const s = this.active[a];
        const l = Math.log(this.cnt[s]) + this.#logT(s, i);
        logp[a] = l;
        if (l > best) best = l;
      }
      logp[K] = logAlpha + this.logt0[i];
      if (logp[K] > best) best = logp[K];
      let total = 0;
      for (let a = 0; a <= K; a++) {
        logp[a] = Math.exp(logp[a] - best);
        total += logp[a];
      }
      let u = this.#rand() * total;
      let pick = K;
      for (let a = 0; a < K; a++) {
        u -= logp[a];
        if (u < 0) {
          pick = a;
          break;
        }
      }
      let s;
      if (pick === K) {
        s = 0;
        while (this.inUse[s]) s++;
        this.#resetPrior(s);
      } else {
        s = this.active[pick];
      }
      this.z[i] = s;
      this.#add(s, i);
    }
  }

  get k() {
    return this.nActive;
  }
}
