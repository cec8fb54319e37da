// host-web vs Node: the same study (one small ResNet trained in the run on the embedded
// Fashion-MNIST subset, then extract → reduce → fit → density → KL → compactness → certify →
// analysis → report) run in headless Chromium through the built app (packages/host-web/dist),
// and in Node through @classfit/pipeline's runStudy, each round cold: a fresh Node process (as
// the CLI runs) and a fresh browser context (empty storage). Both use one compute thread for
// the per-class tasks (Node: in-thread; web: one task worker), so the ratio is the browser's
// overhead on identical work; a second web run with two task workers is shown beside it. Times
// run from the study's start to its end (Node: runStudy, wasm compile and tfjs init included;
// web: Run clicked → done, worker start included; page load and process start excluded).
// Rounds interleave Node and web (shared, drifting CPU load) and the medians are compared;
// every round also checks that the artifacts are identical.
//
//   npm run build && node bench/web-vs-node.mjs     # CLASSFIT_ROUNDS=2 CLASSFIT_PER_CLASS=100 by default
//
// Target: web / Node wall time ≤ 1.5×.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDataset } from "@classfit/models/node";
import { MemoryRunStorage, resolveStudyConfig, runStudy } from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";
import { unzipSync, zipSync } from "fflate";
import { chromium } from "playwright-core";

const ROUNDS = Number(process.env.CLASSFIT_ROUNDS ?? 2);
const PER_CLASS = Number(process.env.CLASSFIT_PER_CLASS ?? 100);
const DIST = fileURLToPath(new URL("../packages/host-web/dist/", import.meta.url));
if (!existsSync(join(DIST, "index.html")))
  throw new Error(`build host-web first (npm run build): no ${DIST}index.html`);

// The app carries the wasm-core binary it was built with; Node loads the current build.
const builtCore = readdirSync(join(DIST, "assets")).find((f) => /^classfit-core-.*\.wasm$/.test(f));
const currentCore = fileURLToPath(new URL("../packages/wasm-core/build/classfit-core.wasm", import.meta.url));
if (!builtCore || !readFileSync(join(DIST, "assets", builtCore)).equals(readFileSync(currentCore)))
  throw new Error(`host-web's dist/ holds another classfit-core.wasm than ${currentCore}: rebuild (npm run build)`);
// …and models' kernels (embedded base64) as the study worker's bundle.
const kernelsJs = fileURLToPath(new URL("../packages/models/build/classfit-kernels-wasm.js", import.meta.url));
const kernelsB64 = /"([A-Za-z0-9+/=]{100,})"/.exec(readFileSync(kernelsJs, "utf8"))?.[1];
const studyWorker = readdirSync(join(DIST, "assets")).find((f) => /^study-worker-.*\.js$/.test(f));
if (!kernelsB64 || !studyWorker || !readFileSync(join(DIST, "assets", studyWorker), "utf8").includes(kernelsB64))
  throw new Error(`host-web's dist/ holds other kernels than ${kernelsJs}: rebuild (npm run build)`);

const CONFIG = {
  name: "web-vs-node bench",
  seed: 11,
  profile: "demo",
  dataset: { path: "default", perClass: PER_CLASS },
  networks: [
    {
      name: "resnet",
      label: "ResNet (small)",
      family: "resnet",
      arch: { arch: "resnet", blocks: [1, 1], widthMultiplier: 0.25 },
      train: { epochs: 1, batchSize: 64 },
    },
  ],
  steps: { certify: { perClass: 2, n0: 20, n: 200 } },
};

/** One study in this process (the child of a cold round). */
async function runInNode() {
  const storage = new MemoryRunStorage();
  const t0 = performance.now();
  const core = await createCore();
  await runStudy(
    {
      storage,
      resources: {
        loadDataset: (path, split) => loadDataset({ path, split }),
        readFile: async (p) => new Uint8Array(readFileSync(p)),
        readModel: async () => {
          throw new Error("no model files");
        },
        describe: (p) => (p === "default" ? "default (embedded Fashion-MNIST subset)" : p),
      },
      clock: { now: () => performance.now(), isoNow: () => new Date().toISOString() },
      hostName: "node bench",
    },
    core,
    resolveStudyConfig(CONFIG),
  );
  return { seconds: (performance.now() - t0) / 1000, files: storage.files };
}

// Child mode: one cold Node run (a fresh process, as the CLI runs), artifacts zipped to argv[3].
if (process.argv[2] === "--node-child") {
  const { seconds, files } = await runInNode();
  writeFileSync(process.argv[3], zipSync(Object.fromEntries(files), { level: 0 }));
  process.stdout.write(`${JSON.stringify({ seconds })}\n`);
  process.exit(0);
}

/** A cold Node round: a fresh process runs the study; its time is measured inside, from the first call. */
function nodeRound() {
  const zip = join(tmpdir(), `classfit-web-vs-node-${process.pid}.zip`);
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--node-child", zip], {
    encoding: "utf8",
    env: process.env,
    maxBuffer: 1 << 24,
  });
  const { seconds } = JSON.parse(out.trim().split("\n").pop());
  const files = new Map(Object.entries(unzipSync(new Uint8Array(readFileSync(zip)))));
  rmSync(zip, { force: true });
  return { seconds, files };
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
};
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "") || "index.html";
  const file = join(DIST, path);
  if (path.includes("..") || !existsSync(file) || statSync(file).isDirectory()) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CLASSFIT_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
  ],
});

async function webRound(workers) {
  // A fresh context each round: empty IndexedDB, so nothing is resumed.
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector("#run");
  await page.fill("#config", JSON.stringify(CONFIG));
  await page.fill("#workers", String(workers));
  const t0 = performance.now();
  await page.click("#run");
  await page.waitForFunction(
    () => ["done", "error", "interrupted"].includes(document.getElementById("status")?.dataset.state ?? ""),
    null,
    { timeout: 600_000 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const state = await page.getAttribute("#status", "data-state");
  if (state !== "done") throw new Error(`web run ${state}: ${await page.textContent("#message")}`);
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#download-zip")]);
  const files = new Map(Object.entries(unzipSync(new Uint8Array(readFileSync(await dl.path())))));
  await context.close();
  return { seconds, files };
}

/** Artifacts that differ, wall-clock records (step.json, manifest.json) aside. */
function differing(a, b) {
  const out = [];
  for (const [p, x] of a) {
    if (p === "manifest.json" || p.endsWith("/step.json")) continue;
    const y = b.get(p);
    if (!y || !Buffer.from(x).equals(Buffer.from(y))) out.push(p);
  }
  if (a.size !== b.size) out.push(`(file counts ${a.size} vs ${b.size})`);
  return out;
}

/** Seconds per step kind, from the run manifest (where the time goes on each host). */
function stepSeconds(files) {
  const m = JSON.parse(new TextDecoder().decode(files.get("manifest.json")));
  const by = {};
  for (const s of m.steps) by[s.step] = (by[s.step] ?? 0) + s.seconds;
  return by;
}
const fmtSteps = (by) =>
  Object.entries(by)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(", ");

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const node = [];
const web = [];
const web2 = [];
for (let r = 0; r < ROUNDS; r++) {
  const n = nodeRound();
  const w = await webRound(1);
  const w2 = await webRound(2);
  const d = [...differing(n.files, w.files), ...differing(n.files, w2.files)];
  console.log(
    `round ${r + 1}: node ${n.seconds.toFixed(1)} s, web (1 task worker) ${w.seconds.toFixed(1)} s, web (2 task workers) ${w2.seconds.toFixed(1)} s; ${n.files.size} artifacts, ${d.length === 0 ? "identical" : `DIFFERENT: ${d.join(", ")}`}`,
  );
  console.log(`  step seconds — node: ${fmtSteps(stepSeconds(n.files))}`);
  console.log(`  step seconds — web:  ${fmtSteps(stepSeconds(w.files))}`);
  if (d.length > 0) process.exitCode = 1;
  node.push(n.seconds);
  web.push(w.seconds);
  web2.push(w2.seconds);
}
await browser.close();
server.close();

const ratio = median(web) / median(node);
console.log(
  `median wall time: node ${median(node).toFixed(1)} s, web ${median(web).toFixed(1)} s (2 workers: ${median(web2).toFixed(1)} s)`,
);
console.log(`web / node (same threads) = ${ratio.toFixed(2)}× (target ≤ 1.5×) ${ratio <= 1.5 ? "PASS" : "MISS"}`);
console.log(`web with 2 task workers / node = ${(median(web2) / median(node)).toFixed(2)}×`);
