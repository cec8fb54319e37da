// Certified accuracy vs radius per density group: from per-example radii where an example
// table has them, else as the example-weighted mean of the classes' own curves.

import { type ClassRow, type Group, groupOf } from "./split.js";

export interface CertifiedCurve {
  stage: string;
  /** "high" / "low" density group, or "bin k" for density bins. */
  group: string;
  source: "examples" | "classes";
  n: number;
  points: { radius: number; accuracy: number }[];
}

const GROUPS: readonly Group[] = ["high", "low"];

/** The given radii in ascending order, or 41 evenly spaced from 0 to the largest radius seen. */
export function radiusGrid(maxRadius: number, radii: readonly number[] | undefined): number[] {
  if (radii !== undefined) return [...radii].sort((a, b) => a - b);
  const top = maxRadius > 0 ? maxRadius : 1;
  return Array.from({ length: 41 }, (_, i) => (top * i) / 40);
}

/** Fraction of the members that are correct with a certified radius ≥ r, for each r of the grid. */
export function certifiedCurveFromExamples(
  radius: ArrayLike<number>,
  correct: ArrayLike<number>,
  members: readonly number[],
  grid: readonly number[],
): { radius: number; accuracy: number }[] {
  return grid.map((r) => {
    let k = 0;
    for (const i of members) if ((correct[i] as number) === 1 && (radius[i] as number) >= r) k++;
    return { radius: r, accuracy: members.length > 0 ? k / members.length : Number.NaN };
  });
}

/**
 * One curve per density group from one stage's examples; `radius` is the certified radius with
 * 0 for wrong predictions, `high` the high-density class indices, `radii` the grid if given.
 */
export function exampleCertifiedCurves(
  stage: string,
  label: ArrayLike<number>,
  radius: ArrayLike<number>,
  correct: ArrayLike<number>,
  high: ReadonlySet<number>,
  radii: readonly number[] | undefined,
): CertifiedCurve[] {
  // Uncertified examples (NaN) are in no curve.
  let maxR = 0;
  for (let i = 0; i < radius.length; i++)
    if (!Number.isNaN(radius[i] as number)) maxR = Math.max(maxR, radius[i] as number);
  const grid = radiusGrid(maxR, radii);
  return GROUPS.map((group) => {
    const members: number[] = [];
    for (let i = 0; i < label.length; i++)
      if (!Number.isNaN(radius[i] as number) && groupOf(high, label[i] as number) === group) members.push(i);
    return {
      stage,
      group,
      source: "examples",
      n: members.length,
      points: certifiedCurveFromExamples(radius, correct, members, grid),
    };
  });
}

/**
 * One curve per non-empty density group from the classes' certified summaries at one stage,
 * each class weighted by its size; null when the classes' radius grids differ (no common grid).
 */
export function classCertifiedCurves(stage: string, rows: readonly ClassRow[]): CertifiedCurve[] | null {
  const certified = rows.filter((r) => r.certified !== undefined);
  if (certified.length === 0) return [];
  const grid = (certified[0] as ClassRow).certified?.accuracyAtRadius.map((p) => p.radius) ?? [];
  const same = certified.every((r) => {
    const g = r.certified?.accuracyAtRadius ?? [];
    return g.length === grid.length && g.every((p, i) => p.radius === grid[i]);
  });
  if (!same) return null;
  const curves: CertifiedCurve[] = [];
  for (const group of GROUPS) {
    const members = certified.filter((r) => r.group === group);
    const total = members.reduce((a, r) => a + r.n, 0);
    if (total === 0) continue;
    curves.push({
      stage,
      group,
      source: "classes",
      n: total,
      points: grid.map((radius, k) => ({
        radius,
        accuracy: members.reduce((a, r) => a + r.n * (r.certified?.accuracyAtRadius[k]?.accuracy ?? 0), 0) / total,
      })),
    });
  }
  return curves;
}
