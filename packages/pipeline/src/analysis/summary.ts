// Per-stage summary of the class means: their spread, the split evidence in numbers, and the
// means of every class variable within each density group.

import type { ClassRow, Group, SplitEvidence } from "./split.js";
import { mean } from "./stats.js";
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
  /** Per-group means over classes (groups from the split stage). */
  groups: Record<Group, GroupMeans>;
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

/** Summary of one stage's class rows (grouped by the split stage) with that stage's own split evidence. */
export function stageSummary(stage: string, rows: readonly ClassRow[], evidence: SplitEvidence): StageSummary {
  const means = rows.map((r) => r.meanLogDensity);
  return {
    stage,
    classes: rows.length,
    sdOfMeans: Math.sqrt(means.reduce((a, v) => a + (v - mean(means)) ** 2, 0) / Math.max(1, means.length - 1)),
    gap: evidence.gap.gap,
    gapRatio: evidence.gap.gapRatio,
    deltaBic: evidence.mixture?.deltaBic ?? null,
    dipPValue: evidence.dip?.pValue ?? null,
    groups: {
      high: groupMeans(rows.filter((r) => r.group === "high")),
      low: groupMeans(rows.filter((r) => r.group === "low")),
    },
  };
}
