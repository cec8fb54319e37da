// Benchmark: held-out density quality on real data, against the old default sampler and baselines.
// Fashion-MNIST pixels, 10 classes: `reduce --k 64` fitted on 1 000 training images per class and
// applied to 2 000 other training images per class; `fit` on the 1 000; `density` of the 2 000
// held-out images under their own class. Figure: mean held-out log predictive density per point,
// per class, against (a) one full-covariance Gaussian (MLE) fitted to the same 1 000 points and
// (b) scikit-learn's BayesianGaussianMixture (dirichlet_process, full covariances) via
// /usr/bin/python3 when sklearn imports there (column skipped with a note otherwise).
// Target: classfit ≥ both, per class.
//
//   npm run build && node bench/density-quality.mjs [--sweeps N] [--per-class 1000] [--held-out 2000] [--reuse DIR]
// --reuse DIR: take R.npy, y.npy, Z.npy, Z.projection.npz and fit/ from `fit-fashion-mnist.mjs --keep DIR`
// (the same 1 000 training images per class, reduced and fitted the same way) instead of refitting.
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { encodeNpy, parseNpy } from "@classfit/models/npy";
import { fashionSubset, fitArgv, loadAverage } from "./fashion-mnist-idx.mjs";

const { values: args } = parseArgs({
  options: {
    sweeps: { type: "string" },
    "per-class": { type: "string", default: "1000" },
    "held-out": { type: "string", default: "2000" },
    workers: { type: "string", default: "2" },
    keep: { type: "string" },
    reuse: { type: "string" },
  },
});
const perClass = Number(args["per-class"]);
const heldOut = Number(args["held-out"]);
const cli = fileURLToPath(new URL("../packages/host-node/dist/cli.js", import.meta.url));
if (!existsSync(cli)) throw new Error("build first: npm run build");
const PY = "/usr/bin/python3";
const sklearnScript = fileURLToPath(new URL("./baseline/sklearn_dpgmm.py", import.meta.url));

function run(cmd, argv) {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr, wall: (performance.now() - t0) / 1000 };
}
const classfit = (...argv) => run(process.execPath, [cli, ...argv]);

/** Mean log N(x; μ, Σ) over test rows, with μ, Σ the MLE of the training rows (plain JS, f64). */
function gaussianHeldOut(x, n, xt, m, d) {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += x[i * d + j] / n;
  const S = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const ra = x[i * d + a] - mu[a];
      for (let b = 0; b <= a; b++) S[a * d + b] += (ra * (x[i * d + b] - mu[b])) / n;
    }
  }
  // Cholesky S = L Lᵀ (lower triangle in place).
  for (let j = 0; j < d; j++) {
    let s = S[j * d + j];
    for (let k = 0; k < j; k++) s -= S[j * d + k] ** 2;
    if (!(s > 0)) return { mean: Number.NaN, note: `covariance not positive definite at ${j}` };
    const ljj = Math.sqrt(s);
    S[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = S[i * d + j];
      for (let k = 0; k < j; k++) t -= S[i * d + k] * S[j * d + k];
      S[i * d + j] = t / ljj;
    }
  }
  let logdet = 0;
  for (let j = 0; j < d; j++) logdet += 2 * Math.log(S[j * d + j]);
  const z = new Float64Array(d);
  let total = 0;
  for (let i = 0; i < m; i++) {
    let q = 0;
    for (let a = 0; a < d; a++) {
      let t = xt[i * d + a] - mu[a];
      for (let k = 0; k < a; k++) t -= S[a * d + k] * z[k];
      z[a] = t / S[a * d + a];
      q += z[a] * z[a];
    }
    total += -0.5 * (d * Math.log(2 * Math.PI) + logdet + q);
  }
  return { mean: total / m };
}

const readF64 = (p) => {
  const a = parseNpy(new Uint8Array(readFileSync(p)), { name: p });
  return { data: a.data instanceof Float64Array ? a.data : Float64Array.from(a.data), shape: a.shape };
};

const dir = args.keep ?? mkdtempSync(join(tmpdir(), "classfit-bench-density-"));
try {
  console.log(`load average at start: ${loadAverage()} (2 cores, shared)`);
  const tr = fashionSubset({ start: 0, count: perClass });
  const te = fashionSubset({ start: perClass, count: heldOut });
  writeFileSync(join(dir, "RH.npy"), encodeNpy(Float32Array.from(te.x), [te.n, te.d]));
  writeFileSync(join(dir, "yh.npy"), encodeNpy(te.y, [te.n]));
  console.log(`train: ${tr.n} images (${perClass}/class); held out: ${te.n} other training images (${heldOut}/class)`);
  if (args.reuse) {
    for (const f of ["R.npy", "y.npy", "Z.npy", "Z.projection.npz"]) copyFileSync(join(args.reuse, f), join(dir, f));
    cpSync(join(args.reuse, "fit"), join(dir, "fit"), { recursive: true });
    const R = readF64(join(dir, "R.npy"));
    if (R.shape[0] !== tr.n || R.data.some((v, i) => v !== Math.fround(tr.x[i]))) {
      throw new Error(`--reuse ${args.reuse}: its R.npy is not this run's training set (check --per-class)`);
    }
    const m = JSON.parse(readFileSync(join(dir, "fit", "manifest.json"), "utf8"));
    console.log(`reusing ${args.reuse}: fit of ${m.config.sweeps} sweeps, ${m.config.chains} chains`);
  } else {
    writeFileSync(join(dir, "R.npy"), encodeNpy(Float32Array.from(tr.x), [tr.n, tr.d]));
    writeFileSync(join(dir, "y.npy"), encodeNpy(tr.y, [tr.n]));
    console.log(
      classfit("reduce", "--data", join(dir, "R.npy"), "--k", "64", "--out", join(dir, "Z.npy")).stdout.trim(),
    );
    const fit = classfit(
      ...fitArgv({ dir, out: "fit", workers: args.workers, schedule: args.sweeps ? Number(args.sweeps) : "profile" }),
    );
    console.log(fit.stdout.trimEnd());
    console.log(`fit: ${fit.wall.toFixed(1)} s`);
  }
  // The old default sampler (2 chains × 400 sweeps) in the same run: the default must not lose
  // held-out density to it in any class.
  const fitOld = classfit(...fitArgv({ dir, out: "fitOld", workers: args.workers, schedule: "old" }));
  console.log(`old default fit: ${fitOld.wall.toFixed(1)} s`);
  classfit(
    "reduce",
    "--data",
    join(dir, "RH.npy"),
    "--projection",
    join(dir, "Z.projection.npz"),
    "--out",
    join(dir, "ZH.npy"),
  );
  const dens = {};
  for (const variant of ["exact", "paper", "old"]) {
    const out = join(dir, `S_${variant}.npy`);
    classfit(
      "density",
      "--fit",
      join(dir, variant === "old" ? "fitOld" : "fit"),
      "--data",
      join(dir, "ZH.npy"),
      "--labels",
      join(dir, "yh.npy"),
      "--out",
      out,
      "--variant",
      variant === "old" ? "exact" : variant,
    );
    dens[variant] = readF64(out).data;
  }

  let sk;
  let skNote = "";
  const probe = spawnSync(PY, ["-c", "import sklearn, numpy"], { encoding: "utf8" });
  if (probe.status === 0) {
    const t0 = performance.now();
    const r = run(PY, [
      sklearnScript,
      "--train",
      join(dir, "Z.npy"),
      "--train-labels",
      join(dir, "y.npy"),
      "--test",
      join(dir, "ZH.npy"),
      "--test-labels",
      join(dir, "yh.npy"),
      "--out",
      join(dir, "S_sklearn.npy"),
    ]);
    sk = {
      scores: readF64(join(dir, "S_sklearn.npy")).data,
      info: JSON.parse(r.stdout),
      wall: (performance.now() - t0) / 1000,
    };
  } else {
    skNote = `sklearn column skipped: \`${PY} -c "import sklearn"\` failed (${probe.stderr.trim().split("\n").pop()})`;
  }

  const Z = readF64(join(dir, "Z.npy"));
  const ZH = readF64(join(dir, "ZH.npy"));
  const d = Z.shape[1];
  const rows = [];
  for (let c = 0; c < 10; c++) {
    const idx = [];
    const idxH = [];
    for (let i = 0; i < tr.n; i++) if (tr.y[i] === c) idx.push(i);
    for (let i = 0; i < te.n; i++) if (te.y[i] === c) idxH.push(i);
    const x = new Float64Array(idx.length * d);
    idx.forEach((r, i) => {
      x.set(Z.data.subarray(r * d, (r + 1) * d), i * d);
    });
    const xt = new Float64Array(idxH.length * d);
    idxH.forEach((r, i) => {
      xt.set(ZH.data.subarray(r * d, (r + 1) * d), i * d);
    });
    const mean = (s) => idxH.reduce((a, r) => a + s[r], 0) / idxH.length;
    rows.push({
      c,
      bayes: mean(dens.exact),
      old: mean(dens.old),
      paper: mean(dens.paper),
      gauss: gaussianHeldOut(x, idx.length, xt, idxH.length, d).mean,
      sk: sk ? mean(sk.scores) : Number.NaN,
      skK: sk ? sk.info.find((e) => e.label === c)?.effective_K : undefined,
    });
  }
  const f = (v) => (Number.isFinite(v) ? v.toFixed(2) : "—").padStart(11);
  console.log("\n== mean held-out log predictive density per point (nats; higher is better) ==");
  console.log(
    `${"class".padEnd(6)}${"classfit".padStart(11)}${"(paper)".padStart(11)}${"old dflt".padStart(11)}${"Gaussian".padStart(11)}${"sklearn".padStart(11)}${"Δ vs old".padStart(11)}${"Δ vs G".padStart(11)}${"Δ vs sk".padStart(11)}  ≥ all`,
  );
  let wins = 0;
  let notWorse = 0;
  for (const r of rows) {
    const ok = r.bayes >= r.gauss && (!sk || r.bayes >= r.sk) && r.bayes >= r.old;
    if (ok) wins++;
    if (r.bayes >= r.old) notWorse++;
    console.log(
      `${String(r.c).padEnd(6)}${f(r.bayes)}${f(r.paper)}${f(r.old)}${f(r.gauss)}${f(r.sk)}${f(r.bayes - r.old)}${f(r.bayes - r.gauss)}${f(r.bayes - r.sk)}  ${ok ? "yes" : "NO"}`,
    );
  }
  const avg = (k) => rows.reduce((a, r) => a + r[k], 0) / rows.length;
  console.log(
    `${"mean".padEnd(6)}${f(avg("bayes"))}${f(avg("paper"))}${f(avg("old"))}${f(avg("gauss"))}${f(avg("sk"))}${f(avg("bayes") - avg("old"))}${f(avg("bayes") - avg("gauss"))}${f(avg("bayes") - avg("sk"))}`,
  );
  console.log(`\nno worse than the old default sampler: ${notWorse}/10 classes`);
  console.log(
    `target (classfit ≥ old default, Gaussian${sk ? " and sklearn" : ""}, per class): met in ${wins}/10 classes`,
  );
  if (sk)
    console.log(
      `sklearn BayesianGaussianMixture (20 components max, DP prior, full): ${sk.wall.toFixed(1)} s; effective K (weight > 0.01) ${rows.map((r) => r.skK).join(" ")}`,
    );
  if (skNote) console.log(skNote);
  console.log(`load average at end: ${loadAverage()}`);
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
