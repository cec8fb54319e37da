// Benchmark (issue 3, must-show 2): the CLI end to end on real data.
// Fashion-MNIST raw pixels (1 000 training images per class, 10 classes) → `classfit reduce --k 64`
// → `classfit fit` of all 10 classes, 400 sweeps, 2 workers. Target: fit wall time ≤ 60 s on the
// 2-core machine. Baseline in the same run: the same fit with 1 worker. Peak memory is the max
// RSS of each CLI process (worker_threads share their process) from /usr/bin/time -v.
//
//   npm run build && node bench/fit-fashion-mnist.mjs [--profile default|paper] [--sweeps 400] [--per-class 1000] [--no-baseline] [--keep DIR]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { encodeNpy } from "@classfit/models/npy";
import { fashionSubset, fitArgv, loadAverage } from "./fashion-mnist-idx.mjs";

const { values: args } = parseArgs({
  options: {
    sweeps: { type: "string", default: "400" },
    "per-class": { type: "string", default: "1000" },
    workers: { type: "string", default: "2" },
    profile: { type: "string", default: "default" },
    "no-baseline": { type: "boolean", default: false },
    keep: { type: "string" },
  },
});
const sweeps = Number(args.sweeps);
const perClass = Number(args["per-class"]);
const workers = Number(args.workers);
const TARGET_S = 60;

const cli = fileURLToPath(new URL("../packages/host-node/dist/cli.js", import.meta.url));
if (!existsSync(cli)) throw new Error("build first: npm run build");
const useTime = existsSync("/usr/bin/time");

/** Runs the CLI under /usr/bin/time -v; returns wall seconds, max RSS (MiB) and stdout. */
function classfit(argv) {
  const cmd = useTime ? "/usr/bin/time" : process.execPath;
  const full = useTime ? ["-v", process.execPath, cli, ...argv] : [cli, ...argv];
  const t0 = performance.now();
  const r = spawnSync(cmd, full, { encoding: "utf8", maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    throw new Error(`classfit ${argv.join(" ")} failed (${r.status}):\n${r.stderr}`);
  }
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  // CPU seconds (all threads): on a machine shared with other jobs, wall time mostly measures the
  // load; CPU time / cores is what the same work would take on idle cores.
  const cpu = user && sys ? Number(user[1]) + Number(sys[1]) : Number.NaN;
  return { wall, cpu, rssMiB: m ? Number(m[1]) / 1024 : Number.NaN, stdout: r.stdout };
}

const dir = args.keep ?? mkdtempSync(join(tmpdir(), "classfit-bench-fit-"));
mkdirSync(dir, { recursive: true });
try {
  console.log(`load average at start: ${loadAverage()} (2 cores, shared)`);
  const t0 = performance.now();
  const { x, y, n, d } = fashionSubset({ start: 0, count: perClass });
  writeFileSync(join(dir, "R.npy"), encodeNpy(Float32Array.from(x), [n, d]));
  writeFileSync(join(dir, "y.npy"), encodeNpy(y, [n]));
  console.log(
    `data: ${n} Fashion-MNIST training images (${perClass}/class) × ${d} pixels, prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const red = classfit(["reduce", "--data", join(dir, "R.npy"), "--k", "64", "--out", join(dir, "Z.npy")]);
  console.log(`reduce --k 64: ${red.wall.toFixed(1)} s, peak RSS ${red.rssMiB.toFixed(0)} MiB :: ${red.stdout.trim()}`);

  const fitArgs = (w, out) => fitArgv({ dir, out, sweeps, workers: w, profile: args.profile });
  const fit = classfit(fitArgs(workers, "fit"));
  console.log(`\nfit, ${workers} workers:\n${fit.stdout.trimEnd()}`);
  console.log(
    `fit, ${workers} workers: ${fit.wall.toFixed(1)} s wall, ${fit.cpu.toFixed(1)} s CPU, peak RSS ${fit.rssMiB.toFixed(0)} MiB`,
  );
  let base;
  if (!args["no-baseline"]) {
    base = classfit(fitArgs(1, "fit1"));
    console.log(
      `fit, 1 worker (baseline): ${base.wall.toFixed(1)} s wall, ${base.cpu.toFixed(1)} s CPU, peak RSS ${base.rssMiB.toFixed(0)} MiB`,
    );
    // Same seed and per-class streams: the models must be byte-identical whatever the worker count.
    const m2 = JSON.parse(readFileSync(join(dir, "fit", "manifest.json"), "utf8"));
    const m1 = JSON.parse(readFileSync(join(dir, "fit1", "manifest.json"), "utf8"));
    const same = m2.classes.every((c, i) => c.sha256 === m1.classes[i].sha256);
    console.log(`models identical with 1 and ${workers} workers: ${same}`);
  }
  console.log("\n== summary ==");
  console.log(
    `sweeps ${sweeps}, ${perClass}/class, 10 classes, profile ${args.profile} (${args.profile === "paper" ? 1 : 2} chain(s)), d = 64`,
  );
  console.log(
    `fit wall time (${workers} workers): ${fit.wall.toFixed(1)} s; target ≤ ${TARGET_S} s → ${(fit.wall / TARGET_S).toFixed(2)}× the target (${fit.wall <= TARGET_S ? "met" : "NOT met"})`,
  );
  console.log(
    `fit CPU time (all threads): ${fit.cpu.toFixed(1)} s → ${(fit.cpu / workers).toFixed(1)} s per core on ${workers} idle cores ` +
      `(${(fit.cpu / workers / TARGET_S).toFixed(2)}× the target; a lower bound for wall time, reached with perfect balance)`,
  );
  if (base)
    console.log(
      `speed-up ${workers} workers vs 1: ${(base.wall / fit.wall).toFixed(2)}× wall (1 worker: ${base.wall.toFixed(1)} s wall, ${base.cpu.toFixed(1)} s CPU)`,
    );
  console.log(
    `peak RSS: reduce ${red.rssMiB.toFixed(0)} MiB, fit ${fit.rssMiB.toFixed(0)} MiB${base ? `, fit (1 worker) ${base.rssMiB.toFixed(0)} MiB` : ""}`,
  );
  console.log(`load average at end: ${loadAverage()}`);
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
