import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { beforeAll, describe, expect, it } from "vitest";
import { analysisPlan, analyzeNetworkTask, analyzeStudy } from "./study.js";
import { testCore } from "./testing/core.js";
import { SYNTHETIC_HIGH, syntheticStudy, withSyntheticSampler } from "./testing/synthetic.js";
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

  it("gives analyzeStudy's bytes when split into per-network tasks run on other wasm instances", async () => {
    const input = syntheticStudy(core, { seed: 2, perClass: 40 });
    const options = { ...OPTS, density: "in-sample" as const };
    const direct = analyzeStudy(core, input, options);
    const plan = analysisPlan(input, options);
    const { tasks } = plan;
    expect(tasks.map((t) => t.network.name)).toEqual(direct.networks.map((n) => n.name));
    // As a worker pool runs them: each on its own instance, inputs and outputs structured-cloned,
    // finishing in reverse order.
    const outputs = [];
    for (const t of [...tasks].reverse()) {
      const own = await createCore();
      outputs.unshift(structuredClone(analyzeNetworkTask(own, structuredClone(t))));
    }
    const assembled = plan.assemble(outputs);
    expect(JSON.stringify(assembled)).toBe(JSON.stringify(direct));
    expect(assembled).toEqual(direct);
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

describe("analyzeStudy with the sampler's uncertainty", () => {
  const base = () => syntheticStudy(core, { seed: 7, perClass: 30, examples: false, generative: false });
  const QUICK = { seed: 1, bootstrap: 100, dipSimulations: 300, samplerDraws: 200 };

  it("treats means without `sampler` as exact and says so, with no other-density view", () => {
    const a = analyzeStudy(core, base(), QUICK);
    for (const net of a.networks) {
      expect(net.split.noise).toBeNull();
      expect(net.other).toBeNull();
      expect(net.convergence).toEqual({ fits: 40, withSampler: 0, notConverged: 0, notConvergedFits: [] });
    }
    expect(a.warnings).toContain(
      "resnet: 40 of 40 fits carry no sampler uncertainty (made before it was measured): their class means are treated as exact",
    );
    expect(a.options.samplerDraws).toBe(200);
  });

  it("counts and lists the fits that did not converge, and warns once per network", () => {
    // Records 3 and 45: resnet/layer1 class 3 and convnet/layer1 class 5.
    const input = withSyntheticSampler(core, base(), { seed: 2, mcse: 0.3, notConverged: [3, 45, 47] });
    const a = analyzeStudy(core, input, QUICK);
    const [res, conv] = a.networks;
    expect(res?.convergence.fits).toBe(40);
    expect(res?.convergence.withSampler).toBe(40);
    expect(res?.convergence.notConverged).toBe(1);
    expect(res?.convergence.notConvergedFits[0]).toMatchObject({
      stage: "layer1",
      classIndex: 3,
      rhatLogJoint: 1.12,
      rhatClassMean: 1.08,
      essBulkClassMean: 210,
      converged: false,
    });
    expect(conv?.convergence.notConverged).toBe(2);
    expect(a.warnings).toContain(
      "convnet: 2 of 40 fits did not converge (R̂ ≥ 1.05 or bulk ESS < 400): the class means carry the MCSE shown",
    );
    expect(a.warnings.some((w) => w.includes("no sampler uncertainty"))).toBe(false);
    expect(res?.split.noise?.classesWithMcse).toBe(10);
    expect(res?.stageSummaries.at(-1)?.densityDifference?.lower).toBeLessThan(
      res?.stageSummaries.at(-1)?.densityDifference?.estimate ?? Number.NaN,
    );
  });

  it("adds the leave-one-out split and correlations only when every split-stage class has a LOO mean", () => {
    const none = analyzeStudy(core, withSyntheticSampler(core, base(), { seed: 2, mcse: 0.3 }), QUICK);
    expect(none.networks.map((n) => n.other)).toEqual([null, null]);
    const input = withSyntheticSampler(core, base(), { seed: 2, mcse: 0.3, looOffset: 5 });
    const a = analyzeStudy(core, input, QUICK);
    const res = a.networks[0];
    const loo = res?.other;
    if (res === undefined || loo === null || loo === undefined) throw new Error("LOO view expected");
    expect(loo.density).toBe("leave-one-out");
    expect(a.options.density).toBe("in-sample");
    expect(loo.stage).toBe("layer4");
    expect([...loo.split.gap.high].sort()).toEqual([...res.split.gap.high].sort());
    expect(loo.correlations.map((c) => c.variable)).toEqual(
      res.correlations.filter((c) => c.level === "class" && c.stage === "layer4").map((c) => c.variable),
    );
    expect(loo.agreement[0]).toMatchObject({ kind: "verdict", primary: res.split.verdict, other: loo.split.verdict });
    expect(loo.agreement.slice(1).map((x) => x.variable)).toEqual(loo.correlations.map((c) => c.variable));
    expect(loo.exampleCorrelations).toEqual([]);
    // With each example's LOO density the per-example findings are read on it as well: the same
    // variables over examples and bins, in that order, after the class-level rows.
    const withExamples = withSyntheticSampler(
      core,
      syntheticStudy(core, { seed: 7, perClass: 30, generative: false }),
      { seed: 2, mcse: 0.3, looOffset: 5 },
    );
    const plain = analyzeStudy(core, withExamples, QUICK).networks[0];
    expect(plain?.other?.agreement.filter((x) => x.level === "example")).toEqual([]);
    for (const t of withExamples.exampleTables ?? [])
      t.looLogDensity = Float64Array.from(t.logDensity, (v, i) => v - 5 + 0.01 * (i % 7));
    const b = analyzeStudy(core, withExamples, QUICK).networks[0]?.other;
    if (b === null || b === undefined) throw new Error("LOO view expected");
    const inSample = (level: string) =>
      (plain?.correlations ?? []).filter((c) => c.level === level && c.stage === "layer4");
    expect(inSample("example").length).toBeGreaterThan(0);
    expect(b.exampleCorrelations.map((c) => [c.level, c.variable])).toEqual(
      [...inSample("example"), ...inSample("bin")].map((c) => [c.level, c.variable]),
    );
    const rows = b.agreement.filter((x) => x.level === "example" || x.level === "bin");
    expect(rows.map((x) => [x.level, x.variable])).toEqual(
      [...inSample("example"), ...inSample("bin")].map((c) => [c.level, c.variable]),
    );
    // A shift of 5 nats per class and a tiny per-example wobble keep every per-example finding.
    expect(rows.every((x) => x.holds)).toBe(true);
    // One class without a LOO mean: no side-by-side at all.
    const partial = structuredClone(input);
    const last = partial.classes.find((c) => c.network === "resnet" && c.stage === "layer4");
    if (last?.sampler) last.sampler.looMean = null;
    expect(analyzeStudy(core, partial, QUICK).networks[0]?.other).toBeNull();
  });

  it("reads every finding on the leave-one-out density when asked, the in-sample one beside it", () => {
    const input = withSyntheticSampler(core, syntheticStudy(core, { seed: 7, perClass: 30, generative: false }), {
      seed: 2,
      mcse: 0.3,
      looOffset: 5,
    });
    for (const t of input.exampleTables ?? [])
      t.looLogDensity = Float64Array.from(t.logDensity, (v, i) => v - 5 + 0.3 * (((i * 7919) % 13) - 6));
    const ins = analyzeStudy(core, input, QUICK);
    const loo = analyzeStudy(core, input, { ...QUICK, density: "leave-one-out" });
    expect(loo.options.density).toBe("leave-one-out");
    for (const [ni, net] of loo.networks.entries()) {
      const other = net.other;
      const insOther = ins.networks[ni]?.other;
      if (other === null || insOther === null || insOther === undefined) throw new Error("both views expected");
      expect(other.density).toBe("in-sample");
      // Same streams in both directions: what one analysis reads, the other shows beside it.
      expect(net.split).toEqual(insOther.split);
      expect(other.split).toEqual(ins.networks[ni]?.split);
      const classAt = (a: typeof net) =>
        a.correlations.filter((c) => c.stage === a.splitStage && c.level === "class").map((c) => c.ci);
      expect(classAt(net)).toEqual(insOther.correlations.map((c) => c.ci));
      expect(other.exampleCorrelations.map((c) => c.ci)).toEqual(
        (ins.networks[ni]?.correlations ?? [])
          .filter((c) => c.stage === net.splitStage && c.level !== "class")
          .map((c) => c.ci),
      );
      expect(other.agreement.map((x) => [x.primary, x.other, x.holds])).toEqual(
        insOther.agreement.map((x) => [x.other, x.primary, x.holds]),
      );
      // Each class row names both means: the one read and the in-sample one it replaced.
      for (const c of net.classes.filter((c) => c.stage === net.splitStage)) {
        expect(c.meanLogDensity).toBe(c.sampler?.looMean);
        expect(c.sampler?.mcse).toBe(c.sampler?.looMcse);
        const given = input.classes.find(
          (r) => r.network === net.name && r.stage === c.stage && r.classIndex === c.classIndex,
        );
        expect(c.sampler?.inSampleMean).toBe(given?.meanLogDensity);
        expect(c.sampler?.inSampleMcse).toBe(given?.sampler?.mcse);
      }
    }
    // What it needs and lacks is named.
    const noMean = structuredClone(input);
    const r = noMean.classes.find((c) => c.network === "convnet" && c.stage === "conv4" && c.classIndex === 4);
    if (r?.sampler) r.sampler.looMean = null;
    expect(() => analyzeStudy(core, noMean, { ...QUICK, density: "leave-one-out" })).toThrow(
      /network "convnet", stage "conv4", class 4: density 'leave-one-out' needs every class's leave-one-out mean/,
    );
    const noExample = structuredClone(input);
    const t = noExample.exampleTables?.[1];
    if (t?.looLogDensity) (t.looLogDensity as Float64Array)[3] = Number.NaN;
    expect(() => analyzeStudy(core, noExample, { ...QUICK, density: "leave-one-out" })).toThrow(
      /examples\[1\] \(network "resnet", stage "[^"]+"\): density 'leave-one-out' needs a finite looLogDensity/,
    );
    expect(() => analyzeStudy(core, input, { ...QUICK, density: "cpo" as never })).toThrow(
      /density must be 'in-sample' or 'leave-one-out', got 'cpo'/,
    );
  });
});
