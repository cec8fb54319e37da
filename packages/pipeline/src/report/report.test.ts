import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeStudy, type StudyAnalysis } from "../analysis/study.js";
import { testCore } from "../analysis/testing/core.js";
import { syntheticStudy, withSyntheticSampler } from "../analysis/testing/synthetic.js";
import { fmt } from "./format.js";
import { postProcessSvg, renderReport } from "./index.js";

let core: Core;
let analysis: StudyAnalysis;
beforeAll(async () => {
  core = await testCore();
  analysis = analyzeStudy(core, syntheticStudy(core, { seed: 4, perClass: 60 }), {
    seed: 5,
    bootstrap: 100,
    dipSimulations: 500,
  });
});

describe("postProcessSvg", () => {
  it("prefixes ids with their references and turns aria-labels into <title> tooltips", () => {
    const svg =
      '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><path aria-label="Bag &lt;x&gt;" d="M0"/><g aria-label="axis"><line/></g></g></svg>';
    const out = postProcessSvg(svg, "fig-a");
    expect(out).toContain('id="fig-a-1"');
    expect(out).toContain('clip-path="url(#fig-a-1)"');
    expect(out).toContain('<path aria-label="Bag &lt;x&gt;" d="M0"><title>Bag &lt;x&gt;</title></path>');
    expect(out).toContain('<g aria-label="axis"><line/></g>'); // groups keep no extra title
  });
});

describe("renderReport", () => {
  it("builds a self-contained page with every figure, hover titles and the summary's numbers", async () => {
    const r = await renderReport(analysis, { title: "Test <report>", synthetic: true });
    const names = Object.keys(r.figures);
    expect(names).toEqual([
      "log-density-distributions",
      "class-means-by-stage",
      "kl-vs-density",
      "compactness-vs-density",
      "memorization-vs-density",
      "certified-accuracy-vs-radius",
      "certified-radius-across-density-bins",
      "rhat-and-k",
      "generative-confusion",
    ]);
    // Offline: no scripts, stylesheets, fonts or remote URLs (SVG namespaces are not fetched).
    expect(r.html).not.toMatch(/<script|<link|@import|@font-face/i);
    const urls = r.html.match(/(?:src|href)="(?!#|data:)[^"]*"/g) ?? [];
    expect(urls).toEqual([]);
    expect(r.html).toContain("<title>Test &lt;report&gt;</title>");
    expect(r.html).toContain("Synthetic input");
    for (const [name, svg] of Object.entries(r.figures)) {
      expect(svg.startsWith("<svg")).toBe(true);
      expect(r.html).toContain(svg);
      expect(svg, name).toContain("<title>");
    }
    expect(r.figures["kl-vs-density"]).toContain("Trouser");
    // Ids are unique across the inlined figures.
    const ids = [...r.html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    // The summary states the split evidence with the analysis' numbers.
    const res = analysis.networks[0];
    if (res === undefined) throw new Error("network expected");
    expect(r.html).toContain(`ΔBIC = ${fmt(res.split.mixture?.deltaBic)}`);
    expect(r.html).toContain(`<b>${fmt(res.split.gap.gap)} nats</b>`);
    expect(r.html).toContain("two groups of classes");
    expect(r.html).toContain("no split");
  });

  it("emits tables as CSV and JSON with one row per record", async () => {
    const r = await renderReport(analysis);
    const cs = r.tables["class-stage"];
    if (cs === undefined) throw new Error("class-stage table expected");
    const lines = cs.csv.trimEnd().split("\r\n");
    expect(lines[0]?.split(",").slice(0, 5)).toEqual(["network", "stage", "classIndex", "className", "group"]);
    expect(lines.length - 1).toBe(80); // 2 networks × 4 stages × 10 classes
    expect(cs.json.length).toBe(80);
    expect(cs.json[0]?.className).toBe("T-shirt/top");
    expect(lines[1]).toContain("T-shirt/top");
    const corr = r.tables.correlations?.json ?? [];
    expect(corr.some((row) => row.level === "example" && row.variable === "memorization")).toBe(true);
    expect(r.html).not.toContain("Synthetic input");
  });

  it("renders what a minimal input allows: one network, density summaries only", async () => {
    const full = syntheticStudy(core, { seed: 6, perClass: 20, examples: false, generative: false });
    const classes = full.classes
      .filter((c) => c.network === "resnet")
      .map(({ network, stage, classIndex, className, n, meanLogDensity, varLogDensity }) => ({
        network,
        stage,
        classIndex,
        className,
        n,
        meanLogDensity,
        varLogDensity,
      }));
    const a = analyzeStudy(core, { classes }, { seed: 1, bootstrap: 20, dipSimulations: 100 });
    const r = await renderReport(a);
    expect(Object.keys(r.figures)).toEqual(["log-density-distributions", "class-means-by-stage"]);
    expect(r.html).toContain("mean ± 1 sd");
    expect(r.html).not.toContain("Side by side");
    expect(r.tables.correlations?.json).toEqual([]);
  });

  it("shows no groups in the side-by-side table or the group means when no split is supported", async () => {
    const one = structuredClone(analysis);
    for (const n of one.networks) n.split.verdict = "one-group";
    const r = await renderReport(one);
    expect(r.html).toContain("none (largest gap: ");
    expect(r.html).toContain("above vs below the largest gap (no split supported)");
    expect(r.html).not.toContain("group means <span");
  });

  it("is deterministic", async () => {
    const a = await renderReport(analysis, { generated: "fixed" });
    const b = await renderReport(analysis, { generated: "fixed" });
    expect(a.html).toBe(b.html);
  });
});

describe("renderReport with the sampler's uncertainty", () => {
  it("shows MCSE bars, the gap's z, 'within sampler noise', the convergence table and the LOO table", async () => {
    const base = syntheticStudy(core, { seed: 4, perClass: 30, examples: false, generative: false });
    // MCSE 20 nats against a ~35-nat gap: the tests see two groups, the sampler does not.
    const input = withSyntheticSampler(core, base, { seed: 3, mcse: 20, looOffset: 4, notConverged: [3, 5] });
    const a = analyzeStudy(core, input, { seed: 5, bootstrap: 50, dipSimulations: 200, samplerDraws: 200 });
    const res = a.networks[0];
    expect(res?.split.testVerdict).toBe("two-groups");
    expect(res?.split.verdict).toBe("within-noise");
    const r = await renderReport(a);
    expect(r.html).toContain("within sampler noise");
    expect(r.html).toContain(`<b>${fmt(res?.split.noise?.gapZ, 3)}</b>`);
    expect(r.html).toContain("2 of 40 fits did not converge");
    expect(r.html).toContain("Convergence of every fit");
    expect(r.html).toContain("Both densities: in-sample (the paper&#39;s) and leave-one-out");
    expect(r.html).toContain("On the leave-one-out density (not the paper's quantity)");
    const conv = r.tables.convergence?.json ?? [];
    expect(conv.length).toBe(80); // every fit, both networks
    expect(conv.filter((row) => row.converged === "no").map((row) => [row.network, row.stage, row.classIndex])).toEqual(
      [
        ["resnet", "layer1", 3],
        ["resnet", "layer1", 5],
      ],
    );
    expect(r.tables.convergence?.csv.split("\r\n")[0]).toBe(
      "network,stage,classIndex,className,rhatLogJoint,rhatK,rhatAlpha,rhatClassMean,essBulkClassMean,essTailClassMean,mcse,converged",
    );
    const both = r.tables["density-agreement"]?.json ?? [];
    expect(both[0]).toMatchObject({
      network: "resnet",
      conclusion: "verdict",
      read: "in-sample",
      inSample: "within-noise",
    });
    // Read on the leave-one-out density, the same table holds the same rows in the same columns:
    // it names each density's conclusions, whichever the analysis reads.
    const l = await renderReport(
      analyzeStudy(core, input, {
        seed: 5,
        bootstrap: 50,
        dipSimulations: 200,
        samplerDraws: 200,
        density: "leave-one-out",
      }),
    );
    const flip = l.tables["density-agreement"]?.json ?? [];
    expect(flip.map((x) => ({ ...x, read: "in-sample" }))).toEqual(both);
    expect(flip[0]?.read).toBe("leave-one-out");
    expect(l.html).toContain("leave-one-out class mean log-density ± MCSE");
    expect(l.html).toContain("On the in-sample density (the paper's quantity)");
    expect(l.html).toContain("Class density: mean leave-one-out log-density");
    expect(r.html).not.toContain("Class density: mean leave-one-out log-density");
    const cls = (t: typeof r) => t.tables["class-stage"]?.json.find((x) => x.stage === "layer4" && x.classIndex === 2);
    expect(cls(l)?.meanLogDensity).toBe(cls(r)?.looMean);
    expect(cls(l)?.inSampleMean).toBe(cls(r)?.meanLogDensity);
    expect(cls(l)?.inSampleMcse).toBe(cls(r)?.inSampleMcse);
    expect(r.tables["split-stability"]?.json.length).toBe(20);
    // Bars and replicate dots on the class-mean figure; the caption says what they are.
    expect(r.html).toContain("± 2 Monte Carlo standard errors of the class mean");
    expect(r.figures["class-means-by-stage"]).toContain("replicate 1");
  });

  it("adds a start-gap column and sentence only when chains started from both sides of K", async () => {
    const base = syntheticStudy(core, { seed: 4, perClass: 30, examples: false, generative: false });
    const input = withSyntheticSampler(core, base, { seed: 3, mcse: 0.5, looOffset: 4 });
    const plain = await renderReport(analyzeStudy(core, input, { seed: 5, bootstrap: 20, dipSimulations: 100 }));
    expect(plain.tables.convergence?.csv.split("\r\n")[0]).not.toContain("startGap");
    expect(plain.html).not.toContain("instead of K0");
    const gapped = structuredClone(input);
    for (const c of gapped.classes)
      if (c.sampler) c.sampler.startGap = c.classIndex === 6 ? -12.5 : -1 - c.classIndex / 10;
    const r = await renderReport(analyzeStudy(core, gapped, { seed: 5, bootstrap: 20, dipSimulations: 100 }));
    expect(r.tables.convergence?.csv.split("\r\n")[0]).toContain(",mcse,startGap,converged");
    expect(r.tables.convergence?.json.find((row) => row.classIndex === 6)?.startGap).toBe(-12.5);
    expect(r.html).toContain("differ by up to <b>12.5 nats</b>");
    expect(r.html).toContain("draws of every class mean within its error,");
    expect(plain.html).toContain("draws of every class mean within its MCSE,");
  });

  it("says the means are read as exact where the fits carry no sampler block", async () => {
    const r = await renderReport(analysis);
    expect(r.html).toContain("carry no sampler uncertainty");
    expect(r.html).not.toContain("Convergence of every fit");
    expect(r.html).not.toContain("Leave-one-out density");
  });
});
