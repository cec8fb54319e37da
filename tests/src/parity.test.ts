// Golden fixtures for classfit-core, executed in Node and in headless Chromium against the
// same built .wasm, compared byte for byte with each other and with the committed goldens.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Core } from "@classfit/wasm-core";
import { loadCoreModule } from "@classfit/wasm-core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailability, collectOutputs, servePage } from "./browser.js";
import { type FixtureFile, type FixtureOutput, runFixtures } from "./ops.js";

const fixturesPath = fileURLToPath(new URL("../fixtures/core.json", import.meta.url));
const goldenPath = fileURLToPath(new URL("../fixtures/core.golden.json", import.meta.url));
const fixtures = JSON.parse(readFileSync(fixturesPath, "utf8")) as FixtureFile;

let nodeOutputs: FixtureOutput[];

beforeAll(async () => {
  const core = await Core.instantiate(await loadCoreModule());
  nodeOutputs = await runFixtures(core, fixtures);
});

describe("classfit-core golden fixtures in Node", () => {
  it("match the committed golden hashes", () => {
    const actual = Object.fromEntries(nodeOutputs.map((o) => [o.name, o.sha256]));
    if (process.env.CLASSFIT_UPDATE_GOLDEN === "1") {
      writeFileSync(goldenPath, `${JSON.stringify(actual, null, 2)}\n`);
    }
    const golden = JSON.parse(readFileSync(goldenPath, "utf8")) as Record<string, string>;
    expect(actual).toEqual(golden);
    // Non-trivial outputs: every case produced bytes, and no two cases collided.
    expect(new Set(Object.values(actual)).size).toBe(fixtures.cases.length);
  });
});

const availability = browserAvailability();
if (!availability.available) {
  console.log(`SKIP browser parity: ${availability.reason}`);
}

describe.skipIf(!availability.available)("classfit-core parity: Node vs Chromium", () => {
  let browserOutputs: FixtureOutput[];
  let closeSite: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const site = await servePage(new URL("../browser/entry.ts", import.meta.url), [
      ["fixtures.json", JSON.stringify(fixtures)],
    ]);
    closeSite = site.close;
    browserOutputs = await collectOutputs<FixtureOutput>(site, "__classfitParity", "fixtures");
  });

  afterAll(async () => {
    await closeSite?.();
  });

  it("ran every fixture in the page", () => {
    expect(browserOutputs.map((o) => o.name)).toEqual(fixtures.cases.map((c) => c.name));
  });

  it.each(fixtures.cases.map((c) => c.name))("%s: Chromium bytes equal Node bytes", (name) => {
    const n = nodeOutputs.find((o) => o.name === name);
    const b = browserOutputs.find((o) => o.name === name);
    expect(n).toBeDefined();
    expect(b).toBeDefined();
    // Full byte comparison, not just the digests.
    expect(Buffer.from(b?.base64 ?? "", "base64").equals(Buffer.from(n?.base64 ?? "", "base64"))).toBe(true);
    expect(b?.sha256).toBe(n?.sha256);
    expect(Buffer.from(n?.base64 ?? "", "base64").length).toBeGreaterThan(0);
    console.log(
      `parity ${name}: ${Buffer.from(n?.base64 ?? "", "base64").length} bytes identical, sha256 ${n?.sha256.slice(0, 16)}…`,
    );
  });
});
