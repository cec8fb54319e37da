#!/usr/bin/env node
// `npm start` = `classfit demo`: wall time and peak memory of the whole demo study from an empty
// run directory (the build is not timed), against the targets ≤ 180 s and ≤ 2 GB on the 2-core
// machine; then the same command again on the finished run directory (every step reused), the
// baseline cost of just loading, checking and re-reporting.
//
//   npm run build && node bench/demo.mjs [--workers 2] [--keep DIR] [--resnet MODELDIR --convnet MODELDIR]
//
// On a machine shared with other jobs, wall time measures the load as much as the work, so the
// script also prints CPU seconds (all threads) and CPU/2 — what the run takes on 2 idle cores.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    workers: { type: "string", default: "2" },
    keep: { type: "string" },
    resnet: { type: "string" },
    convnet: { type: "string" },
  },
});
const cli = fileURLToPath(new URL("../packages/host-node/dist/cli.js", import.meta.url));
if (!existsSync(cli)) throw new Error("build first: npm run build");
if (!existsSync("/usr/bin/time")) throw new Error("needs /usr/bin/time (GNU time) for peak memory");

const TARGET_S = 180;
const TARGET_MIB = 2048;

function run(argv) {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-v", process.execPath, cli, ...argv], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`classfit ${argv.join(" ")} failed (${r.status}):\n${r.stderr}`);
  const num = (re) => Number(re.exec(r.stderr)?.[1] ?? Number.NaN);
  const cpu = num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/);
  return { wall, cpu, rssMiB: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024, stdout: r.stdout };
}

const dir = args.keep ?? mkdtempSync(join(tmpdir(), "classfit-bench-demo-"));
const out = join(dir, "demo");
rmSync(out, { recursive: true, force: true });
const argv = ["demo", "--out", out, "--workers", args.workers, "--json"];
if (args.resnet) argv.push("--resnet", args.resnet);
if (args.convnet) argv.push("--convnet", args.convnet);
const load = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(" / ");
try {
  console.log(`load average before: ${load()} (1/5/15 min; 2 cores shared with other jobs)`);
  const fresh = run(argv);
  const loadAfter = load();
  // Read the fresh run's step times before the rerun rewrites the manifest (all steps reused,
  // 0 s each).
  const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  const again = run(argv);
  const s = JSON.parse(fresh.stdout);
  const byStep = {};
  for (const st of m.steps) byStep[st.step] = (byStep[st.step] ?? 0) + st.seconds;
  console.log(`load average after the fresh run: ${loadAfter}`);
  console.log(`fresh demo: ${s.stepsComputed} steps computed`);
  console.log(
    `  wall ${fresh.wall.toFixed(1)} s (target ≤ ${TARGET_S} s: ${(fresh.wall / TARGET_S).toFixed(2)}× the target)`,
  );
  console.log(
    `  CPU ${fresh.cpu.toFixed(1)} s all threads → ${(fresh.cpu / 2).toFixed(1)} s on 2 idle cores (${(fresh.cpu / 2 / TARGET_S).toFixed(2)}× the target)`,
  );
  console.log(
    `  peak memory ${fresh.rssMiB.toFixed(0)} MiB (target ≤ ${TARGET_MIB} MiB: ${(fresh.rssMiB / TARGET_MIB).toFixed(2)}×)`,
  );
  console.log(
    `  wall per step kind (s): ${Object.entries(byStep)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(", ")}`,
  );
  console.log(
    `rerun on the finished run directory (baseline: load, verify hashes, re-analyse, re-report): ${again.wall.toFixed(1)} s wall, ${again.cpu.toFixed(1)} s CPU, ${again.rssMiB.toFixed(0)} MiB`,
  );
  console.log(`fresh / rerun wall: ${(fresh.wall / again.wall).toFixed(1)}×`);
  for (const n of s.networks)
    console.log(
      `  ${n.label}: ${n.verdict} at ${n.splitStage} (ΔBIC ${n.deltaBic?.toFixed(1)}, dip p ${n.dipPValue?.toFixed(3)})`,
    );
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
