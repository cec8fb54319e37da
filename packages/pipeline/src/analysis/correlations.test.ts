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

describe("classCorrelations under sampler noise", () => {
  const noisy = (c: number) => Math.sin(c * 2.3) * 3 + c * 0.4;
  const rows = (mcse: number | null | undefined) =>
    Array.from({ length: 12 }, (_, c) =>
      rec(c, c * 0.8, {
        kl: { value: noisy(c) + c, se: 0 },
        compactness: 10 - c + noisy(c + 2),
        ...(mcse === undefined
          ? {}
          : {
              sampler: {
                mcse,
                replicateMeans: [],
                looMean: null,
                looMcse: null,
                looReplicateMeans: [],
                convergence: {
                  logJoint: { rhat: 1, essBulk: 1000, essTail: 1000 },
                  k: { rhat: 1, essBulk: 1000, essTail: 1000 },
                  alpha: { rhat: 1, essBulk: 1000, essTail: 1000 },
                  classMean: { rhat: 1, essBulk: 1000, essTail: 1000 },
                },
                converged: true,
              },
            }),
      }),
    );
  const width = (c: { ci: { lower: number; upper: number } } | undefined) =>
    (c?.ci.upper ?? Number.NaN) - (c?.ci.lower ?? Number.NaN);

  it("gives today's intervals exactly when every MCSE is 0, null or absent", () => {
    const today = classCorrelations("s", rows(undefined), streams(), BOOT);
    expect(classCorrelations("s", rows(0), streams(), BOOT)).toEqual(today);
    expect(classCorrelations("s", rows(null), streams(), BOOT)).toEqual(today);
  });

  it("widens the intervals as the MCSE grows and keeps the point estimates", () => {
    const at = (m: number | undefined) => classCorrelations("s", rows(m), streams(), BOOT).correlations;
    const [w0, w1, w2] = [at(undefined), at(1), at(4)];
    for (let v = 0; v < 2; v++) {
      expect(w1[v]?.ci.estimate).toBe(w0[v]?.ci.estimate);
      expect(w2[v]?.ci.estimate).toBe(w0[v]?.ci.estimate);
      expect(width(w1[v])).toBeGreaterThan(width(w0[v]));
      expect(width(w2[v])).toBeGreaterThan(width(w1[v]));
    }
  });
});
