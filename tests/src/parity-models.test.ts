// Models parity: the same seeded networks (all four architectures, one trained for an epoch)
// give bitwise-identical pooled stage activations and logits in Node and in headless Chromium —
// the same tfjs wasm binary (SIMD, one thread), the same classfit kernels, the same wasm-core.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { initBackend } from "@classfit/models/backend";
import { Core } from "@classfit/wasm-core";
import { loadCoreModule } from "@classfit/wasm-core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ModelsFixtureFile,
  type ModelsOutput,
  runModelFixtures,
  type ShippedReader,
} from "../browser/models-entry.js";
import { browserAvailability, collectOutputs, servePage, tfjsWasmFile } from "./browser.js";

const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL("../fixtures/models.json", import.meta.url)), "utf8"),
) as ModelsFixtureFile;
const bytesOf = (o: ModelsOutput | undefined) => Buffer.from(o?.base64 ?? "", "base64");

let nodeOutputs: ModelsOutput[];
const shippedDir = (name: string) =>
  fileURLToPath(new URL(`../../packages/models/assets/models/${name}/`, import.meta.url));
const readShipped: ShippedReader = async (name) => ({
  modelJson: readFileSync(`${shippedDir(name)}model.json`, "utf8"),
  weights: new Uint8Array(readFileSync(`${shippedDir(name)}weights.bin`)),
  manifest: readFileSync(`${shippedDir(name)}manifest.json`, "utf8"),
});

beforeAll(async () => {
  await initBackend();
  const core = await Core.instantiate(await loadCoreModule());
  nodeOutputs = await runModelFixtures(core, fixture, readShipped);
}, 120_000);

describe("models fixtures in Node", () => {
  it("every case yields finite, non-constant activations of the expected size", () => {
    expect(nodeOutputs.map((o) => o.name)).toEqual(fixture.cases.map((c) => c.name));
    for (const c of fixture.cases) {
      const o = nodeOutputs.find((x) => x.name === c.name) as ModelsOutput;
      const floats = new Float32Array(new Uint8Array(bytesOf(o)).buffer);
      const width = o.stages.reduce((s, st) => s + st.channels, 0) + c.input.numClasses;
      expect(floats.length).toBe(c.n * width);
      expect(floats.every(Number.isFinite)).toBe(true);
      expect(new Set(floats).size).toBeGreaterThan(c.n);
    }
  });
});

const availability = browserAvailability();
if (!availability.available) console.log(`SKIP browser models parity: ${availability.reason}`);

describe.skipIf(!availability.available)("models parity: Node vs Chromium", () => {
  let browserOutputs: ModelsOutput[];
  let closeSite: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const site = await servePage(new URL("../browser/models-entry.ts", import.meta.url), [
      tfjsWasmFile(),
      ["models.json", JSON.stringify(fixture)],
      ...fixture.cases.flatMap((c) =>
        c.shipped
          ? ["model.json", "weights.bin", "manifest.json"].map(
              (f) =>
                [`shipped/${c.shipped}/${f}`, readFileSync(`${shippedDir(c.shipped as string)}${f}`)] as [
                  string,
                  Uint8Array,
                ],
            )
          : [],
      ),
    ]);
    closeSite = site.close;
    browserOutputs = await collectOutputs<ModelsOutput>(site, "__classfitModelsParity", "models fixtures");
  }, 180_000);

  afterAll(async () => {
    await closeSite?.();
  });

  it.each(fixture.cases.map((c) => c.name))(
    "%s: Chromium stage activations and logits equal Node's bit for bit",
    (name) => {
      const n = nodeOutputs.find((o) => o.name === name);
      const b = browserOutputs.find((o) => o.name === name);
      expect(b?.stages).toEqual(n?.stages);
      expect(bytesOf(n).length).toBeGreaterThan(0);
      expect(bytesOf(b).equals(bytesOf(n))).toBe(true);
      console.log(
        `parity ${name}: ${bytesOf(n).length} bytes identical, sha256 ${createHash("sha256").update(bytesOf(n)).digest("hex").slice(0, 16)}…`,
      );
    },
  );
});
