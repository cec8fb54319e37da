// The split and the class-level and per-example correlations once more on the other of the two
// class densities (METHOD.md §12): the paper's in-sample mean, which scores each training point
// under clusters that contain it, and the leave-one-out (CPO) mean, which scores it with itself
// removed from its cluster. The analysis reads one of them (AnalysisOptions.density); this view
// says which of its conclusions survive the change of definition.

import type { Correlation, CorrelationLevel } from "./correlations.js";
import type { SplitEvidence } from "./split.js";
import type { ClassStageRecord, ExampleTable } from "./types.js";

/** The two class densities a study can read (METHOD.md §4, §12.3). */
export const CLASS_DENSITIES = ["in-sample", "leave-one-out"] as const;
export type ClassDensity = (typeof CLASS_DENSITIES)[number];

/** The density an analysis reads; analyses written before the option read the in-sample one. */
export function densityRead(a: { options?: { density?: ClassDensity } }): ClassDensity {
  return a.options?.density ?? "in-sample";
}

/** The density that is not `d`. */
export function otherDensity(d: ClassDensity): ClassDensity {
  return d === "in-sample" ? "leave-one-out" : "in-sample";
}

/** One conclusion read on both densities. */
export interface ConclusionAgreement {
  kind: "verdict" | "correlation";
  /** Over classes, examples or density bins (kind "correlation"), else null. */
  level: CorrelationLevel | null;
  /** The correlated variable (kind "correlation"), else null. */
  variable: string | null;
  /** The conclusion on the density the analysis reads … */
  primary: string;
  /** … and on the other one (OtherDensityAnalysis.density). */
  other: string;
  /** Same verdict; or same sign and the same answer to "does the interval exclude 0". */
  holds: boolean;
}

/** The split stage's analysis on the density the study does not read. */
export interface OtherDensityAnalysis {
  /** Which density this view is on: the other one than StudyAnalysis.options.density. */
  density: ClassDensity;
  stage: string;
  split: SplitEvidence;
  /** Class-level correlations at the split stage, on this density's class means. */
  correlations: Correlation[];
  /** Correlations over the split stage's examples and density bins, on each example's density
   * of this kind (empty when the examples carry none). */
  exampleCorrelations: Correlation[];
  agreement: ConclusionAgreement[];
}

/** The agreement rows of an analysis written before the density option, whose `loo` view was
 * always the leave-one-out one and named its columns `density` and `loo`. */
interface LegacyLooView extends Omit<OtherDensityAnalysis, "density" | "agreement"> {
  agreement: (Omit<ConclusionAgreement, "primary" | "other"> & { density: string; loo: string })[];
}

/** A network analysis's other-density view, also from an analysis.json written before it had
 * one under this name (then always the leave-one-out view); null when there is none. */
export function otherDensityView(net: {
  other?: OtherDensityAnalysis | null;
  loo?: LegacyLooView | null;
}): OtherDensityAnalysis | null {
  if (net.other !== undefined) return net.other;
  const l = net.loo;
  if (l === null || l === undefined) return null;
  return {
    ...l,
    density: "leave-one-out",
    agreement: l.agreement.map(({ density, loo, ...x }) => ({ ...x, primary: density, other: loo })),
  };
}

/**
 * The records with their LOO mean (and its MCSE, replicates and start gap) in place of the
 * in-sample ones; null unless every record has a LOO mean, since a comparison over some classes
 * would mix the two quantities in one ranking. The sampler's own looMean and looMcse stay, and
 * the in-sample mean and MCSE move to inSampleMean and inSampleMcse, so a row names what it holds.
 */
export function looRecords(records: readonly ClassStageRecord[]): ClassStageRecord[] | null {
  if (records.length === 0 || records.some((r) => r.sampler?.looMean === null || r.sampler?.looMean === undefined))
    return null;
  return records.map((r) => {
    if (r.sampler === undefined || r.sampler.looMean === null) throw new Error("unreachable: checked above");
    // The in-sample start gap must not follow the LOO mean; the LOO one takes its place.
    const { startGap: _, ...s } = r.sampler;
    return {
      ...r,
      meanLogDensity: r.sampler.looMean,
      sampler: {
        ...s,
        mcse: s.looMcse,
        replicateMeans: s.looReplicateMeans,
        inSampleMean: r.meanLogDensity,
        inSampleMcse: s.mcse,
        ...(s.looStartGap !== null && s.looStartGap !== undefined ? { startGap: s.looStartGap } : {}),
      },
    };
  });
}

/** The table with each example's LOO log-density as its log-density; null unless every
 * example has a finite one. */
export function looTable(t: ExampleTable): ExampleTable | null {
  const loo = t.looLogDensity;
  if (loo === undefined || loo.length !== t.logDensity.length || !Array.from(loo).every(Number.isFinite)) return null;
  return { ...t, logDensity: loo };
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
  otherSplit: SplitEvidence,
  otherCorrelations: readonly Correlation[],
  otherExampleCorrelations: readonly Correlation[] = [],
): ConclusionAgreement[] {
  const out: ConclusionAgreement[] = [
    {
      kind: "verdict",
      level: null,
      variable: null,
      primary: split.verdict,
      other: otherSplit.verdict,
      holds: split.verdict === otherSplit.verdict,
    },
  ];
  const row = (level: CorrelationLevel, c: Correlation, l: Correlation | undefined): ConclusionAgreement => {
    const primary = correlationWords(c);
    const other = correlationWords(l);
    return {
      kind: "correlation",
      level,
      variable: c.variable,
      primary,
      other,
      holds: primary === other && primary !== "–",
    };
  };
  // The class-level correlations, then the per-example findings (over examples, then over
  // density bins) where the other view has them too.
  for (const c of correlations)
    if (c.level === "class" && c.stage === split.stage)
      out.push(
        row(
          "class",
          c,
          otherCorrelations.find((x) => x.variable === c.variable),
        ),
      );
  for (const level of ["example", "bin"] as const)
    for (const c of correlations) {
      if (c.level !== level || c.stage !== split.stage) continue;
      const l = otherExampleCorrelations.find((x) => x.level === level && x.variable === c.variable);
      if (l !== undefined) out.push(row(level, c, l));
    }
  return out;
}
