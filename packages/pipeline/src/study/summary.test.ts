import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeStudy } from "../analysis/study.js";
import { testCore } from "../analysis/testing/core.js";
import { syntheticStudy, withSyntheticSampler } from "../analysis/testing/synthetic.js";
import type { RunManifest } from "./run.js";
import { formatSummary, summarizeStudy } from "./summary.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

const manifest = {
  status: "complete",
  name: "s",
  profile: "quick",
  seconds: 1,
  stepsComputed: 1,
  stepsReused: 0,
} as unknown as RunManifest;
const OPTS = { seed: 5, bootstrap: 50, dipSimulations: 200, samplerDraws: 200 };

describe("summarizeStudy / formatSummary with the sampler's uncertainty", () => {
  it("names a gap within sampler noise, the MCSE of each class mean, convergence and the LOO view", () => {
    const base = syntheticStudy(core, { seed: 4, perClass: 30, examples: false, generative: false });
    const input = withSyntheticSampler(core, base, { seed: 3, mcse: 20, looOffset: 4, notConverged: [3] });
    const s = summarizeStudy(manifest, analyzeStudy(core, input, OPTS));
    const res = s.networks[0];
    expect(res?.verdict).toBe("within-noise");
    expect(res?.testVerdict).toBe("two-groups");
    expect(res?.classMeans?.length).toBe(10);
    expect(res?.classMeans?.[0]?.mcse).toBe(20);
    expect(res?.convergence).toEqual({ fits: 40, withSampler: 40, notConverged: 1 });
    expect(res?.density).toBe("in-sample");
    expect(res?.other?.density).toBe("leave-one-out");
    expect(res?.other?.of).toBeGreaterThan(1);
    const text = formatSummary(s).join("\n");
    expect(text).toContain("gap within sampler noise (the tests alone: TWO groups of classes)");
    expect(text).toContain("— within sampler noise");
    expect(text).toContain("± 20.00");
    expect(text).toContain("1 of 40 fits did not converge");
    expect(text).toContain("leave-one-out density (not the paper's quantity)");
    expect(text).not.toContain("start gap");
    expect(res?.classMeans?.some((c) => "startGap" in c)).toBe(false);
    // Chains started from both sides of K: each class mean with its start gap.
    for (const c of input.classes) if (c.sampler) c.sampler.startGap = -3;
    const g = summarizeStudy(manifest, analyzeStudy(core, input, OPTS));
    expect(g.networks[0]?.classMeans?.every((c) => c.startGap === -3)).toBe(true);
    expect(formatSummary(g).join("\n")).toContain("(start gap -3.00)");
    // Read on the leave-one-out density: its class means, the in-sample view beside them.
    const l = summarizeStudy(manifest, analyzeStudy(core, input, { ...OPTS, density: "leave-one-out" }));
    expect(l.networks[0]?.density).toBe("leave-one-out");
    expect(l.networks[0]?.other?.density).toBe("in-sample");
    const lt = formatSummary(l).join("\n");
    expect(lt).toContain("leave-one-out class means ± MCSE");
    expect(lt).toContain("in-sample density (the paper's quantity)");
    // A summary stored before `other` existed still prints its leave-one-out line.
    const stored = structuredClone(s);
    for (const n of stored.networks) {
      n.loo = n.other ? { verdict: n.other.verdict, holds: n.other.holds, of: n.other.of } : null;
      delete n.other;
      delete n.density;
    }
    expect(formatSummary(stored)).toEqual(formatSummary(s));
  });

  it("keeps the old lines for fits without sampler blocks and reads a stored analysis that predates them", () => {
    const base = syntheticStudy(core, { seed: 4, perClass: 30, examples: false, generative: false });
    const a = analyzeStudy(core, base, OPTS);
    const s = summarizeStudy(manifest, a);
    expect(s.networks[0]?.samplerNoise).toBeNull();
    expect(formatSummary(s).join("\n")).not.toContain("sampler noise");
    // An analysis stored before the sampler fields existed.
    const old = structuredClone(a);
    for (const n of old.networks) {
      const legacy = n as unknown as Record<string, unknown>;
      delete legacy.convergence;
      delete legacy.loo;
      const split = n.split as unknown as Record<string, unknown>;
      delete split.noise;
      delete split.testVerdict;
    }
    const t = summarizeStudy(manifest, old);
    expect(t.networks[0]?.verdict).toBe(a.networks[0]?.split.verdict);
    expect(t.networks[0]?.samplerNoise).toBeNull();
    expect(formatSummary(t).length).toBe(formatSummary(s).length);
  });

  it("names no high- and low-density groups when no split is supported, only what the largest gap separates", () => {
    const base = syntheticStudy(core, { seed: 4, perClass: 30, examples: false, generative: false });
    const s = summarizeStudy(manifest, analyzeStudy(core, base, OPTS));
    const two = s.networks.find((n) => n.verdict === "two-groups");
    const one = { ...(two ?? (s.networks[0] as (typeof s.networks)[number])), verdict: "one-group" as const };
    const text = formatSummary({ ...s, networks: [one] }).join("\n");
    expect(text).toContain(`above the largest gap: ${one.highClasses.join(", ")} (no split supported)`);
    expect(text).not.toContain("high-density:");
    if (two) expect(formatSummary({ ...s, networks: [two] }).join("\n")).toContain("high-density:");
  });
});
