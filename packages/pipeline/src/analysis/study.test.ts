import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeStudy } from "./study.js";
import { testCore } from "./testing/core.js";
import { SYNTHETIC_HIGH, syntheticStudy } from "./testing/synthetic.js";
import { StudyInputError } from "./types.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

const OPTS = { seed: 42, bootstrap: 200, bins: 10, dipSimulations: 2000 };

describe("analyzeStudy on a synthetic two-network study", () => {
  it("finds the split in the ResNet-like network and none in the ConvNet-like one", () => {
    const input = syntheticStudy(core, { seed: 1, perClass: 120 });
    const a = analyzeStudy(core, input, OPTS);
    const [res, conv] = a.networks;
    if (res === undefined || conv === undefined) throw new Error("two networks expected");
    expect(res.splitStage).toBe("layer4");
    expect([...res.split.gap.high].sort()).toEqual(SYNTHETIC_HIGH);
    expect(res.split.mixture?.deltaBic).toBeGreaterThan(6);
    expect(res.split.dip?.pValue).toBeLessThan(0.05);
    expect(res.split.verdict).toBe("two-groups");
    expect(conv.split.verdict).not.toBe("two-groups");
    // The split emerges with depth: the first stage shows no strong BIC evidence.
    expect(res.stageSummaries[0]?.deltaBic).toBeLessThan(6);
    // High-density classes are more complex and more memorized in the ResNet-like case.
    const last = res.stageSummaries.at(-1);
    expect(last?.groups.high.kl).toBeGreaterThan(last?.groups.low.kl ?? Number.POSITIVE_INFINITY);
    const klCorr = res.correlations.find((c) => c.level === "class" && c.variable === "kl" && c.stage === "layer4");
    expect(klCorr?.ci.estimate).toBeGreaterThan(0.5);
    expect(klCorr?.ci.lower).toBeLessThanOrEqual(klCorr?.ci.estimate ?? 0);
    const memEx = res.correlations.find((c) => c.level === "example" && c.variable === "memorization");
    expect(memEx?.ci.lower).toBeGreaterThan(0);
    expect(memEx?.ci.n).toBe(1200);
    // Density bins: equal sizes, increasing log-density, certified curves per group.
    const bins = res.densityBins[0]?.bins ?? [];
    expect(bins.map((b) => b.n)).toEqual(Array(10).fill(120));
    for (let b = 1; b < bins.length; b++)
      expect(bins[b]?.logDensityMin).toBeGreaterThanOrEqual(bins[b - 1]?.logDensityMax ?? 0);
    expect(bins.at(-1)?.fractionHighClasses).toBeGreaterThan(bins[0]?.fractionHighClasses ?? 1);
    expect(res.certifiedCurves.map((c) => c.group)).toEqual(["high", "low"]);
    expect(res.certifiedCurves[0]?.points[0]?.radius).toBe(0);
    // Generative classification: confusion rows sum to the class sizes.
    const gen = res.generative.at(-1);
    expect(gen?.confusion.map((r) => r.reduce((x, y) => x + y, 0))).toEqual(Array(10).fill(120));
    expect(gen?.accuracy).toBeGreaterThan(0.5);
  });

  it("is a pure function of (input, seed)", () => {
    const input = syntheticStudy(core, { seed: 2, perClass: 40 });
    const a = JSON.stringify(analyzeStudy(core, input, OPTS));
    const b = JSON.stringify(analyzeStudy(core, input, OPTS));
    expect(a).toBe(b);
    const c = JSON.stringify(analyzeStudy(core, input, { ...OPTS, seed: 43 }));
    expect(c).not.toBe(a);
  });

  it("reads row-form example records exactly like column tables", () => {
    const input = syntheticStudy(core, { seed: 5, perClass: 30, generative: false });
    const rows = (input.exampleTables ?? []).flatMap((t) =>
      Array.from(t.logDensity, (ld, i) => ({
        network: t.network,
        stage: t.stage,
        index: t.index[i] as number,
        label: t.label[i] as number,
        logDensity: ld,
        memorization: t.memorization?.[i] as number,
        certifiedRadius: t.certifiedRadius?.[i] as number,
        correct: t.correct?.[i] === 1,
        abstained: t.abstained?.[i] === 1,
      })),
    );
    const fromTables = analyzeStudy(core, input, OPTS);
    const fromRows = analyzeStudy(core, { ...input, exampleTables: undefined, examples: rows }, OPTS);
    expect(JSON.stringify(fromRows)).toBe(JSON.stringify(fromTables));
  });

  it("reports bad input with the table, row and field", () => {
    const input = syntheticStudy(core, { seed: 3, perClass: 20, examples: false, generative: false });
    const bad = structuredClone(input);
    (bad.classes[7] as { meanLogDensity: number }).meanLogDensity = Number.NaN;
    expect(() => analyzeStudy(core, bad, OPTS)).toThrow(StudyInputError);
    expect(() => analyzeStudy(core, bad, OPTS)).toThrow(/classes\[7\].*meanLogDensity/);
    const dup = structuredClone(input);
    dup.classes.push({ ...(dup.classes[0] as (typeof dup.classes)[0]) });
    expect(() => analyzeStudy(core, dup, OPTS)).toThrow(/duplicate record/);
    const ex = syntheticStudy(core, { seed: 3, perClass: 20, generative: false });
    const t = ex.exampleTables?.[0];
    if (t === undefined) throw new Error("table expected");
    t.label = Array.from(t.label, (l, i) => (i === 5 ? 12 : l));
    expect(() => analyzeStudy(core, ex, OPTS)).toThrow(/label\[5\] = 12/);
    expect(() => analyzeStudy(core, input, { ...OPTS, splitStage: { resnet: "layer9" } })).toThrow(/layer9/);
  });
});
