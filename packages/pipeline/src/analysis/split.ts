// The high/low-density split of one stage's class means and the evidence that the means form two
// groups: the largest gap, 1 vs 2 Gaussians by BIC, and Hartigan's dip test; and, where the
// means carry their sampler MCSE (METHOD.md §12), whether the gap stands out of that noise.

import {
  compareMixtures,
  type DipTest,
  dipTest,
  type GapSplit,
  gapSplit,
  type MixtureComparison,
} from "./bimodality.js";
import { type SplitNoise, samplerSe, splitNoise, type WithSampler } from "./noise.js";
import { type StageStreams, withStream } from "./streams.js";
import type { ClassStageRecord } from "./types.js";

export type Group = "high" | "low";

/** What the two bimodality tests say on their own. */
export type TestVerdict = "two-groups" | "one-group" | "mixed";

/** The tests' verdict, or "within-noise" where they see two groups (or mixed evidence) but the
 * gap is within the sampler's noise of the class means. */
export type Verdict = TestVerdict | "within-noise";

/** Evidence that the class means form two groups. */
export interface SplitEvidence {
  stage: string;
  /** Gap split over the class means; high/low hold class indices. */
  gap: Omit<GapSplit, "high" | "low"> & { high: number[]; low: number[] };
  /** null with fewer than 3 classes or constant means. */
  mixture: MixtureComparison | null;
  dip: DipTest | null;
  /**
   * "two-groups": ΔBIC > 6 (strong, Kass & Raftery 1995) and dip p < 0.05; "one-group": neither;
   * "mixed": one of the two; "within-noise": two-groups or mixed by the tests, but
   * `noise.withinNoise` (the gap's |z| < 1.96 or the high group changes in > 5% of draws).
   */
  verdict: Verdict;
  /** The two tests' verdict alone, before the sampler noise is considered. */
  testVerdict: TestVerdict;
  /** The split under the class means' sampler MCSE; null when no class carries `sampler`
   * (fits made before it was measured: the means are then taken as exact). */
  noise: SplitNoise | null;
}

/** One row of the class table, with the density group from the split stage. */
export interface ClassRow extends ClassStageRecord {
  group: Group;
}

/** One class's mean log-density at one stage, with its sampler MCSE where measured. */
export interface ClassMean extends WithSampler {
  classIndex: number;
  meanLogDensity: number;
}

/** The verdict from the two tests' results (null = test not run, counts as no evidence). */
export function splitVerdict(mixture: MixtureComparison | null, dip: DipTest | null): TestVerdict {
  const bic = mixture !== null && mixture.deltaBic > 6;
  const dipSig = dip !== null && dip.pValue < 0.05;
  return bic && dipSig ? "two-groups" : bic || dipSig ? "mixed" : "one-group";
}

/**
 * Split evidence over the class means of one stage. The dip test draws its simulated uniform
 * samples from the stage's "dip" stream; the mixture and dip tests need 3 distinct means. The
 * tests read the point means (unchanged by the MCSE); the noise view draws `samplerDraws`
 * sets of means from the "splitNoise" stream.
 */
export function splitEvidence(
  stage: string,
  classes: readonly ClassMean[],
  streams: StageStreams,
  dipSimulations: number,
  samplerDraws = 1000,
): SplitEvidence {
  const means = classes.map((r) => r.meanLogDensity);
  const g = gapSplit(means);
  let mixture: MixtureComparison | null = null;
  let dip: DipTest | null = null;
  if (classes.length >= 3 && new Set(means).size > 1) {
    mixture = compareMixtures(means);
    dip = withStream(streams, "dip", 0, (rng) => dipTest(means, rng, dipSimulations));
  }
  const classIndex = (i: number) => (classes[i] as ClassMean).classIndex;
  const noise = classes.some((c) => c.sampler !== undefined)
    ? withStream(streams, "splitNoise", 0, (rng) =>
        splitNoise(
          means,
          classes.map(samplerSe),
          classes.map((c) => c.classIndex),
          rng,
          samplerDraws,
        ),
      )
    : null;
  const testVerdict = splitVerdict(mixture, dip);
  return {
    stage,
    gap: { ...g, high: g.high.map(classIndex), low: g.low.map(classIndex) },
    mixture,
    dip,
    verdict: testVerdict !== "one-group" && noise?.withinNoise === true ? "within-noise" : testVerdict,
    testVerdict,
    noise,
  };
}

/** Density group of a class, given the split stage's high-density class indices. */
export function groupOf(high: ReadonlySet<number>, classIndex: number): Group {
  return high.has(classIndex) ? "high" : "low";
}

/** The records with their density group, given the split stage's high-density class indices. */
export function assignGroups(records: readonly ClassStageRecord[], high: ReadonlySet<number>): ClassRow[] {
  return records.map((r) => ({ ...r, group: groupOf(high, r.classIndex) }));
}
