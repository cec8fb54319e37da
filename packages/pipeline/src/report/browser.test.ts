// The report in a real browser (Debian chromium via playwright-core): the page opens offline
// with no request and no error, and renderReport run inside Chromium produces the very same
// bytes as in Node. Skips without Chromium, except with CI=true.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Core } from "@classfit/wasm-core";
import { wasmUrl } from "@classfit/wasm-core/node";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeStudy, type StudyAnalysis } from "../analysis/study.js";
import { testCore } from "../analysis/testing/core.js";
import { syntheticStudy } from "../analysis/testing/synthetic.js";
import { type Report, renderReport } from "./index.js";
import { CHROMIUM_PATH, checkPage, chromiumAvailable } from "./screenshot.js";

const available = chromiumAvailable();

let core: Core;
let analysis: StudyAnalysis;
beforeAll(async () => {
  core = await testCore();
  analysis = analyzeStudy(core, syntheticStudy(core, { seed: 8, perClass: 40 }), {
    seed: 9,
    bootstrap: 50,
    dipSimulations: 200,
  });
});

describe.skipIf(!available)("report in Chromium", () => {
  it("opens offline without requests or errors, with every figure and its tooltips", async () => {
    const report = await renderReport(analysis, { synthetic: true });
    const page = await checkPage(report.html);
    expect(page.requests).toEqual([]);
    expect(page.errors).toEqual([]);
    expect(page.svgCount).toBe(Object.keys(report.figures).length);
    expect(page.titleCount).toBeGreaterThan(100);
    // Nothing spills sideways at a laptop width.
    expect(page.width).toBeLessThanOrEqual(1200);
    expect(page.png.length).toBeGreaterThan(10_000);
  });

  it("analyzes and renders the same bytes in Chromium as in Node", async () => {
    const entry = fileURLToPath(new URL("./index.ts", import.meta.url));
    const study = fileURLToPath(new URL("../analysis/study.ts", import.meta.url));
    const bundled = await build({
      stdin: {
        contents: [
          `import { renderReport } from ${JSON.stringify(entry)};`,
          `import { analyzeStudy } from ${JSON.stringify(study)};`,
          `import { Core } from "@classfit/wasm-core";`,
          "globalThis.__renderReport = renderReport;",
          "globalThis.__analyze = async (wasm, input, options) =>",
          "  analyzeStudy(await Core.instantiate(await WebAssembly.compile(new Uint8Array(wasm))), input, options);",
        ].join("\n"),
        resolveDir: fileURLToPath(new URL(".", import.meta.url)),
        loader: "ts",
      },
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "es2022",
      conditions: ["source"],
      write: false,
      logLevel: "silent",
    });
    const code = bundled.outputFiles[0]?.text ?? "";
    const meta = { title: "parity", generated: "fixed" };
    const node = await renderReport(analysis, meta);
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      await page.setContent("<!doctype html><html><body></body></html>");
      await page.addScriptTag({ content: code });
      const inBrowser = (await page.evaluate(
        ([a, m]) =>
          (globalThis as unknown as { __renderReport: (a: unknown, m: unknown) => Promise<unknown> }).__renderReport(
            a,
            m,
          ),
        [analysis, meta] as const,
      )) as Report;
      // The analysis itself (wasm Rng bootstrap, dip simulation, detmath BIC) in the browser.
      const input = syntheticStudy(core, { seed: 8, perClass: 40 });
      const options = { seed: 9, bootstrap: 50, dipSimulations: 200 };
      const wasm = Array.from(await readFile(wasmUrl));
      const browserAnalysis = await page.evaluate(
        ([w, i, o]) =>
          (globalThis as unknown as { __analyze: (w: unknown, i: unknown, o: unknown) => Promise<unknown> }).__analyze(
            w,
            i,
            o,
          ),
        [wasm, input, options] as const,
      );
      expect(JSON.stringify(browserAnalysis)).toBe(JSON.stringify(analysis));
      for (const name of Object.keys(node.figures)) expect(inBrowser.figures[name], name).toBe(node.figures[name]);
      expect(inBrowser.html).toBe(node.html);
      expect(JSON.stringify(inBrowser.tables)).toBe(JSON.stringify(node.tables));
    } finally {
      await browser.close();
    }
  });
});
