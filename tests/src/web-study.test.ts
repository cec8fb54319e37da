// host-web end to end: the built app (packages/host-web/dist, served as static files) runs the
// `quick` study in headless Chromium through its own UI — config, Run, progress, report — and
// the artifacts it offers for download are compared with a Node run of the same config: every
// file byte for byte, except the wall-clock fields (step and run timings, timestamps, host
// name), which are removed before comparing. The report page is checked for every figure,
// hover tooltips and the linked selection across figures, and screenshotted; bad input (wrong
// file type, a model without the named stage layers, a dataset too large for the tab) must
// give a clear message in the page while the tab stays responsive.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailability, launchChromium } from "./browser.js";
import {
  checkDistFresh,
  DIST,
  DOCS,
  firstDifference,
  nodeRun,
  openApp,
  runInPage,
  serveDir,
  withoutClock,
} from "./web-app.js";

/**
 * The smallest quick study: one tiny ResNet trained in the run on 10 images per class, three
 * memorization networks (trained on the page's Web Workers, one per core, against Node's single
 * thread) and certification of 1 example per class.
 */
export const WEB_STUDY_CONFIG = {
  name: "host-web parity study",
  seed: 7,
  profile: "quick",
  dataset: { path: "default", perClass: 10 },
  networks: [
    {
      name: "resnet",
      label: "ResNet (tiny)",
      family: "resnet",
      arch: { arch: "resnet", blocks: [1, 1], widthMultiplier: 0.125 },
      train: { epochs: 1, batchSize: 32 },
    },
  ],
  steps: { memorization: { models: 3, fraction: 0.5, epochs: 1 }, certify: { perClass: 1, n0: 4, n: 16 } },
} as const;

const availability = browserAvailability();
if (!availability.available) console.log(`SKIP host-web study: ${availability.reason}`);
const distBuilt = existsSync(join(DIST, "index.html"));
if (!distBuilt && process.env.CI === "true")
  throw new Error(`host-web is not built (${DIST}); run \`npm run build\` first`);

describe.skipIf(!availability.available || !distBuilt)("host-web: the quick study in Chromium", () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serveDir>>;
  let page: Page;
  const problems: string[] = [];
  let node: Map<string, Uint8Array>;
  let web: Map<string, Uint8Array>;
  let reportHtml: Uint8Array;

  beforeAll(async () => {
    checkDistFresh();
    [node, site, browser] = await Promise.all([nodeRun(WEB_STUDY_CONFIG), serveDir(DIST), launchChromium()]);
    page = await openApp(browser, site.url, problems);
    const r = await runInPage(page, WEB_STUDY_CONFIG);
    if (r.state !== "done")
      throw new Error(`the study did not finish in the page (${r.state}): ${r.message}\n${problems.join("\n")}`);
    const [zip] = await Promise.all([page.waitForEvent("download"), page.click("#download-zip")]);
    web = new Map(Object.entries(unzipSync(new Uint8Array(readFileSync((await zip.path()) as string)))));
    const [rep] = await Promise.all([page.waitForEvent("download"), page.click("#download-report")]);
    reportHtml = new Uint8Array(readFileSync((await rep.path()) as string));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it("offers every artifact of the Node run, and no other", () => {
    expect(node.size).toBeGreaterThan(20);
    expect([...web.keys()].sort()).toEqual([...node.keys()].sort());
    expect(node.has("report/report.html")).toBe(true);
    // The memorization networks were trained on both sides (Web Workers in the page).
    expect([...node.keys()].filter((p) => p.includes("/memorization/")).length).toBeGreaterThan(0);
  });

  it("gives the same bytes as Node for every artifact (wall-clock fields aside)", () => {
    const differ: string[] = [];
    let exact = 0;
    for (const [path, bytes] of node) {
      const w = web.get(path);
      if (w === undefined) continue;
      if (Buffer.from(w).equals(Buffer.from(bytes))) exact++;
      else if (JSON.stringify(withoutClock(path, w)) !== JSON.stringify(withoutClock(path, bytes)))
        differ.push(`${path}: ${firstDifference(withoutClock(path, w), withoutClock(path, bytes))}`);
    }
    expect(differ).toEqual([]);
    // Only step records and the run manifest carry clocks: everything else is identical as is.
    const clocked = [...node.keys()].filter((p) => p === "manifest.json" || p.endsWith("/step.json")).length;
    expect(exact).toBeGreaterThanOrEqual(node.size - clocked);
  });

  it("downloads the HTML report as computed (the same file as in the run)", () => {
    expect(Buffer.from(reportHtml).equals(Buffer.from(web.get("report/report.html") as Uint8Array))).toBe(true);
  });

  it("shows every figure of the report, with hover values and a linked selection", async () => {
    const names = [...node.keys()]
      .filter((p) => /^report\/.*\.svg$/.test(p))
      .map((p) => (p.split("/").pop() as string).replace(/\.svg$/, ""));
    expect(names.length).toBeGreaterThan(3);
    const shown = await page.evaluate((want) => {
      const root = document.getElementById("report")?.shadowRoot;
      return want.map((n) => {
        const fig = root?.getElementById(n);
        const svg = fig?.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        return {
          n,
          marks: svg?.querySelectorAll('[aria-roledescription$=" mark"][aria-label]').length ?? 0,
          w: box?.width ?? 0,
          h: box?.height ?? 0,
        };
      });
    }, names);
    for (const s of shown) {
      expect(s.w, s.n).toBeGreaterThan(50);
      expect(s.h, s.n).toBeGreaterThan(50);
      expect(s.marks, s.n).toBeGreaterThan(0);
    }
    // Hover: the tooltip shows the mark's class and value. A class-mean point (the top layer), not
    // a line or an error bar, whose box centre may lie over another class's mark; the highest
    // mean of all, since two classes' means at one stage can be close enough for their points to
    // overlap.
    const points = page.locator(
      '#report figure#class-means-by-stage svg [aria-roledescription="point"][aria-label*=": mean log-density"]',
    );
    const values = await points.evaluateAll((els) =>
      els.map((el) => {
        const m = /mean log-density ([\u2212-]?[\d.]+)/.exec(el.getAttribute("aria-label") ?? "");
        return m ? Number((m[1] as string).replace("\u2212", "-")) : Number.NaN;
      }),
    );
    const mark = points.nth(values.indexOf(Math.max(...values.filter(Number.isFinite))));
    const label = (await mark.getAttribute("aria-label")) as string;
    await mark.hover({ force: true });
    await expect.poll(() => page.locator("#report .cf-tip").textContent()).toBe(label);
    // Linked selection: clicking a class's mark lights that class's marks in other figures too.
    // Clicking the same point (its centre is the point itself: points are the top layer).
    const cls = label.split(" · ")[0] as string;
    expect(cls.length).toBeGreaterThan(0);
    await mark.click({ force: true });
    expect(await page.getAttribute("#report", "data-selected")).toBe(cls);
    const lit = await page.evaluate(() => {
      const root = document.getElementById("report")?.shadowRoot;
      const figs = new Set<string>();
      for (const m of Array.from(root?.querySelectorAll(".cf-lit") ?? [])) figs.add(m.closest("figure")?.id ?? "");
      return [...figs];
    });
    const litLabels = await page.evaluate(() =>
      Array.from(document.getElementById("report")?.shadowRoot?.querySelectorAll(".cf-lit") ?? []).map(
        (m) => m.getAttribute("aria-label") ?? "",
      ),
    );
    for (const l of litLabels) expect(l).toContain(cls);
    expect(lit.length).toBeGreaterThan(1);
    // The screenshot, with a class selected (CLASSFIT_UPDATE_SCREENSHOT=1 refreshes docs/web-report.png).
    const shot = await page.locator("#results").screenshot();
    expect(shot.length).toBeGreaterThan(10_000);
    const out = process.env.CLASSFIT_UPDATE_SCREENSHOT === "1" ? DOCS : join(tmpdir(), "classfit-web");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "web-report.png"), shot);
    await page.keyboard.press("Escape");
    expect(await page.getAttribute("#report", "data-selected")).toBe("");
  });

  it("made no third-party requests and raised no errors (CSP included)", () => {
    expect(problems).toEqual([]);
    expect(site.requests.every((p) => !p.startsWith("http"))).toBe(true);
  });

  it("lists the finished run among the runs kept in the browser, and reopens it", async () => {
    await page.waitForFunction(() =>
      /host-web parity study/.test(document.getElementById("stored-runs")?.textContent ?? ""),
    );
    await page.evaluate(() => {
      const r = document.getElementById("report");
      if (r?.shadowRoot) r.shadowRoot.replaceChildren();
    });
    const item = page.locator("#stored-runs li", { hasText: "host-web parity study" });
    await item.locator("button", { hasText: "open" }).click();
    await page.waitForFunction(
      () => (document.getElementById("report")?.shadowRoot?.querySelectorAll("figure").length ?? 0) > 3,
    );
  });

  it("cancels a running study and resumes it from the browser's storage", async () => {
    // Long fits (many sweeps), so Cancel lands while per-class tasks are on the workers.
    const config = {
      ...WEB_STUDY_CONFIG,
      seed: 8,
      steps: { ...WEB_STUDY_CONFIG.steps, fit: { sweeps: 3000, burnIn: 2000 } },
    };
    await page.fill("#config", JSON.stringify(config));
    await page.click("#run");
    await page.waitForFunction(() => document.querySelector('#progress .bar[data-key^="fit:"]') !== null, null, {
      timeout: 120_000,
    });
    await page.click("#cancel");
    await page.waitForFunction(() => document.getElementById("status")?.dataset.state !== "running", null, {
      timeout: 60_000,
    });
    expect(await page.getAttribute("#status", "data-state")).toBe("interrupted");
    expect(await page.textContent("#status")).toMatch(/resume/);
    const r = await runInPage(page, config);
    expect(r.state, r.message).toBe("done");
    const m = /(\d+) step\(s\) computed, (\d+) reused/.exec((await page.textContent("#status")) ?? "");
    expect(Number(m?.[2])).toBeGreaterThan(0);
    expect(Number(m?.[1])).toBeGreaterThan(0);
  });

  it("ships a strict CSP, no inline script, and relative asset paths (any folder of any static host)", async () => {
    const html = readFileSync(join(DIST, "index.html"), "utf8");
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "";
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'|https?:/);
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(m[2]?.trim()).toBe("");
      expect(m[1]).toMatch(/src="\.\//);
    }
    expect(html).not.toMatch(/(src|href)="\/(?!\/)/);
    // Served from a nested folder, the app still loads its script and styles.
    const nested = await serveDir(DIST, "some/folder/");
    const p = await browser.newPage();
    const errors: string[] = [];
    p.on("pageerror", (e) => errors.push(e.message));
    p.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    try {
      await p.goto(nested.url);
      await p.waitForSelector("#networks .net");
      expect(await p.evaluate(() => getComputedStyle(document.body).margin)).toBe("0px");
      expect(nested.requests.some((r) => r.startsWith("assets/index-"))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await p.close();
      await nested.close();
    }
  });

  it("rejects a file of the wrong type with a message naming it", async () => {
    await page.setInputFiles("#data-input", {
      name: "holiday.jpg",
      mimeType: "image/jpeg",
      buffer: Buffer.from([0xff, 0xd8, 0xff]),
    });
    expect(await page.textContent("#message")).toMatch(/holiday\.jpg: not a file this slot takes/);
  });

  it("runs a dropped tfjs model (stages from its manifest) to the same bytes as Node", async () => {
    const trained = new Map(
      ["model.json", "weights.bin", "manifest.json"].map((f) => [f, node.get(`resnet/train/${f}`) as Uint8Array]),
    );
    const stages = (JSON.parse(new TextDecoder().decode(trained.get("manifest.json"))) as { stages: string[] }).stages;
    await page.click("#add-model");
    const card = page.locator("#networks .net").last();
    await card
      .locator(".model-input")
      .setInputFiles(
        [...trained].map(([name, b]) => ({ name, mimeType: "application/octet-stream", buffer: Buffer.from(b) })),
      );
    // The manifest's stage layers come ticked among the model's layers.
    await page.waitForFunction(() => document.querySelectorAll("#networks .net:last-child .stages input").length > 0);
    const ticked = await card
      .locator(".stages input:checked")
      .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(ticked).toEqual(stages);
    const name = (await card.getAttribute("data-net")) as string;
    const config = { ...WEB_STUDY_CONFIG, seed: 9, networks: [{ name, model: `models/${name}` }] };
    const [nodeFiles, r] = await Promise.all([
      nodeRun(config, new Map([[`models/${name}`, trained]])),
      runInPage(page, config),
    ]);
    expect(r.state, r.message).toBe("done");
    const [zip] = await Promise.all([page.waitForEvent("download"), page.click("#download-zip")]);
    const webFiles = new Map(Object.entries(unzipSync(new Uint8Array(readFileSync((await zip.path()) as string)))));
    expect([...webFiles.keys()].sort()).toEqual([...nodeFiles.keys()].sort());
    const differ = [...nodeFiles]
      .filter(([p]) => p !== "manifest.json" && !p.endsWith("/step.json"))
      .filter(([p, b]) => !Buffer.from(b).equals(Buffer.from(webFiles.get(p) ?? new Uint8Array())))
      .map(([p]) => p);
    expect(differ).toEqual([]);
    // The model was read, not trained: fits of its stages, no training step.
    const own = [...nodeFiles.keys()].filter((p) => p.startsWith(`${name}/`));
    expect(own.filter((p) => p.endsWith("/model.npz")).length).toBe(10 * stages.length);
    expect(own.some((p) => p.startsWith(`${name}/train/`))).toBe(false);
    await card.locator("button", { hasText: "remove" }).click();
  });

  it("stops on a model without the named stage layers, with a clear message", async () => {
    await page.click("#add-model");
    const card = page.locator("#networks .net").last();
    const trained = "resnet/train";
    await card.locator(".model-input").setInputFiles([
      {
        name: "model.json",
        mimeType: "application/json",
        buffer: Buffer.from(node.get(`${trained}/model.json`) as Uint8Array),
      },
      {
        name: "weights.bin",
        mimeType: "application/octet-stream",
        buffer: Buffer.from(node.get(`${trained}/weights.bin`) as Uint8Array),
      },
    ]);
    const name = (await card.getAttribute("data-net")) as string;
    const config = {
      ...WEB_STUDY_CONFIG,
      networks: [{ name, model: `models/${name}`, stages: ["no_such_layer"] }],
    };
    const r = await runInPage(page, config);
    expect(r.state).toBe("error");
    expect(r.message).toMatch(/no_such_layer/);
    expect(await page.evaluate(() => 1 + 1)).toBe(2);
  });

  it("refuses a dataset too large for the tab with a clear message, and the tab stays responsive", async () => {
    // A gzip whose trailer claims 4 GiB of images: refused from the size alone, before any inflating.
    const huge = Buffer.alloc(32);
    huge.set([0x1f, 0x8b, 8], 0);
    huge.writeUInt32LE(0xffff_fff0, 28);
    await page.setInputFiles("#data-input", [
      { name: "train-images-idx3-ubyte.gz", mimeType: "application/gzip", buffer: huge },
      { name: "train-labels-idx1-ubyte", mimeType: "application/octet-stream", buffer: Buffer.alloc(16) },
    ]);
    const r = await runInPage(page, { ...WEB_STUDY_CONFIG, dataset: { path: "data" } });
    expect(r.state).toBe("error");
    expect(r.message).toMatch(/too large for this tab's memory/);
    const t0 = Date.now();
    expect(await page.evaluate(() => document.title.length > 0)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
