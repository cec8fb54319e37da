import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { classCorrelations } from "./correlations.js";
import { testCore } from "./testing/core.js";
import type { ClassStageRecord } from "./types.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

const streams = () => ({ core, seed: 3, network: 1, stage: 2 });
const BOOT = { replicates: 200, level: 0.9 };

function rec(classIndex: number, meanLogDensity: number, extra: Partial<ClassStageRecord>): ClassStageRecord {
  return { network: "n", stage: "s", classIndex, className: "", n: 10, meanLogDensity, varLogDensity: 1, ...extra };
}

describe("classCorrelations", () => {
  it("gives ρ = 1 and −1 for perfectly ranked variables, with intervals over classes", () => {
    // KL rises with density (non-linearly), compactness falls.
    const rows = [3, -1, 7, 0, 12, 5].map((m, c) =>
      rec(c, m, { kl: { value: Math.exp(m / 4), se: 0 }, compactness: 20 - m }),
    );
    const { correlations, partial } = classCorrelations("s", rows, streams(), BOOT);
    expect(partial).toEqual([]);
    expect(correlations.map((c) => c.variable)).toEqual(["kl", "compactness"]);
    const [kl, comp] = correlations;
    expect(kl?.ci.estimate).toBe(1);
    expect(kl?.ci.lower).toBe(1);
    expect(kl?.ci).toMatchObject({ n: 6, replicates: 200, level: 0.9, unit: "classes" });
    expect(comp?.ci.estimate).toBe(-1);
    expect(comp).toMatchObject({ stage: "s", level: "class" });
  });

  it("correlates over the classes that have a variable, reports the others, and skips below 3", () => {
    const rows = [0, 1, 2, 3].map((m, c) =>
      rec(c, m, { meanMemorization: c === 2 ? undefined : m, compactness: c < 2 ? m : undefined }),
    );
    const { correlations, partial } = classCorrelations("s", rows, streams(), BOOT);
    expect(correlations.map((c) => [c.variable, c.ci.n])).toEqual([["meanMemorization", 3]]);
    expect(partial).toEqual([{ variable: "meanMemorization", missing: 1 }]);
  });

  it("draws each variable from its own stream, so removing one leaves the others' intervals alone", () => {
    const noisy = (c: number) => Math.sin(c * 2.3) * 3 + c * 0.4;
    const rows = Array.from({ length: 12 }, (_, c) =>
      rec(c, c, { kl: { value: noisy(c), se: 0 }, meanMemorization: noisy(c + 5) }),
    );
    const both = classCorrelations("s", rows, streams(), BOOT).correlations;
    const memOnly = classCorrelations(
      "s",
      rows.map(({ kl: _kl, ...r }) => r),
      streams(),
      BOOT,
    ).correlations;
    expect(memOnly[0]).toEqual(both[1]);
  });
});
