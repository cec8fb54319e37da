// Benchmark: the CLI end to end on real data, and what the default sampler costs.
// Fashion-MNIST raw pixels (1 000 training images per class, 10 classes) → `classfit reduce --k 64`
// → `classfit fit` of all 10 classes with 2 workers, under the profile's sampler and, in the same
// run, under the old default sampler (2 chains × 400 sweeps, burn-in 320) as the baseline.
// Target: the default profile's fit at most 2× the old default's wall time. Peak memory is the max
// RSS of each CLI process (worker_threads share their process) from /usr/bin/time -v.
//
//   npm run build && node bench/fit-fashion-mnist.mjs [--profile default|paper] [--per-class 1000] [--workers 2] [--no-baseline] [--one-worker] [--keep DIR]
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
    "per-class": { type: "string", default: "1000" },
    workers: { type: "string", default: "2" },
    profile: { type: "string", default: "default" },
    "no-baseline": { type: "boolean", default: false },
    "one-worker": { type: "boolean", default: false },
    keep: { type: "string" },
  },
});
const perClass = Number(args["per-class"]);
const workers = Number(args.workers);
const TARGET_RATIO = 2;

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

  const fitArgs = (w, out, schedule) => fitArgv({ dir, out, workers: w, profile: args.profile, schedule });
  const fit = classfit(fitArgs(workers, "fit", "profile"));
  console.log(`\nfit (${args.profile} profile), ${workers} workers:\n${fit.stdout.trimEnd()}`);
  const cfg = JSON.parse(readFileSync(join(dir, "fit", "manifest.json"), "utf8")).config;
  console.log(
    `fit (${args.profile}: ${cfg.chains} chains × ${cfg.sweeps} sweeps), ${workers} workers: ${fit.wall.toFixed(1)} s wall, ${fit.cpu.toFixed(1)} s CPU, peak RSS ${fit.rssMiB.toFixed(0)} MiB`,
  );
  let old;
  if (!args["no-baseline"]) {
    old = classfit(fitArgs(workers, "fitOld", "old"));
    console.log(
      `fit (old default: 2 chains × 400 sweeps), ${workers} workers: ${old.wall.toFixed(1)} s wall, ${old.cpu.toFixed(1)} s CPU, peak RSS ${old.rssMiB.toFixed(0)} MiB`,
    );
  }
  let one;
  if (args["one-worker"]) {
    one = classfit(fitArgs(1, "fit1", "profile"));
    // Same seed and per-class streams: the models must be byte-identical whatever the worker count.
    const m2 = JSON.parse(readFileSync(join(dir, "fit", "manifest.json"), "utf8"));
    const m1 = JSON.parse(readFileSync(join(dir, "fit1", "manifest.json"), "utf8"));
    const same = m2.classes.every((c, i) => c.sha256 === m1.classes[i].sha256);
    console.log(
      `fit, 1 worker: ${one.wall.toFixed(1)} s wall; models identical with 1 and ${workers} workers: ${same}`,
    );
  }
  console.log("\n== summary ==");
  console.log(`${perClass}/class, 10 classes, d = 64, ${workers} workers, profile ${args.profile}`);
  if (old)
    console.log(
      `fit wall time: ${fit.wall.toFixed(1)} s vs old default ${old.wall.toFixed(1)} s → ${(fit.wall / old.wall).toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${fit.wall / old.wall <= TARGET_RATIO ? "met" : "NOT met"}); CPU ${(fit.cpu / old.cpu).toFixed(2)}×`,
    );
  if (one) console.log(`speed-up ${workers} workers vs 1: ${(one.wall / fit.wall).toFixed(2)}× wall`);
  console.log(
    `peak RSS: reduce ${red.rssMiB.toFixed(0)} MiB, fit ${fit.rssMiB.toFixed(0)} MiB${old ? `, old ${old.rssMiB.toFixed(0)} MiB` : ""}`,
  );
  console.log(`load average at end: ${loadAverage()}`);
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
