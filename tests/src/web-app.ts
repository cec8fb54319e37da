// The built web app (packages/host-web/dist) driven in Debian's Chromium, and the Node run it is
// compared with: a static file server, the page's Run, and the study run in Node with the same
// config from the repository root.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDataset } from "@classfit/models/node";
import {
  MemoryRunStorage,
  type PipelineHost,
  type RunStudyOptions,
  resolveStudyConfig,
  runStudy,
} from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";
import type { Browser, Page } from "playwright-core";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A tfjs model folder (model.json, weights.bin, manifest.json where present). */
function modelFromDisk(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const f of ["model.json", "weights.bin", "manifest.json"])
    if (existsSync(join(dir, f))) out.set(f, new Uint8Array(readFileSync(join(dir, f))));
  if (!out.has("model.json")) throw new Error(`${dir}: no model.json`);
  return out;
}

export const DIST = fileURLToPath(new URL("../../packages/host-web/dist/", import.meta.url));
export const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/** A plain static file server over dist/ — what any static host does (no special headers). */
export async function serveDir(
  root: string,
  prefix = "",
): Promise<{ url: string; close(): Promise<void>; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const full = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
    if (!full.startsWith(prefix)) {
      res.writeHead(404).end(`not found: ${full}`);
      return;
    }
    const path = full.slice(prefix.length) || "index.html";
    requests.push(path);
    const file = join(root, path);
    if (path.includes("..") || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${prefix}`,
    requests,
    close: () => new Promise<void>((r, j) => server.close((e) => (e ? j(e) : r()))),
  };
}

/**
 * Wall-clock fields a run records (its own duration, stamps, host) are removed before comparing,
 * and the manifest's step list is put in path order (it records steps in completion order).
 */
export function withoutClock(path: string, bytes: Uint8Array): string | Uint8Array {
  const name = path.split("/").pop() ?? "";
  if (name === "step.json") {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    delete j.seconds;
    return JSON.stringify(j);
  }
  if (path === "manifest.json") {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown> & {
      steps?: Record<string, unknown>[];
    };
    for (const k of ["startedAt", "finishedAt", "seconds", "host", "versions", "command"]) delete j[k];
    // Steps are listed as they finish; per-class tasks on parallel workers finish in any order.
    for (const s of j.steps ?? []) delete s.seconds;
    j.steps?.sort((a, b) => `${a.dir}/${a.step}`.localeCompare(`${b.dir}/${b.step}`));
    return JSON.stringify(j);
  }
  return bytes;
}

export function firstDifference(a: string | Uint8Array, b: string | Uint8Array): string {
  const x = typeof a === "string" ? a : new TextDecoder().decode(a);
  const y = typeof b === "string" ? b : new TextDecoder().decode(b);
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  return `web …${x.slice(Math.max(0, i - 60), i + 60)}… vs node …${y.slice(Math.max(0, i - 60), i + 60)}…`;
}

/**
 * The study in Node, as the CLI runs it from the repository root: `models` maps a config's model
 * path to its files (model.json, weights.bin, manifest.json); other model paths and every file
 * path not in `files` are read from disk, relative paths from the repository root.
 */
export async function nodeRun(
  raw: unknown,
  models: Map<string, Map<string, Uint8Array>> = new Map(),
  options: RunStudyOptions = {},
  files: Map<string, Uint8Array> = new Map(),
): Promise<Map<string, Uint8Array>> {
  const storage = new MemoryRunStorage();
  const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
  const host: PipelineHost = {
    storage,
    resources: {
      loadDataset: (path, split) => loadDataset({ path, split }),
      readFile: async (p) => files.get(p) ?? new Uint8Array(readFileSync(resolve(ROOT, p))),
      readModel: async (p) => {
        const f = models.get(p) ?? modelFromDisk(resolve(ROOT, p));
        const manifestJson = text(f.get("manifest.json"));
        const m = { modelJson: text(f.get("model.json")) as string, weights: f.get("weights.bin") as Uint8Array };
        return manifestJson === undefined ? m : { ...m, manifestJson };
      },
      describe: (p) => (p === "default" ? "default (embedded Fashion-MNIST subset)" : p),
    },
    clock: { now: () => performance.now(), isoNow: () => new Date().toISOString() },
    hostName: "node (web-study test)",
  };
  await runStudy(host, await createCore(), resolveStudyConfig(raw, { where: "web-study config" }), options);
  return storage.files;
}

/**
 * The app bundles wasm-core's binary and models' kernels at build time: refuse a dist built from
 * other ones than the Node side loads now (a stale build, not a parity failure).
 */
export function checkDistFresh(): void {
  const assets = readdirSync(join(DIST, "assets"));
  const built = assets.find((f) => /^classfit-core-.*\.wasm$/.test(f));
  const current = fileURLToPath(new URL("../../packages/wasm-core/build/classfit-core.wasm", import.meta.url));
  const stale = (what: string) =>
    new Error(`host-web's dist/ was built from another ${what} than the Node side loads; rebuild it (npm run build)`);
  if (!built || !readFileSync(join(DIST, "assets", built)).equals(readFileSync(current))) throw stale(current);
  const kernelsJs = fileURLToPath(new URL("../../packages/models/build/classfit-kernels-wasm.js", import.meta.url));
  const b64 = /"([A-Za-z0-9+/=]{100,})"/.exec(readFileSync(kernelsJs, "utf8"))?.[1];
  const worker = assets.find((f) => /^study-worker-.*\.js$/.test(f));
  if (!b64 || !worker || !readFileSync(join(DIST, "assets", worker), "utf8").includes(b64)) throw stale(kernelsJs);
}

export async function openApp(browser: Browser, url: string, problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith("blob:")) problems.push(`third-party request: ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector("#run");
  return page;
}

/** Runs `config` through the page's form; `message` is the status line under the Run button. */
export async function runInPage(
  page: Page,
  config: unknown,
  workers = 2,
  timeout = 150_000,
): Promise<{ state: string; message: string }> {
  await page.fill("#config", JSON.stringify(config, null, 1));
  await page.fill("#workers", String(workers));
  await page.click("#run");
  await page.waitForFunction(
    () => ["done", "error", "interrupted"].includes(document.getElementById("status")?.dataset.state ?? ""),
    null,
    { timeout },
  );
  const state = (await page.getAttribute("#status", "data-state")) ?? "";
  return { state, message: (await page.textContent("#status")) ?? "" };
}
