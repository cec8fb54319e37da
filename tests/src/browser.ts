// Node-side harness for the Chromium half of the parity tests: bundles a browser entry with
// esbuild, serves it with its assets from memory on 127.0.0.1, and drives Debian's chromium
// through playwright-core (Playwright's own browser download does not work here).
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { wasmUrl } from "@classfit/wasm-core/node";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CLASSFIT_CHROMIUM ?? "/usr/bin/chromium";

/** Where the browser half can run: in CI it must, elsewhere it may skip with one clear line. */
export function browserAvailability(): { available: boolean; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { available: true, reason: "" };
  const reason = `no Chromium at ${CHROMIUM_PATH} (install Debian's chromium, or set CLASSFIT_CHROMIUM)`;
  if (process.env.CI === "true") {
    throw new Error(`CI=true requires the browser tests to run, but there is ${reason}`);
  }
  return { available: false, reason };
}

// Flags as for a root user on a machine with a closed network: no sandbox (root), no GPU,
// and no background services that would try to reach Google.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

export interface StaticSite {
  url: string;
  close(): Promise<void>;
}

/** Serves `files` (path → contents) on 127.0.0.1 at a free port. */
export async function serveStatic(files: Map<string, Uint8Array | string>): Promise<StaticSite> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "") || "index.html";
    const body = files.get(path);
    if (body === undefined) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    const ext = path.slice(path.lastIndexOf("."));
    res.writeHead(200, {
      "content-type": TYPES[ext] ?? "application/octet-stream",
      // The same isolation headers host-web serves with.
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** Bundles a browser entry module (workspace packages from their sources). */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    write: false,
    logLevel: "silent",
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced no output for ${entry}`);
  return out.text;
}

/**
 * Opens `site` in headless Chromium, waits for `window[globalName]` to be set by the page,
 * and returns it. Page errors and console errors are surfaced in the thrown message.
 */
export async function collectFromPage<T>(site: StaticSite, globalName: string, timeoutMs = 120_000): Promise<T> {
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    await page.goto(site.url);
    try {
      await page.waitForFunction((g) => (window as unknown as Record<string, unknown>)[g] !== undefined, globalName, {
        timeout: timeoutMs,
      });
    } catch (e) {
      throw new Error(`page did not publish window.${globalName}: ${String(e)}\n${problems.join("\n")}`);
    }
    return (await page.evaluate((g) => (window as unknown as Record<string, unknown>)[g], globalName)) as T;
  } finally {
    await browser.close();
  }
}

/**
 * Bundles the browser entry module `entry` and serves it as a page (index.html loading entry.js)
 * together with classfit-core.wasm and `files` (path → contents).
 */
export async function servePage(
  entry: URL,
  files: Iterable<readonly [string, Uint8Array | string]> = [],
): Promise<StaticSite> {
  const js = await bundle(fileURLToPath(entry));
  return serveStatic(
    new Map<string, Uint8Array | string>([
      ["index.html", '<!doctype html><meta charset="utf-8"><script type="module" src="entry.js"></script>'],
      ["entry.js", js],
      ["classfit-core.wasm", readFileSync(wasmUrl)],
      ...files,
    ]),
  );
}

/** tfjs-backend-wasm's SIMD binary, resolved as the models package resolves it, under the name pages fetch. */
export function tfjsWasmFile(): [string, Uint8Array] {
  const require = createRequire(import.meta.url);
  const path = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm", {
    paths: [fileURLToPath(new URL("../../packages/models/", import.meta.url))],
  });
  return ["tfjs-backend-wasm-simd.wasm", readFileSync(path)];
}

/**
 * collectFromPage for the parity pages, which publish `{ ok: true, outputs }` or
 * `{ ok: false, error }`: returns the outputs, or throws "`what` failed in Chromium: error".
 */
export async function collectOutputs<T>(site: StaticSite, globalName: string, what: string): Promise<T[]> {
  const result = await collectFromPage<{ ok: true; outputs: T[] } | { ok: false; error: string }>(site, globalName);
  if (!result.ok) throw new Error(`${what} failed in Chromium: ${result.error}`);
  return result.outputs;
}
