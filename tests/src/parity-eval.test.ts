// Evaluation parity: the memorization protocol (tiny ResNets trained by the models' training
// loop) and CERTIFY / adaptive CERTIFY (noisy forward passes) give byte-identical artifacts in
// Node and in headless Chromium — same tfjs wasm binary, same wasm-core, same seeds.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { initBackend } from "@classfit/models/backend";
import { decodeCertification, decodeMemorization } from "@classfit/pipeline";
import { Core } from "@classfit/wasm-core";
import { loadCoreModule } from "@classfit/wasm-core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EvalFixture, type EvalOutput, runEvalScenario } from "../browser/eval-entry.js";
import { browserAvailability, collectOutputs, servePage, tfjsWasmFile } from "./browser.js";

const fixturePath = fileURLToPath(new URL("../fixtures/eval.json", import.meta.url));
const fixture = JSON.parse(readFileSync(fixturePath, "utf8")) as EvalFixture;

let nodeOutputs: EvalOutput[];
const bytesOf = (o: EvalOutput | undefined) => new Uint8Array(Buffer.from(o?.base64 ?? "", "base64"));

beforeAll(async () => {
  await initBackend();
  const core = await Core.instantiate(await loadCoreModule());
  nodeOutputs = await runEvalScenario(core, fixture);
}, 120_000);

describe("evaluation scenario in Node", () => {
  it("produces real artifacts: every model trained, every noisy pass counted", () => {
    const byName = new Map(nodeOutputs.map((o) => [o.name, o]));
    const mem = decodeMemorization(bytesOf(byName.get("memorization")));
    expect(byName.get("memorization")?.work).toBe(fixture.memorization.models);
    expect(mem.score.length).toBe(fixture.dataset.n);
    const c = fixture.certify;
    const cohen = decodeCertification(bytesOf(byName.get("certification-cohen")));
    expect(Array.from(cohen.columns.index)).toEqual(c.examples);
    expect(byName.get("certification-cohen")?.work).toBe(c.examples.length * (c.n0 + c.n));
    const adaptive = decodeCertification(bytesOf(byName.get("certification-adaptive")));
    expect(Array.from(adaptive.columns.top)).toEqual(Array.from(cohen.columns.top));
    // The passes ran on classfit's own kernels (src/noisy/native.ts), not on tfjs ops.
    expect(byName.get("certification-cohen")?.executor).toBe("native");
  });
});

const availability = browserAvailability();
if (!availability.available) console.log(`SKIP browser evaluation parity: ${availability.reason}`);

describe.skipIf(!availability.available)("evaluation parity: Node vs Chromium", () => {
  let browserOutputs: EvalOutput[];
  let closeSite: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const site = await servePage(new URL("../browser/eval-entry.ts", import.meta.url), [
      tfjsWasmFile(),
      ["eval.json", JSON.stringify(fixture)],
    ]);
    closeSite = site.close;
    browserOutputs = await collectOutputs<EvalOutput>(site, "__classfitEvalParity", "evaluation scenario");
  }, 180_000);

  afterAll(async () => {
    await closeSite?.();
  });

  it.each(["memorization", "certification-cohen", "certification-adaptive"])(
    "%s: Chromium artifact bytes equal Node's",
    (name) => {
      const n = nodeOutputs.find((o) => o.name === name);
      const b = browserOutputs.find((o) => o.name === name);
      expect(n).toBeDefined();
      expect(b).toBeDefined();
      expect(bytesOf(n).length).toBeGreaterThan(0);
      expect(Buffer.from(bytesOf(b)).equals(Buffer.from(bytesOf(n)))).toBe(true);
      expect(b?.work).toBe(n?.work);
      expect(b?.executor).toBe(n?.executor);
    },
  );
});
