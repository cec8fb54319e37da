// Runs in the Chromium page: fetches the very same classfit-core.wasm the Node side loads,
// runs the fixture file, and publishes the outputs for Playwright to collect.
import { type FixtureFile, runFixtures } from "../src/ops.js";
import { pageCore, publishOutputs } from "./page.js";

void publishOutputs("__classfitParity", async () => {
  const core = await pageCore();
  const file = (await (await fetch("fixtures.json")).json()) as FixtureFile;
  return runFixtures(core, file);
});
