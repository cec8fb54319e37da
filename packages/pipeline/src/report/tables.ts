// The report's tables, each as CSV (full precision) and JSON (plain objects), built from a
// StudyAnalysis. Column names are stable: downstream notebooks may read them.

import type { StudyAnalysis } from "../analysis/study.js";
import { toCsv } from "./format.js";

export interface Table {
  columns: string[];
  rows: (string | number | boolean | null)[][];
}

export interface TableOutput {
  csv: string;
  json: Record<string, string | number | boolean | null>[];
}

const n = (v: number | undefined | null): number | null => (v === undefined || v === null ? null : v);

export function buildTables(a: StudyAnalysis): Record<string, Table> {
  const classStage: Table = {
    columns: [
      "network",
      "stage",
      "classIndex",
      "className",
      "group",
      "n",
      "meanLogDensity",
      "varLogDensity",
      "kl",
      "klSe",
      "compactness",
      "meanMemorization",
      "certifiedF1",
      "certifiedMeanRadius",
      "certifiedFractionNotAbstained",
      "meanK",
      "rhatLogJoint",
      "rhatK",
    ],
    rows: a.networks.flatMap((net) =>
      net.classes.map((c) => [
        net.name,
        c.stage,
        c.classIndex,
        c.className,
        c.group,
        c.n,
        c.meanLogDensity,
        c.varLogDensity,
        n(c.kl?.value),
        n(c.kl?.se),
        n(c.compactness),
        n(c.meanMemorization),
        n(c.certified?.f1),
        n(c.certified?.meanRadius),
        n(c.certified?.fractionNotAbstained),
        n(c.meanK),
        n(c.rhat?.logJoint),
        n(c.rhat?.k),
      ]),
    ),
  };
  const split: Table = {
    columns: [
      "network",
      "stage",
      "isSplitStage",
      "classes",
      "sdOfMeans",
      "largestGap",
      "gapRatio",
      "deltaBic",
      "dipPValue",
    ],
    rows: a.networks.flatMap((net) =>
      net.stageSummaries.map((s) => [
        net.name,
        s.stage,
        s.stage === net.splitStage,
        s.classes,
        s.sdOfMeans,
        s.gap,
        Number.isFinite(s.gapRatio) ? s.gapRatio : null,
        s.deltaBic,
        s.dipPValue,
      ]),
    ),
  };
  const splitDetail: Table = {
    columns: [
      "network",
      "stage",
      "threshold",
      "gap",
      "gapToWithinSd",
      "highClasses",
      "lowClasses",
      "bic1",
      "bic2",
      "deltaBic",
      "mixtureMeans",
      "mixtureWeights",
      "mixtureVariance",
      "dip",
      "dipPValue",
      "dipSimulations",
      "verdict",
    ],
    rows: a.networks.map((net) => {
      const s = net.split;
      return [
        net.name,
        s.stage,
        s.gap.threshold,
        s.gap.gap,
        Number.isFinite(s.gap.gapToWithinSd) ? s.gap.gapToWithinSd : null,
        s.gap.high.join(" "),
        s.gap.low.join(" "),
        n(s.mixture?.one.bic),
        n(s.mixture?.two.bic),
        n(s.mixture?.deltaBic),
        s.mixture ? s.mixture.two.means.join(" ") : null,
        s.mixture ? s.mixture.two.weights.join(" ") : null,
        n(s.mixture?.two.variance),
        n(s.dip?.dip),
        n(s.dip?.pValue),
        n(s.dip?.simulations),
        s.verdict,
      ];
    }),
  };
  const correlations: Table = {
    columns: [
      "network",
      "stage",
      "level",
      "variable",
      "spearman",
      "lower",
      "upper",
      "confidence",
      "n",
      "unit",
      "replicates",
      "validReplicates",
    ],
    rows: a.networks.flatMap((net) =>
      net.correlations.map((c) => [
        net.name,
        c.stage,
        c.level,
        c.variable,
        c.ci.estimate,
        c.ci.lower,
        c.ci.upper,
        c.ci.level,
        c.ci.n,
        c.ci.unit,
        c.ci.replicates,
        c.ci.validReplicates,
      ]),
    ),
  };
  const groups: Table = {
    columns: [
      "network",
      "stage",
      "group",
      "classes",
      "meanLogDensity",
      "kl",
      "compactness",
      "meanMemorization",
      "certifiedMeanRadius",
      "certifiedF1",
      "meanK",
    ],
    rows: a.networks.flatMap((net) =>
      net.stageSummaries.flatMap((s) =>
        (["high", "low"] as const).map((g) => {
          const m = s.groups[g];
          return [
            net.name,
            s.stage,
            g,
            m.classes,
            m.meanLogDensity,
            n(m.kl),
            n(m.compactness),
            n(m.meanMemorization),
            n(m.certifiedMeanRadius),
            n(m.certifiedF1),
            n(m.meanK),
          ];
        }),
      ),
    ),
  };
  const bins: Table = {
    columns: [
      "network",
      "stage",
      "bin",
      "n",
      "logDensityMin",
      "logDensityMax",
      "meanLogDensity",
      "fractionHighClasses",
      "meanMemorization",
      "seMemorization",
      "accuracy",
      "meanCertifiedRadius",
      "fractionNotAbstained",
    ],
    rows: a.networks.flatMap((net) =>
      net.densityBins.flatMap((d) =>
        d.bins.map((b) => [
          net.name,
          d.stage,
          b.bin + 1,
          b.n,
          b.logDensityMin,
          b.logDensityMax,
          b.meanLogDensity,
          b.fractionHighClasses,
          n(b.meanMemorization),
          n(b.seMemorization),
          n(b.accuracy),
          n(b.meanCertifiedRadius),
          n(b.fractionNotAbstained),
        ]),
      ),
    ),
  };
  const curves: Table = {
    columns: ["network", "stage", "group", "source", "n", "radius", "certifiedAccuracy"],
    rows: a.networks.flatMap((net) =>
      net.certifiedCurves.flatMap((c) =>
        c.points.map((p) => [net.name, c.stage, c.group, c.source, c.n, p.radius, p.accuracy]),
      ),
    ),
  };
  const generative: Table = {
    columns: ["network", "stage", "n", "accuracy", "recallPerClass"],
    rows: a.networks.flatMap((net) =>
      net.generative.map((g) => [net.name, g.stage, g.n, g.accuracy, g.recall.join(" ")]),
    ),
  };
  return {
    "class-stage": classStage,
    "split-evidence": split,
    "split-detail": splitDetail,
    correlations,
    "group-means": groups,
    "density-bins": bins,
    "certified-curves": curves,
    generative,
  };
}

export function tableOutput(t: Table): TableOutput {
  return {
    csv: toCsv(t.columns, t.rows),
    json: t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null]))),
  };
}
