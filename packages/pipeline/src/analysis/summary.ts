// Per-stage summary of the class means: their spread, the split evidence in numbers, and the
// means of every class variable within each density group.

import type { Rng } from "@classfit/wasm-core";
import { samplerSe } from "./noise.js";
import type { ClassRow, Group, SplitEvidence, Verdict } from "./split.js";
import { type BootstrapCI, mean, percentileInterval } from "./stats.js";
import type { BootstrapSettings } from "./streams.js";
import type { ClassStageRecord } from "./types.js";
import { CLASS_VARIABLES, type ClassVariable } from "./variables.js";

export interface GroupMeans extends Partial<Record<ClassVariable | "meanK", number>> {
  classes: number;
  meanLogDensity: number;
}

export interface StageSummary {
  stage: string;
  classes: number;
  /** Spread (sd) of the class mean log-densities. */
  sdOfMeans: number;
  gap: number;
  gapRatio: number;
  deltaBic: number | null;
  dipPValue: number | null;
  /** The stage's own verdict (see SplitEvidence.verdict). */
  verdict: Verdict;
  /** The largest gap's z under the sampler MCSE and the share of draws whose high group
   * differs; null where no class carries `sampler` (or z where both bordering MCSEs are 0). */
  gapZ: number | null;
  highGroupChanged: number | null;
  /** Per-group means over classes (groups from the split stage). */
  groups: Record<Group, GroupMeans>;
  /** High − low group mean of the class mean log-density, with a bootstrap over the classes of
   * each group that also redraws each class mean within its MCSE; null when a group is empty. */
  densityDifference: BootstrapCI | null;
}

// The correlated variables, then the mean cluster count, which is summarised but not correlated.
const GROUP_MEAN_VARIABLES: readonly (readonly [
  ClassVariable | "meanK",
  (c: ClassStageRecord) => number | undefined,
])[] = [...CLASS_VARIABLES, ["meanK", (c) => c.meanK]];

/**
 * Means over the given classes of the mean log-density and of every variable that all of them
 * have; a variable missing for any class is left out rather than averaged over fewer classes.
 */
export function groupMeans(rows: readonly ClassStageRecord[]): GroupMeans {
  const g: GroupMeans = { classes: rows.length, meanLogDensity: mean(rows.map((r) => r.meanLogDensity)) };
  for (const [variable, get] of GROUP_MEAN_VARIABLES) {
    const v = rows.map(get).filter((x): x is number => x !== undefined);
    if (v.length === rows.length && v.length > 0) g[variable] = mean(v);
  }
  return g;
}

/**
 * High − low difference of the groups' mean class density, with a percentile bootstrap that
 * resamples classes within each group (the groups are fixed by the split stage) and, in the same
 * replicate, draws each class mean as m_c + mcse_c·z_c (METHOD.md §12's "propagate them"; z from
 * `noise`, a stream apart from the resamples', not drawn at all when no class has an MCSE).
 */
export function groupDensityDifference(
  rows: readonly ClassRow[],
  rng: Rng,
  noise: Rng,
  bootstrap: BootstrapSettings,
): BootstrapCI | null {
  const hi = rows.filter((r) => r.group === "high");
  const lo = rows.filter((r) => r.group === "low");
  if (hi.length === 0 || lo.length === 0) return null;
  const m = (rs: readonly ClassRow[]) => rs.map((r) => r.meanLogDensity);
  const se = (rs: readonly ClassRow[]) => rs.map(samplerSe);
  const [mh, ml, sh, sl] = [m(hi), m(lo), se(hi), se(lo)];
  const noisy = [...sh, ...sl].some((v) => v > 0);
  const resampledMean = (x: number[], sd: number[]): number => {
    const draws = rng.int(x.length, x.length);
    const z = noisy ? noise.normal(x.length) : undefined;
    let t = 0;
    for (let k = 0; k < x.length; k++) {
      const i = draws[k] as number;
      // One z per class per replicate, so a class drawn twice keeps one value.
      t += (x[i] as number) + (z === undefined ? 0 : (sd[i] as number) * (z[i] as number));
    }
    return t / x.length;
  };
  const reps = new Float64Array(bootstrap.replicates);
  for (let b = 0; b < bootstrap.replicates; b++) reps[b] = resampledMean(mh, sh) - resampledMean(ml, sl);
  const { lower, upper, valid } = percentileInterval(reps, bootstrap.level);
  return {
    estimate: mean(mh) - mean(ml),
    lower,
    upper,
    level: bootstrap.level,
    n: rows.length,
    replicates: bootstrap.replicates,
    validReplicates: valid,
    unit: "classes",
  };
}

/** Summary of one stage's class rows (grouped by the split stage) with that stage's own split evidence. */
export function stageSummary(
  stage: string,
  rows: readonly ClassRow[],
  evidence: SplitEvidence,
  densityDifference: BootstrapCI | null = null,
): StageSummary {
  const means = rows.map((r) => r.meanLogDensity);
  return {
    stage,
    classes: rows.length,
    sdOfMeans: Math.sqrt(means.reduce((a, v) => a + (v - mean(means)) ** 2, 0) / Math.max(1, means.length - 1)),
    gap: evidence.gap.gap,
    gapRatio: evidence.gap.gapRatio,
    deltaBic: evidence.mixture?.deltaBic ?? null,
    dipPValue: evidence.dip?.pValue ?? null,
    verdict: evidence.verdict,
    gapZ: evidence.noise?.gapZ ?? null,
    highGroupChanged: evidence.noise?.highGroupChanged ?? null,
    groups: {
      high: groupMeans(rows.filter((r) => r.group === "high")),
      low: groupMeans(rows.filter((r) => r.group === "low")),
    },
    densityDifference,
  };
}
