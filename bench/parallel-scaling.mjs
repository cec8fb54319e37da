// Throughput of the unit executor with 1 and 2 worker threads, in the same run, for the three
// heavy protocols: certification (noisy forward passes per second of `classfit certify` on the
// shipped narrow ResNet), memorization (networks trained per minute by `classfit memorization`)
// and the demo study (`classfit demo`, wall time). Each figure is the wall time of the whole
// command, worker start-up included, as a user sees it; the ratio is 2-worker / 1-worker
// throughput (target ≥ 1.8 on a 2-core machine). For each multi-worker run it also prints every
// worker's idle time: from the moment the shared queue had nothing left for it to the end of
// the pool (what finer units shorten). Every run writes under a fresh temp directory, so nothing
// resumes; the artifacts of the 1- and 2-worker runs are compared byte for byte.
// Beside each pair it runs N independent copies of the 1-worker command at once (separate
// processes, separate directories): their combined throughput over one copy's is what the cores
// give this work side by side (shared caches, memory bandwidth, clock boost), the ceiling the
// pool's ratio is read against; "pool / copies" is the pool's share of it.
//
// Run it on an otherwise idle machine: other processes on the cores distort the ratio. At the
// --quick sizes each unit lasts a fraction of a second, so worker start-up (every worker loads
// tfjs-wasm, wasm-core and the network) dominates and the ratio says nothing about scaling.
//
// Usage: npm run build && node bench/parallel-scaling.mjs [--workers 2] [--rounds 1]
//        node bench/parallel-scaling.mjs --quick   (a smoke run: tiny sizes, seconds, no figures to keep)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    workers: { type: "string", default: "2" },
    rounds: { type: "string", default: "1" },
  },
});
const QUICK = opts.quick;
const N = Number(opts.workers);
const ROUNDS = Number(opts.rounds);
const CLI = fileURLToPath(new URL("../packages/host-node/bin/classfit.js", import.meta.url));
const MODEL = fileURLToPath(new URL("../packages/models/assets/models/resnet-narrow", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "classfit-scaling-"));

/** Runs the CLI; returns wall seconds, the output and the idle seconds per worker it logged. */
function classfit(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  const seconds = (performance.now() - t0) / 1000;
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`classfit ${args.join(" ")} exited ${r.status}:\n${out.slice(-3000)}`);
  const idle = [...out.matchAll(/^(\S+): (\d+) workers, .*idle per worker: (.*)$/gm)].map(
    (m) => `${m[1]} ${m[3].replace(/ s/g, "s")}`,
  );
  return { seconds, out, idle };
}

/** `copies` independent 1-worker runs of the command started together; wall seconds to the last
 * one's end. No pool, no shared queue: what the cores give this work side by side, the ceiling
 * any executor's ratio is read against. */
async function concurrent(name, copies, make) {
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: copies },
      (_, c) =>
        new Promise((resolve, reject) => {
          const args = [...make(join(tmp, `${name}-copy${c}`)), "--workers", "1"];
          const p = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
          let err = "";
          p.stderr.on("data", (d) => {
            err += d;
          });
          p.on("close", (code) =>
            code === 0
              ? resolve()
              : reject(new Error(`classfit ${args.join(" ")} exited ${code}:\n${err.slice(-3000)}`)),
          );
        }),
    ),
  );
  return (performance.now() - t0) / 1000;
}

/** Best (shortest) of ROUNDS runs of `make(workers, dir)`, each in a fresh directory. */
function best(name, workers, make) {
  let bestRun;
  for (let r = 0; r < ROUNDS; r++) {
    const dir = join(tmp, `${name}-w${workers}-r${r}`);
    const run = { ...classfit([...make(dir), "--workers", String(workers)]), dir };
    if (!bestRun || run.seconds < bestRun.seconds) bestRun = run;
  }
  return bestRun;
}

const same = (a, b) => Buffer.compare(readFileSync(a), readFileSync(b)) === 0;

const rows = [];
async function report(what, unit, amount, f, one, many, artifact, make) {
  const r1 = amount(one) / one.seconds;
  const rN = amount(many) / many.seconds;
  const identical = artifact ? same(join(one.dir, artifact), join(many.dir, artifact)) : undefined;
  const copies = QUICK ? undefined : await concurrent(what.replace(/\W/g, ""), N, make);
  const rCopies = copies === undefined ? undefined : (N * amount(one)) / copies;
  rows.push({ what, unit, r1, rN, one, many, identical, f, copies, rCopies });
}

console.log(
  `parallel scaling: 1 vs ${N} workers on ${availableParallelism()} cores${QUICK ? " (--quick: smoke sizes, not figures to keep)" : ""}`,
);

// Certification: examples of the test split, n noisy passes each (plus n0), units of 10.
const cert = QUICK
  ? { examples: "0:8", n: 200, n0: 20, unitSize: 2 }
  : { examples: "0:80", n: 2000, n0: 100, unitSize: 10 };
const certArgs = (dir) => [
  "certify",
  "--model",
  MODEL,
  "--examples",
  cert.examples,
  "--n",
  String(cert.n),
  "--n0",
  String(cert.n0),
  "--noise-batch",
  "100",
  "--unit-size",
  String(cert.unitSize),
  "--out",
  dir,
];
const passes = (run) =>
  JSON.parse(readFileSync(join(run.dir, "certification.summary.json"), "utf8")).noisyForwardPasses;
await report(
  "certification",
  "noisy passes/s",
  passes,
  (x) => x.toFixed(0),
  best("certify", 1, certArgs),
  best("certify", N, certArgs),
  "certification.npz",
  certArgs,
);

// Memorization: m networks on a subset of the training split, each long enough (about 6 s on one
// core) that the ratio measures the pool rather than the workers' start-up.
const mem = QUICK
  ? { models: 4, limit: 200, width: "0.0625", blocks: "1", epochs: 1 }
  : { models: 8, limit: 6000, width: "0.125", blocks: "1,1", epochs: 2 };
const memArgs = (dir) => [
  "memorization",
  ...["--arch", "resnet", "--blocks", mem.blocks, "--width", mem.width, "--limit", String(mem.limit)],
  ...[
    "--epochs",
    String(mem.epochs),
    "--batch-size",
    "50",
    "--models",
    String(mem.models),
    "--seed",
    "1",
    "--out",
    dir,
  ],
];
await report(
  "memorization",
  "networks/min",
  () => mem.models * 60,
  (x) => x.toFixed(1),
  best("memorization", 1, memArgs),
  best("memorization", N, memArgs),
  "memorization.npz",
  memArgs,
);

// The demo study (the shipped networks, the demo profile); --quick: a tiny quick study instead.
let studyArgs;
if (QUICK) {
  const config = join(tmp, "quick-study.json");
  writeFileSync(
    config,
    JSON.stringify({
      name: "scaling smoke study",
      seed: 5,
      dataset: { path: "default", perClass: 12 },
      networks: [
        { name: "resnet", arch: { arch: "resnet", blocks: [1], widthMultiplier: 0.0625 }, train: { epochs: 1 } },
      ],
      steps: { memorization: { models: 4, epochs: 1 }, certify: { perClass: 2, n0: 4, n: 32 } },
    }),
  );
  studyArgs = (dir) => ["study", "--config", config, "--profile", "quick", "--out", dir];
} else studyArgs = (dir) => ["demo", "--out", dir];
await report(
  QUICK ? "quick study (smoke)" : "demo study",
  "studies/h",
  () => 3600,
  (x) => x.toFixed(1),
  best("study", 1, studyArgs),
  best("study", N, studyArgs),
  "report/analysis.json",
  studyArgs,
);

console.log("");
console.log(
  `| work | 1 worker | ${N} workers | ratio ${N}/1 | ${N} independent 1-worker copies at once | ratio | pool / copies | same artifact bytes |`,
);
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const copies =
    r.rCopies === undefined
      ? "— | — | —"
      : `${r.f(r.rCopies)} (${r.copies.toFixed(1)} s) | ${(r.rCopies / r.r1).toFixed(2)}× | ${(r.rN / r.rCopies).toFixed(2)}`;
  console.log(
    `| ${r.what} (${r.unit}) | ${r.f(r.r1)} (${r.one.seconds.toFixed(1)} s) | ${r.f(r.rN)} (${r.many.seconds.toFixed(1)} s) | ${(r.rN / r.r1).toFixed(2)}× | ${copies} | ${r.identical === undefined ? "—" : r.identical ? "yes" : "NO"} |`,
  );
}
console.log("");
console.log(`idle time per worker in the ${N}-worker runs (queue empty until the pool ended):`);
for (const r of rows) console.log(`  ${r.what}: ${r.many.idle.length > 0 ? r.many.idle.join("; ") : "(no pool ran)"}`);
rmSync(tmp, { recursive: true, force: true });
if (rows.some((r) => r.identical === false)) {
  console.error("artifacts differ between worker counts");
  process.exit(1);
}
