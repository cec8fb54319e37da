// Benchmark (METHOD.md §9): the certification statistics at the study's n = 1e5.
//   - two-sided exact binomial test (PREDICT): wasm (tails through the incomplete beta,
//     bisection for the far-side cut) vs the textbook definition summed outcome by outcome
//     (R's binom.test: every pmf ≤ d·(1 + 1e-7) over all n + 1 outcomes, pmf from lgamma);
//   - one-sided Clopper–Pearson lower bound (CERTIFY): wasm Beta quantile, per call.
// The baseline uses wasm-core's own lgamma so both sides agree on the pmf to rounding; the
// script prints the largest relative difference of the p-values as a check.
//
//   npm run build && node bench/certify-stats.mjs [--calls 200]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { binomTest, clopperPearsonLower } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { time } from "./timing.mjs";

const { values: args } = parseArgs({ options: { calls: { type: "string", default: "200" } } });
const CALLS = Number(args.calls);
const N = 100_000;
const core = await createCore();
const lgamma = core.exports.special_lgamma;

function bruteBinomTest(k, n, p) {
  const lc = lgamma(n + 1);
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const logpmf = (i) => lc - lgamma(i + 1) - lgamma(n - i + 1) + i * lp + (n - i) * lq;
  const d = Math.exp(logpmf(k));
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const v = Math.exp(logpmf(i));
    if (v <= d * (1 + 1e-7)) s += v;
  }
  return Math.min(1, s);
}

// Counts around the interesting region: near a tie (PREDICT abstains) out to clear wins.
const ks = Array.from({ length: CALLS }, (_, i) => 49_000 + Math.round((i * 3000) / CALLS));
const fast = time(() => ks.map((k) => binomTest(core, k, N, 0.5)));
const baseCalls = Math.max(1, Math.min(CALLS, 10));
const slow = time(() => ks.slice(0, baseCalls).map((k) => bruteBinomTest(k, N, 0.5)));
let maxRel = 0;
for (let i = 0; i < baseCalls; i++) {
  const a = fast.v[i];
  const b = slow.v[i];
  if (b > 1e-300) maxRel = Math.max(maxRel, Math.abs(a - b) / b);
}
const cpK = Array.from({ length: CALLS }, (_, i) => 50_001 + Math.round((i * 49_999) / CALLS));
const cp = time(() => cpK.map((k) => clopperPearsonLower(core, k, N, 0.001)));

const per = (t, n) => (t.cpu / n).toFixed(3);
console.log(
  `load average (1, 5, 15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")}`,
);
console.log(`binomial test, n = ${N} (CPU ms per call; wall in brackets):`);
console.log(`  wasm ${per(fast, CALLS)} ms (${CALLS} calls, ${fast.ms.toFixed(1)} ms wall)`);
console.log(`  brute-force pmf sum ${per(slow, baseCalls)} ms (${baseCalls} calls, ${slow.ms.toFixed(1)} ms wall)`);
console.log(
  `  speed-up ${(slow.cpu / baseCalls / (fast.cpu / CALLS)).toFixed(1)}× CPU; max relative difference ${maxRel.toExponential(2)}`,
);
console.log(`Clopper–Pearson lower bound, n = ${N}: ${per(cp, CALLS)} ms CPU per call (${CALLS} calls)`);
