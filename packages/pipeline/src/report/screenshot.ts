// Node-only development helper (not exported from the package index): opens a report page in
// Debian's headless Chromium with every network request blocked, and returns a full-page
// screenshot plus what went wrong (requests attempted, console errors). Used by the report's
// browser test and for eyeballing layout: write the PNG somewhere and look at it.

import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CLASSFIT_CHROMIUM ?? "/usr/bin/chromium";

// Root, no GPU, closed network: no sandbox, and no background services reaching out.
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export interface PageCheck {
  /** Full-page PNG. */
  png: Uint8Array;
  /** URLs the page tried to load (all blocked); a self-contained page has none. */
  requests: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Inline <svg> elements and <title> tooltips found in the DOM. */
  svgCount: number;
  titleCount: number;
  /** Scroll size of the page in CSS pixels. */
  width: number;
  height: number;
}

/** Whether Chromium is present; with CI=true its absence is an error rather than a skip. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === "true") throw new Error(`CI=true requires Chromium at ${CHROMIUM_PATH}`);
  return false;
}

/** Loads `html` offline in headless Chromium and screenshots it at `viewportWidth` CSS px. */
export async function checkPage(html: string, viewportWidth = 1200): Promise<PageCheck> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: viewportWidth, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (!url.startsWith("data:")) requests.push(url);
      return route.abort();
    });
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    await page.setContent(html, { waitUntil: "load" });
    const info = await page.evaluate(() => ({
      svgCount: document.querySelectorAll("svg").length,
      titleCount: document.querySelectorAll("svg title").length,
      width: document.documentElement.scrollWidth,
      height: document.documentElement.scrollHeight,
    }));
    const png = await page.screenshot({ fullPage: true, type: "png" });
    return { png: new Uint8Array(png), requests, errors, ...info };
  } finally {
    await browser.close();
  }
}
