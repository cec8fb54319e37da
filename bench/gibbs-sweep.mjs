// One collapsed-Gibbs sweep of the DP-GMM at n = 1000, d = 64, ~15 clusters: wasm-core
// (SIMD, inverse-factor densities, closed-form removal) against a straightforward plain-JS
// implementation of the same algorithm (bench/baseline/gibbs-ts.mjs), in the same run and on
// the same state. Also the achieved GFLOP/s of the density evaluations against a SIMD f64x2
// mul+add peak measured in the same process.
//
// Run: npm -w @classfit/wasm-core run build && node bench/gibbs-sweep.mjs
import { createCore } from "@classfit/wasm-core/node";
import { BaselineGibbs } from "./baseline/gibbs-ts.mjs";

const n = 1000;
const d = 64;
const trueK = 15;
const core = await createCore();
const e = core.exports;

// Synthetic mixture: 15 spherical unit-variance Gaussians, centres ~ N(0, 1.5²) per dimension.
const rng = core.rng(2024, 0);
const centres = rng.normal(trueK * d).map((v) => 1.5 * v);
const labels = rng.int(n, trueK);
const noise = rng.normal(n * d);
rng.dispose();
const data = new Float64Array(n * d);
for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = centres[labels[i] * d + j] + noise[i * d + j];

// The authors' prior (METHOD.md §3).
const K0 = 18; // a plain Gibbs chain merges groups it cannot split again; start a little finer
const prior = core.scope((s) => {
  const pm = s.f64Out(d);
  const ps = s.f64Out(d);
  e.dpgmm_prior(s.f64(data), n, d, K0, pm, ps);
  return { mu0: core.readF64(pm, d), s0: core.readF64(ps, d), kappa0: 0.01, nu0: d + 2 };
});

function makeChain(splitMerge, seed) {
  return core.scope((s) =>
    e.gibbs_create(
      s.f64(data),
      n,
      d,
      s.f64(prior.mu0),
      s.f64(prior.s0),
      prior.kappa0,
      prior.nu0,
      1,
      1,
      K0,
      splitMerge,
      seed,
      0,
    ),
  );
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

// wasm-core, the paper's plain sampler: warm up on its own, then hand the same state to the
// baseline.
const ch = makeChain(0, 7);
for (let i = 0; i < 10; i++) e.gibbs_sweep(ch, 1);
const alpha = e.gibbs_alpha(ch);
const assignments = core.scope((s) => {
  const p = s.alloc(4 * n);
  e.gibbs_assignments(ch, p);
  return new Int32Array(e.memory.buffer, p, n).slice();
});
const base = new BaselineGibbs(data, n, d, assignments, prior, alpha, 11);
base.sweep(); // warm the JIT

// SIMD peak: 8 independent f64x2 mul+add chains, 32 flops per iteration.
e.bench_simd_peak(1_000_000);
function peakRound(iters) {
  const t0 = performance.now();
  e.bench_simd_peak(iters);
  return (iters * 32) / ((performance.now() - t0) / 1000) / 1e9;
}

// Interleaved rounds (wasm sweep, baseline sweep, peak loop), ratios taken per round and
// summarised by the median: the machine is shared, and contention drifts between rounds far
// more than within one.
const rounds = 7;
const wasmMs = [];
const baseMsR = [];
const speedups = [];
const fractions = [];
const peaks = [];
let kSum = 0;
let bK = 0;
// Flops of the density evaluations in one wasm sweep: per point and cluster, the triangular
// mat-vec (d(d+1)/2 multiply-adds = d(d+1) flops), x − μ (d) and the squared norm (2d).
const flopsPerEval = d * (d + 1) + 3 * d;
for (let r = 0; r < rounds; r++) {
  const K = e.gibbs_k(ch);
  let t0 = performance.now();
  e.gibbs_sweep(ch, 1);
  const w = performance.now() - t0;
  kSum += K;
  t0 = performance.now();
  base.sweep();
  const b = performance.now() - t0;
  bK += base.k;
  const peak = peakRound(Math.round(w * 2e5)); // about as long as the sweep
  const gflops = (n * K * flopsPerEval) / (w / 1000) / 1e9;
  wasmMs.push(w);
  baseMsR.push(b);
  speedups.push(b / w);
  fractions.push(gflops / peak);
  peaks.push(peak);
}
const wasm = { ms: median(wasmMs), meanK: kSum / rounds };
const baseMs = median(baseMsR);
const bSweeps = rounds;
const peakGflops = median(peaks);
const gflops = (n * wasm.meanK * flopsPerEval) / (wasm.ms / 1000) / 1e9;
e.gibbs_free(ch);

// Split–merge proposals alone (the default profile runs one per burn-in sweep), timed on a
// second chain after the same warm-up.
const chSm = makeChain(0, 7);
for (let i = 0; i < 10; i++) e.gibbs_sweep(chSm, 1);
const smCount = 10;
const ts0 = performance.now();
e.gibbs_split_merge(chSm, smCount);
const smMs = (performance.now() - ts0) / smCount;
e.gibbs_free(chSm);

const fmt = (x, p = 2) => x.toFixed(p);
console.log(`gibbs sweep, n = ${n}, d = ${d}, synthetic ${trueK}-component mixture`);
console.log(`  wasm-core (plain Alg. 3)     ${fmt(wasm.ms)} ms/sweep   mean K ${fmt(wasm.meanK, 1)}`);
console.log(`  one split-merge proposal     ${fmt(smMs)} ms`);
console.log(`  baseline plain JS            ${fmt(baseMs)} ms/sweep   mean K ${fmt(bK / bSweeps, 1)}`);
console.log(`  speed-up (median per round)  ${fmt(median(speedups), 1)}x   (target >= 8x)`);
console.log(
  `  density GFLOP/s              ${fmt(gflops)} of SIMD peak ${fmt(peakGflops)}; per-round median ${fmt(100 * median(fractions), 0)}% of peak   (target >= 40%)`,
);
const perChain = 400 * wasm.ms + 320 * smMs;
console.log(
  `  projected fit of 10 classes x 400 sweeps on 2 workers, per chain per class: paper ${fmt((10 * 400 * wasm.ms) / 2 / 1000, 1)} s, default (1 split-merge per burn-in sweep) ${fmt((10 * perChain) / 2 / 1000, 1)} s`,
);
