// Adaptive CERTIFY against Cohen et al.'s fixed-n CERTIFY on a real network (target:
// ≥ 3× fewer noisy passes at a mean certified-radius loss ≤ 0.05·σ; the mean radius counts 0 for
// abstentions and wrong predictions). The network is the shipped ResNet
// (packages/models/assets/models/resnet-narrow; --model DIR for another), the inputs are the
// embedded Fashion-MNIST test subset's examples --start … --start + --examples − 1, noise in the
// normalised input space from each example's own stream, as certifyExamples draws it.
//
// How. Each example's n0 + n noisy votes are recorded once (certify-recording.mjs; the file is
// kept, so --replay FILE reruns the analysis without the network). Fixed-n CERTIFY is replayed
// from the recording's first n0 + n votes and the adaptive procedure from the prefixes its looks
// would see, through the library's own finishCertify and lookDecision: the same numbers
// certifyExamples gives with the same seed (--check M reruns the first M examples through
// certifyExamples, both methods, and fails unless they agree exactly). Passes = n0 + estimation
// samples.
//
// Printed: the population (per example: label, fixed prediction, top-class count/n, radii,
// adaptive samples); both procedures' passes and mean radius (--tolerance/--early-share/--looks
// override the library's defaults); a sweep of ε (radiusTolerance) × η (earlyAlphaShare) and of
// three look schedules, replayed on the same votes, with the best setting within the budget and
// within 0.8 of it (the tuning rule: tune on one range of examples, report on another); and the
// oracle bounds of certify-oracle.mjs (models A–D) — the fewest passes any valid procedure could
// spend on these inputs at the loss budget — which every replayed adaptive setting is asserted
// not to beat (A and C, at its own loss).
//
// Usage: npm run build && node bench/adaptive-certify-real.mjs [--examples 20] [--start 0]
//        [--n 100000] [--n0 100] [--sigma 0.5] [--alpha 0.001] [--model DIR] [--record FILE]
//        [--replay FILE [--replay-n n'] [--replay-first K]] [--check M] [--tolerance ε]
//        [--early-share η] [--looks double|sqrt2|early] [--budget 0.05] [--no-sweep]
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  argmax,
  certifyExamples,
  coreStats,
  defaultLooks,
  finishCertify,
  lookDecision,
  resolveAdaptive,
  resolveCertify,
} from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";
import { readRecording, record } from "./certify-recording.mjs";

const { values: opts } = parseArgs({
  options: {
    examples: { type: "string", default: "20" },
    start: { type: "string", default: "0" },
    n: { type: "string", default: "100000" },
    n0: { type: "string", default: "100" },
    sigma: { type: "string", default: "0.5" },
    alpha: { type: "string", default: "0.001" },
    batch: { type: "string", default: "64" },
    seed: { type: "string", default: "0" },
    model: { type: "string" },
    record: { type: "string" },
    replay: { type: "string" },
    "replay-n": { type: "string" },
    "replay-first": { type: "string" },
    check: { type: "string", default: "0" },
    tolerance: { type: "string" },
    "early-share": { type: "string" },
    budget: { type: "string", default: "0.05" },
    looks: { type: "string" },
    "no-sweep": { type: "boolean", default: false },
  },
});
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(", ");
const loadAtStart = load();
const core = await createCore();
const stats = coreStats(core);
const checks = [];

let rec;
if (opts.replay) {
  rec = readRecording(opts.replay);
  console.log(`replaying ${opts.replay}: ${rec.examples.length} examples`);
} else {
  const { NoisyClassifier, normalisedExamples } = await import("@classfit/models");
  const { initBackend } = await import("@classfit/models/backend");
  const { DEFAULT_MODELS_DIR, loadDataset, readModelDir } = await import("@classfit/models/node");
  await initBackend();
  const modelDir = opts.model ?? join(DEFAULT_MODELS_DIR, "resnet-narrow");
  if (!existsSync(join(modelDir, "model.json"))) throw new Error(`no model at ${modelDir}; pass --model DIR`);
  const loaded = await readModelDir(modelDir);
  if (!loaded.manifest) throw new Error(`${modelDir}: no manifest.json (normalisation unknown)`);
  const m = loaded.manifest;
  const test = await loadDataset({ path: "default", split: "test" });
  const dataset = normalisedExamples(test, m.normalisation);
  const K = Number(opts.examples);
  const start = Number(opts.start);
  const indices = Array.from({ length: K }, (_, i) => start + i);
  const header = {
    model: modelDir.replace(/^.*packages\//, "packages/"),
    arch: m.architecture?.arch ?? null,
    epochs: m.epochs ?? null,
    testAccuracy: m.metrics?.testAccuracy ?? null,
    dataset: test.name,
    seed: Number(opts.seed),
    sigma: Number(opts.sigma),
    n0: Number(opts.n0),
    n: Number(opts.n),
  };
  const path =
    opts.record ??
    join(
      "runs",
      "bench",
      `adaptive-certify-real-n${header.n}-s${header.sigma}-seed${header.seed}-${start}-${start + K - 1}.jsonl`,
    );
  const classifier = new NoisyClassifier(loaded.model, { maxBatch: Number(opts.batch) });
  console.log(
    `model ${modelDir} (${header.arch}, ${header.epochs} epochs, test accuracy ${header.testAccuracy}); recording to ${path}`,
  );
  const t0 = performance.now();
  rec = await record({
    path,
    header,
    core,
    classifier,
    dataset,
    indices,
    batchSize: Number(opts.batch),
    log: (s) => console.log(`${s}; load ${load()}`),
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `recorded ${classifier.passes} noisy passes in ${seconds.toFixed(0)} s (${(classifier.passes / seconds).toFixed(0)}/s; load at start ${loadAtStart}, now ${load()})`,
  );
  const M = Number(opts.check);
  if (M > 0) await checkReplay(rec, M, loaded.model, NoisyClassifier, dataset);
  classifier.dispose();
  loaded.model.dispose();
}

// Imported after the recording, so that a recording runs whatever state the analysis is in.
const { oracleBound, oracleSelfTest } = await import("./certify-oracle.mjs");
oracleSelfTest(stats);
// --replay-first K: only the recording's first K examples.
if (opts["replay-first"] !== undefined) rec = { ...rec, examples: rec.examples.slice(0, Number(opts["replay-first"])) };
// --replay-n n' < n: CERTIFY at n' is the same run on the first n' estimation votes (the stream is
// consumed sequentially), so one recording also answers smaller n.
if (opts["replay-n"] !== undefined) {
  const n2 = Number(opts["replay-n"]);
  if (!(Number.isSafeInteger(n2) && n2 >= rec.header.n0 && n2 <= rec.header.n))
    throw new RangeError(`--replay-n must be an integer in [n0, ${rec.header.n}], got ${opts["replay-n"]}`);
  rec = {
    header: { ...rec.header, n: n2 },
    examples: rec.examples.map((e) => ({ ...e, estimation: e.estimation.subarray(0, n2) })),
  };
}
const h = rec.header;
const alpha = Number(opts.alpha);
const params = { sigma: h.sigma, n0: h.n0, n: h.n, alpha, batchSize: Number(opts.batch) };
const examples = rec.examples;
const K = examples.length;
const budget = Number(opts.budget);

/** Per example: ĉ and the cumulative count of ĉ among the estimation votes. */
const prepared = examples.map((e) => {
  const counts0 = new Int32Array(10);
  for (const c of e.selection) counts0[c]++;
  const top = argmax(counts0);
  const cum = new Int32Array(e.estimation.length + 1);
  for (let t = 0; t < e.estimation.length; t++) cum[t + 1] = cum[t] + (e.estimation[t] === top ? 1 : 0);
  // Every one of the n0 + n votes for ĉ: the all-ĉ path of certify-oracle.mjs's model C.
  const unanimous = cum[e.estimation.length] === e.estimation.length && e.selection.every((c) => c === top);
  let labelCount = 0;
  for (const c of e.estimation) if (c === e.label) labelCount++;
  return { ...e, top, cum, labelCount, unanimous };
});

function fixedRun() {
  return prepared.map((e) => finishCertify(stats, h.sigma, e.top, e.cum[h.n], h.n, h.n0, alpha));
}

/** The adaptive procedure replayed on the recorded votes (certifyAdaptive's loop, without drawing). */
function adaptiveRun(r) {
  return prepared.map((e) => {
    for (let j = 0; j < r.looks.length; j++) {
      const N = r.looks[j];
      const d = lookDecision(stats, h.sigma, h.n, r, j, e.cum[N]);
      if (d.stop) {
        const abstain = d.pLower < 0.5;
        return {
          top: e.top,
          prediction: abstain ? -1 : e.top,
          countTop: e.cum[N],
          estimationSamples: N,
          samples: h.n0 + N,
          pLower: d.pLower,
          radius: abstain ? 0 : h.sigma * stats.normalQuantile(d.pLower),
        };
      }
    }
    throw new Error("unreachable: the last look stops");
  });
}

const creditedRadius = (res, k) => (res.prediction === prepared[k].label ? res.radius : 0);
function summary(results) {
  let passes = 0;
  let radius = 0;
  for (const [k, r] of results.entries()) {
    passes += r.samples;
    radius += creditedRadius(r, k);
  }
  return { passes, meanRadius: radius / K };
}

async function checkReplay(recording, M, model, NoisyClassifier, dataset) {
  const hd = recording.header;
  const p = { sigma: hd.sigma, n0: hd.n0, n: hd.n, alpha: Number(opts.alpha), batchSize: Number(opts.batch) };
  const idx = Int32Array.from(recording.examples.slice(0, M).map((e) => e.index));
  for (const method of ["cohen", "adaptive"]) {
    const s = resolveCertify(
      { ...p, seed: hd.seed, method, ...(method === "adaptive" && { adaptive: adaptiveOptions() }) },
      method,
    );
    const backend = new NoisyClassifier(model, { maxBatch: p.batchSize });
    const c = await certifyExamples(core, backend, stats, dataset, idx, s);
    backend.dispose();
    checks.push({ method, columns: c });
  }
}

/** Look schedules the sweep compares: the library's default (n/64 … n/2, n), a finer one and an earlier one. */
const SCHEDULES = ["double", "sqrt2", "early"];
function looksOf(schedule) {
  const n = Number(rec?.header.n ?? opts.n);
  const n0 = Number(rec?.header.n0 ?? opts.n0);
  if (schedule === "double") return defaultLooks(n, n0);
  const [first, factor] = schedule === "sqrt2" ? [n / 64, Math.SQRT2] : [n / 256, 2];
  const looks = [];
  for (let l = first; l < n * 0.999; l *= factor) {
    const v = Math.round(l);
    if (v >= n0 && v < n && looks.at(-1) !== v) looks.push(v);
  }
  looks.push(n);
  return looks;
}

function adaptiveOptions(over = {}) {
  return {
    ...(opts.looks !== undefined && { looks: looksOf(opts.looks) }),
    ...(opts.tolerance !== undefined && { radiusTolerance: Number(opts.tolerance) }),
    ...(opts["early-share"] !== undefined && { earlyAlphaShare: Number(opts["early-share"]) }),
    ...over,
  };
}

const fixed = fixedRun();
const rDefault = resolveAdaptive(params, adaptiveOptions());
const adaptive = adaptiveRun(rDefault);
for (const { method, columns } of checks) {
  const replay = method === "cohen" ? fixed : adaptive;
  for (let k = 0; k < columns.index.length; k++) {
    const a = replay[k];
    if (
      columns.prediction[k] !== a.prediction ||
      columns.samples[k] !== a.samples ||
      columns.countTop[k] !== a.countTop ||
      columns.radius[k] !== a.radius
    )
      throw new Error(
        `--check: ${method} example ${columns.index[k]}: certifyExamples gave ${columns.prediction[k]}/${columns.samples[k]}/${columns.radius[k]}, the replay ${a.prediction}/${a.samples}/${a.radius}`,
      );
  }
  console.log(`--check: certifyExamples (${method}) equals the replay on the first ${columns.index.length} examples`);
}

console.log(
  `\n${h.model} (${h.arch}, ${h.epochs} epochs, test accuracy ${h.testAccuracy}); ${K} examples of ${h.dataset} (indices ${examples[0]?.index}…${examples.at(-1)?.index}); σ = ${h.sigma}, n0 = ${h.n0}, n = ${h.n}, α = ${alpha}, seed ${h.seed}`,
);
const eta0 = 1 - (rDefault.alphas.at(-1) ?? 0) / alpha;
console.log(
  `adaptive: looks ${rDefault.looks.join(", ")}; ε = ${rDefault.radiusTolerance}, η = ${eta0.toFixed(3)}, δ = ${rDefault.futilityAlpha}`,
);
console.log("\n index label | fixed: pred  k_top/n        radius | adaptive: pred radius  samples");
for (const [k, e] of prepared.entries()) {
  const f = fixed[k];
  const a = adaptive[k];
  const mark = (r) => (r.prediction === e.label ? " " : r.prediction === -1 ? "a" : "x");
  console.log(
    `${String(e.index).padStart(6)} ${String(e.label).padStart(5)} | ${String(f.prediction).padStart(10)}${mark(f)} ${`${f.countTop}/${h.n}`.padStart(13)} ${f.radius.toFixed(4).padStart(8)} | ${String(a.prediction).padStart(14)}${mark(a)} ${a.radius.toFixed(4).padStart(6)} ${String(a.samples).padStart(8)}`,
  );
}
console.log("(x = certified a wrong class, a = abstained; such rows count radius 0)");
const sf = summary(fixed);
const sa = summary(adaptive);
const correctF = fixed.filter((r, k) => r.prediction === prepared[k].label).length;
const unanimous = prepared.filter((e) => e.unanimous).length;
console.log(
  `\nfixed-n CERTIFY : ${sf.passes} passes, mean certified radius ${sf.meanRadius.toFixed(4)} (${correctF}/${K} certified correct; ${unanimous}/${K} with all n0 + n votes for ĉ)`,
);
console.log(`adaptive CERTIFY: ${sa.passes} passes, mean certified radius ${sa.meanRadius.toFixed(4)}`);
const ratio = sf.passes / sa.passes;
const loss = (sf.meanRadius - sa.meanRadius) / h.sigma;
console.log(
  `passes ratio fixed / adaptive: ${ratio.toFixed(3)}× (target ≥ 3×); mean radius loss ${loss.toFixed(4)}·σ (target ≤ ${budget}·σ)`,
);

// The oracle bound, and the check that the adaptive replays never beat it.
const items = prepared.map((e, k) => ({
  label: e.label,
  correct: fixed[k].prediction === e.label,
  radius: creditedRadius(fixed[k], k),
  unanimous: e.unanimous,
  labelCount: e.labelCount,
  pLower: fixed[k].pLower,
}));
const oracleArgs = { stats, sigma: h.sigma, alpha, n0: h.n0, n: h.n, items };
const models = ["A", "C", "B", "D"];
console.log(
  `\noracle bound at a mean loss ≤ ${budget}·σ (certify-oracle.mjs; passes = the least any valid procedure could spend):`,
);
const bounds = {};
for (const model of models) {
  const b = oracleBound({ ...oracleArgs, model, budget: budget * h.sigma * K });
  bounds[model] = b;
  console.log(
    `  ${model}: ${b.describe}\n     least passes ∈ [${b.lower.toFixed(0)}, ${b.upper.toFixed(0)}] → no such procedure can exceed ${(sf.passes / b.lower).toFixed(3)}× fewer passes at ≤ ${budget}σ on these inputs`,
  );
}

/** Adaptive results must not beat the oracle at the loss they actually reach. */
function assertBelowOracle(res, what) {
  const s = summary(res);
  // Per-input positive losses: what models A/C (no gains) are charged with.
  let positive = 0;
  for (const [k, r] of res.entries()) positive += Math.max(0, items[k].radius - creditedRadius(r, k));
  for (const model of ["A", "C"]) {
    const b = oracleBound({ ...oracleArgs, model, budget: positive });
    if (s.passes < b.lower - 1e-6)
      throw new Error(
        `${what}: ${s.passes} passes at total positive loss ${positive} beat oracle ${model}'s ${b.lower}`,
      );
  }
}
assertBelowOracle(adaptive, "adaptive (defaults)");

if (!opts["no-sweep"]) {
  // Every cell is replayed on the same votes and checked against oracles A and C at its own loss.
  const epsilons = [0, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3, 0.5, 1];
  const etas = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7];
  const cell = (schedule, eps, eta) => {
    const r = resolveAdaptive(
      params,
      adaptiveOptions({ looks: looksOf(schedule), radiusTolerance: eps, earlyAlphaShare: eta }),
    );
    const res = adaptiveRun(r);
    assertBelowOracle(res, `${schedule}, ε = ${eps}, η = ${eta}`);
    const s = summary(res);
    return { schedule, eps, eta, ratio: sf.passes / s.passes, loss: (sf.meanRadius - s.meanRadius) / h.sigma };
  };
  const shown = [0.1, 0.3, 0.5, 0.7];
  console.log(
    `\nsweep, default looks (${looksOf("double").join(", ")}): ratio / mean loss (σ) per ε (rows) and η (columns)`,
  );
  console.log(`   ε     | ${shown.map((e) => `η = ${e}`.padEnd(16)).join(" | ")}`);
  for (const eps of epsilons) {
    const cells = shown.map((eta) => {
      const c = cell("double", eps, eta);
      return `${c.ratio.toFixed(2)}× / ${c.loss.toFixed(4)}`.padEnd(16);
    });
    console.log(`  ${eps.toFixed(3).padEnd(6)} | ${cells.join(" | ")}`);
  }
  console.log(
    `\nbest ratio per look schedule at mean loss ≤ ${budget}σ and (the tuning rule: a 20% margin) ≤ ${+(0.8 * budget).toFixed(4)}σ (ε ∈ {${epsilons.join(", ")}}, η ∈ {${etas.join(", ")}}):`,
  );
  const fmt = (c) => (c ? `${c.ratio.toFixed(3)}× at ${c.loss.toFixed(4)}σ (ε = ${c.eps}, η = ${c.eta})` : "none");
  for (const schedule of SCHEDULES) {
    let best = null;
    let margin = null;
    for (const eps of epsilons)
      for (const eta of etas) {
        const c = cell(schedule, eps, eta);
        if (c.loss <= budget && (best === null || c.ratio > best.ratio)) best = c;
        if (c.loss <= 0.8 * budget && (margin === null || c.ratio > margin.ratio)) margin = c;
      }
    console.log(`  ${schedule.padEnd(7)} (${looksOf(schedule).length} looks): ${fmt(best)}; ${fmt(margin)}`);
  }
  console.log("every sweep cell was checked against oracles A and C at its own loss: none beats them");
}
console.log(`\nload average at start ${loadAtStart}, at the end ${load()}`);
