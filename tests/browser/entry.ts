// Runs in the Chromium page: fetches the very same classfit-core.wasm the Node side loads,
// runs the fixture file, and publishes the outputs for Playwright to collect.
import { Core } from "@classfit/wasm-core";
import { type FixtureFile, type FixtureOutput, runFixtures } from "../src/ops.js";

declare global {
  interface Window {
    __classfitParity?: { ok: true; outputs: FixtureOutput[] } | { ok: false; error: string };
  }
}

async function main(): Promise<void> {
  try {
    const module = await WebAssembly.compileStreaming(fetch("classfit-core.wasm"));
    const core = await Core.instantiate(module);
    const file = (await (await fetch("fixtures.json")).json()) as FixtureFile;
    window.__classfitParity = { ok: true, outputs: await runFixtures(core, file) };
  } catch (e) {
    window.__classfitParity = { ok: false, error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) };
  }
}

void main();
