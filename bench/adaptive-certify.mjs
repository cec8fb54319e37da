// Benchmark: adaptive CERTIFY vs Cohen et al.'s fixed-n CERTIFY, on a SYNTHETIC
// smoothing backend (no network: each input's class distribution under noise is known by
// construction, so only the certification procedure is measured).
// Target: ≥ 3× fewer noisy forward passes at a mean certified-radius loss ≤ 0.05·σ.
//
// Populations of inputs (10 classes; p_A = P(f(x + ε) = true class)):
//   "mixed": 20% hard (top class probability U(0.2, 0.5): abstain), 10% confidently wrong
//            (wrong class with probability U(0.5, 0.99)), 55% correct with p_A = 1 − 0.5·u³
//            (u ~ U(0, 1): mass near 1), 15% correct with p_A = 1 (every noisy copy right);
//   "easy":  5% hard, 5% confidently wrong, 50% correct p_A = 1 − 0.5·u³, 40% correct p_A = 1.
// Each input is certified by both procedures from the same noise stream (paired comparison).
// Passes = n0 + estimation samples. Radius loss = mean over inputs of (R_cohen − R_adaptive)/σ
// with R counted as 0 when abstained or wrong (the study's mean certified radius). Second
// baseline: fixed-n CERTIFY with n' chosen to spend the adaptive run's budget.
//
//   npm run build && node bench/adaptive-certify.mjs [--inputs 400] [--n 100000] [--population mixed|easy|both]
//        [--tolerance ε (default: the library's)] [--early-share η (default: the library's)]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { categoricalBackend, certify, certifyAdaptive, coreStats, resolveAdaptive } from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";

const { values: args } = parseArgs({
  options: {
    inputs: { type: "string", default: "400" },
    n: { type: "string", default: "100000" },
    population: { type: "string", default: "both" },
    tolerance: { type: "string" },
    "early-share": { type: "string" },
    seed: { type: "string", default: "2026" },
  },
});
const inputs = Number(args.inputs);
const n = Number(args.n);
const seed = Number(args.seed);
const C = 10;
const sigma = 0.5;
const params = { sigma, n0: 100, n, alpha: 0.001, batchSize: 10_000 };
const core = await createCore();
const stats = coreStats(core);
// The library's defaults unless overridden.
const adaptive = resolveAdaptive(params, {
  ...(args.tolerance !== undefined && { radiusTolerance: Number(args.tolerance) }),
  ...(args["early-share"] !== undefined && { earlyAlphaShare: Number(args["early-share"]) }),
});
const eta = adaptive.alphas[0] === undefined ? 0 : 1 - (adaptive.alphas.at(-1) ?? 0) / params.alpha;

/** The class distribution of input i (true class 0), from its own stream. */
function population(kind, i) {
  const r = core.rng(seed, 1_000_000 + i);
  const [a, u, v] = r.uniform(3);
  r.dispose();
  const share = kind === "mixed" ? [0.2, 0.1, 0.55] : [0.05, 0.05, 0.5];
  const p = new Float32Array(C);
  const spread = (top, cls) => {
    p.fill((1 - top) / (C - 1));
    p[cls] = top;
  };
  if (a < share[0]) spread(0.2 + 0.3 * u, 1 + Math.floor(v * (C - 1)));
  else if (a < share[0] + share[1]) spread(0.5 + 0.49 * u, 1 + Math.floor(v * (C - 1)));
  else if (a < share[0] + share[1] + share[2]) spread(1 - 0.5 * u * u * u, 0);
  else spread(1, 0);
  return p;
}

async function runPopulation(kind) {
  const b = categoricalBackend(C);
  let passesCohen = 0;
  let passesAdaptive = 0;
  let lossSum = 0;
  let worst = 0;
  let radiusCohen = 0;
  let abstainCohen = 0;
  let abstainAdaptive = 0;
  const t0 = performance.now();
  let tCohen = 0;
  for (let i = 0; i < inputs; i++) {
    const p = population(kind, i);
    let rng = core.rng(seed, i);
    const t1 = performance.now();
    const c = await certify(b, p, params, rng, stats);
    tCohen += performance.now() - t1;
    rng.dispose();
    rng = core.rng(seed, i);
    const a = await certifyAdaptive(b, p, params, rng, stats, adaptive);
    rng.dispose();
    passesCohen += c.samples;
    passesAdaptive += a.samples;
    const rc = c.prediction === 0 ? c.radius : 0;
    const ra = a.prediction === 0 ? a.radius : 0;
    lossSum += (rc - ra) / sigma;
    worst = Math.max(worst, (rc - ra) / sigma);
    radiusCohen += rc / sigma;
    if (c.prediction < 0) abstainCohen++;
    if (a.prediction < 0) abstainAdaptive++;
  }
  const total = performance.now() - t0;
  // Second baseline: fixed-n CERTIFY with the same total budget as the adaptive run (n scaled
  // down so that n0 + n' matches the adaptive mean passes per input).
  const nEqual = Math.max(params.n0, Math.round(passesAdaptive / inputs - params.n0));
  let lossEqual = 0;
  for (let i = 0; i < inputs; i++) {
    const p = population(kind, i);
    let rng = core.rng(seed, i);
    const c = await certify(b, p, params, rng, stats);
    rng.dispose();
    rng = core.rng(seed, i);
    const e = await certify(b, p, { ...params, n: nEqual }, rng, stats);
    rng.dispose();
    lossEqual += ((c.prediction === 0 ? c.radius : 0) - (e.prediction === 0 ? e.radius : 0)) / sigma;
  }
  return {
    kind,
    ratio: passesCohen / passesAdaptive,
    meanLoss: lossSum / inputs,
    worst,
    meanRadiusCohen: radiusCohen / inputs,
    abstainCohen: abstainCohen / inputs,
    abstainAdaptive: abstainAdaptive / inputs,
    passesCohen,
    passesAdaptive,
    secCohen: tCohen / 1000,
    secAdaptive: (total - tCohen) / 1000,
    nEqual,
    lossEqual: lossEqual / inputs,
  };
}

console.log(
  `adaptive CERTIFY benchmark (SYNTHETIC backend): ${inputs} inputs, n0 = 100, n = ${n}, α = 0.001, σ = ${sigma}; looks ${adaptive.looks.join(", ")}; ε = ${adaptive.radiusTolerance}σ, η = ${eta.toFixed(3)}; load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
const kinds = args.population === "both" ? ["mixed", "easy"] : [args.population];
for (const kind of kinds) {
  const r = await runPopulation(kind);
  console.log(
    `${r.kind.padEnd(6)} passes: fixed-n ${r.passesCohen} vs adaptive ${r.passesAdaptive} → ${r.ratio.toFixed(2)}× fewer (target ≥ 3×); ` +
      `mean radius loss ${r.meanLoss.toFixed(4)}σ (target ≤ 0.05σ; worst input ${r.worst.toFixed(3)}σ; fixed-n mean radius ${r.meanRadiusCohen.toFixed(3)}σ); ` +
      `abstain ${(100 * r.abstainCohen).toFixed(1)}% vs ${(100 * r.abstainAdaptive).toFixed(1)}%; wall ${r.secCohen.toFixed(1)} s vs ${r.secAdaptive.toFixed(1)} s; ` +
      `fixed n' = ${r.nEqual} at the adaptive budget: mean radius loss ${r.lossEqual.toFixed(4)}σ`,
  );
}
