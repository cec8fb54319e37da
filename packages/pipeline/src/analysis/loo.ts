// The split and the class-level correlations once more on the leave-one-out (CPO) class means,
// side by side with the paper's in-sample means (METHOD.md §12). The LOO mean scores each
// training point with itself removed from its cluster, so it does not reward a model for
// memorizing its own points; it is NOT the paper's quantity, only a check of which conclusions
// survive that change of definition.

import type { Correlation, CorrelationLevel } from "./correlations.js";
import type { SplitEvidence } from "./split.js";
import type { ClassStageRecord } from "./types.js";

/** One conclusion read on both densities. */
export interface ConclusionAgreement {
  kind: "verdict" | "correlation";
  /** Over classes, examples or density bins (kind "correlation"), else null. */
  level: CorrelationLevel | null;
  /** The correlated variable (kind "correlation"), else null. */
  variable: string | null;
  /** The conclusion on the paper's in-sample class means … */
  density: string;
  /** … and on the leave-one-out means. */
  loo: string;
  /** Same verdict; or same sign and the same answer to "does the interval exclude 0". */
  holds: boolean;
}

/** The split stage's analysis on the leave-one-out class means. */
export interface LooAnalysis {
  stage: string;
  split: SplitEvidence;
  /** Class-level correlations at the split stage, on the LOO means. */
  correlations: Correlation[];
  /** Correlations over the split stage's examples and density bins, on each example's LOO
   * log-density (empty when the examples carry none). */
  exampleCorrelations: Correlation[];
  agreement: ConclusionAgreement[];
}

/**
 * The records with their LOO mean (and its MCSE and replicates) in place of the in-sample ones;
 * null unless every record has a LOO mean, since a comparison over some classes would mix the
 * two quantities in one ranking.
 */
export function looRecords(records: readonly ClassStageRecord[]): ClassStageRecord[] | null {
  if (records.length === 0 || records.some((r) => r.sampler?.looMean === null || r.sampler?.looMean === undefined))
    return null;
  return records.map((r) => {
    if (r.sampler === undefined || r.sampler.looMean === null) throw new Error("unreachable: checked above");
    // The in-sample start gap must not follow the LOO mean; the LOO one takes its place.
    const { startGap: _, looStartGap, ...s } = r.sampler;
    return {
      ...r,
      meanLogDensity: r.sampler.looMean,
      sampler: {
        ...s,
        mcse: s.looMcse,
        replicateMeans: s.looReplicateMeans,
        ...(looStartGap !== null && looStartGap !== undefined ? { startGap: looStartGap } : {}),
      },
    };
  });
}

function correlationWords(c: Correlation | undefined): string {
  if (c === undefined || Number.isNaN(c.ci.estimate)) return "–";
  const sign = c.ci.estimate > 0 ? "positive" : c.ci.estimate < 0 ? "negative" : "zero";
  const excludes = c.ci.lower > 0 || c.ci.upper < 0;
  return `${sign}, interval ${excludes ? "excludes" : "includes"} 0`;
}

/** Which conclusions hold under both densities: the verdict, then each class-level correlation. */
export function conclusionAgreement(
  split: SplitEvidence,
  correlations: readonly Correlation[],
  looSplit: SplitEvidence,
  looCorrelations: readonly Correlation[],
  looExampleCorrelations: readonly Correlation[] = [],
): ConclusionAgreement[] {
  const out: ConclusionAgreement[] = [
    {
      kind: "verdict",
      level: null,
      variable: null,
      density: split.verdict,
      loo: looSplit.verdict,
      holds: split.verdict === looSplit.verdict,
    },
  ];
  const row = (level: CorrelationLevel, c: Correlation, l: Correlation | undefined): ConclusionAgreement => {
    const density = correlationWords(c);
    const loo = correlationWords(l);
    return {
      kind: "correlation",
      level,
      variable: c.variable,
      density,
      loo,
      holds: density === loo && density !== "–",
    };
  };
  // The class-level correlations, then the per-example findings (over examples, then over
  // density bins) where the LOO view has them too.
  for (const c of correlations)
    if (c.level === "class" && c.stage === split.stage)
      out.push(
        row(
          "class",
          c,
          looCorrelations.find((x) => x.variable === c.variable),
        ),
      );
  for (const level of ["example", "bin"] as const)
    for (const c of correlations) {
      if (c.level !== level || c.stage !== split.stage) continue;
      const l = looExampleCorrelations.find((x) => x.level === level && x.variable === c.variable);
      if (l !== undefined) out.push(row(level, c, l));
    }
  return out;
}
