// The report's tables, each as CSV (full precision) and JSON (plain objects), built from a
// StudyAnalysis. Column names are stable: downstream notebooks may read them.

import { fitConvergence } from "../analysis/convergence.js";
import { densityRead, otherDensityView, type StudyAnalysis } from "../analysis/study.js";
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
  const readLoo = densityRead(a) === "leave-one-out";
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
      "mcse",
      "replicates",
      "inSampleMean",
      "inSampleMcse",
      "looMean",
      "looMcse",
      "converged",
    ],
    // meanLogDensity and mcse are the density the analysis reads; both densities follow by name.
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
        n(c.sampler?.mcse),
        c.sampler === undefined ? null : c.sampler.replicateMeans.length,
        readLoo ? n(c.sampler?.inSampleMean) : c.meanLogDensity,
        readLoo ? n(c.sampler?.inSampleMcse) : n(c.sampler?.mcse),
        n(c.sampler?.looMean),
        n(c.sampler?.looMcse),
        c.sampler === undefined ? null : c.sampler.converged,
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
      "verdict",
      "gapZ",
      "highGroupChanged",
      "densityDifference",
      "densityDifferenceLower",
      "densityDifferenceUpper",
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
        s.verdict,
        s.gapZ,
        s.highGroupChanged,
        n(s.densityDifference?.estimate),
        n(s.densityDifference?.lower),
        n(s.densityDifference?.upper),
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
      "testVerdict",
      "gapZ",
      "gapBorderLow",
      "gapBorderHigh",
      "rankingUnchanged",
      "meanKendallTau",
      "highGroupChanged",
      "samplerDraws",
    ],
    rows: a.networks.map((net) => {
      const s = net.split;
      const z = s.noise;
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
        s.testVerdict,
        n(z?.gapZ),
        z ? z.border.low : null,
        z ? z.border.high : null,
        n(z?.rankingUnchanged),
        z && Number.isFinite(z.meanKendallTau) ? z.meanKendallTau : null,
        n(z?.highGroupChanged),
        n(z?.draws),
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
  // The held-out columns only where a density-bin protocol was imported, so that other studies'
  // tables keep their shape.
  const heldOut = a.networks.some((net) => net.densityBins.some((d) => d.bins.some((b) => b.nHeldOut !== undefined)));
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
      "nMemorization",
      "accuracy",
      "meanCertifiedRadius",
      "fractionNotAbstained",
      "nCertified",
      ...(heldOut ? ["heldOutAccuracy", "heldOutMeanRadius", "nHeldOut"] : []),
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
          n(b.nMemorization),
          n(b.accuracy),
          n(b.meanCertifiedRadius),
          n(b.fractionNotAbstained),
          n(b.nCertified),
          ...(heldOut ? [n(b.heldOutAccuracy), n(b.heldOutMeanRadius), n(b.nHeldOut)] : []),
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
  // The sampler's share at the split stage: each class mean with its MCSE and how often it lands
  // above the largest gap when the means move within their MCSE.
  const stability: Table = {
    columns: ["network", "stage", "classIndex", "className", "group", "meanLogDensity", "mcse", "pHigh"],
    rows: a.networks.flatMap((net) => {
      const p = new Map((net.split.noise?.pHigh ?? []).map((x) => [x.classIndex, x.p]));
      return net.classes
        .filter((c) => c.stage === net.splitStage && c.sampler !== undefined)
        .map((c) => [
          net.name,
          c.stage,
          c.classIndex,
          c.className,
          c.group,
          c.meanLogDensity,
          n(c.sampler?.mcse),
          n(p.get(c.classIndex)),
        ]);
    }),
  };
  // The start-gap column only when some fit started its chains from both sides of K.
  const withGap = a.networks.some((net) => net.classes.some((c) => fitConvergence(c)?.startGap != null));
  const convergence: Table = {
    columns: [
      "network",
      "stage",
      "classIndex",
      "className",
      "rhatLogJoint",
      "rhatK",
      "rhatAlpha",
      "rhatClassMean",
      "essBulkClassMean",
      "essTailClassMean",
      "mcse",
      ...(withGap ? ["startGap"] : []),
      "converged",
    ],
    rows: a.networks.flatMap((net) =>
      net.classes.flatMap((c) => {
        const f = fitConvergence(c);
        return f === undefined
          ? []
          : [
              [
                net.name,
                f.stage,
                f.classIndex,
                f.className,
                f.rhatLogJoint,
                f.rhatK,
                f.rhatAlpha,
                f.rhatClassMean,
                f.essBulkClassMean,
                f.essTailClassMean,
                f.mcse,
                ...(withGap ? [f.startGap] : []),
                f.converged ? "yes" : "no",
              ],
            ];
      }),
    ),
  };
  // Both densities' conclusions, in fixed columns whichever one the analysis reads.
  const agreement: Table = {
    columns: [
      "network",
      "stage",
      "conclusion",
      "read",
      "inSample",
      "leaveOneOut",
      "holdsUnderBoth",
      "inSampleRho",
      "inSampleLower",
      "inSampleUpper",
      "looRho",
      "looLower",
      "looUpper",
    ],
    rows: a.networks.flatMap((net) => {
      const l = otherDensityView(net);
      if (l === null) return [];
      return l.agreement.map((x) => {
        // Analyses written before the per-example rows carry no level: class level.
        const level = x.level ?? "class";
        const c = net.correlations.find((k) => k.level === level && k.stage === l.stage && k.variable === x.variable);
        const lc = (level === "class" ? l.correlations : (l.exampleCorrelations ?? [])).find(
          (k) => k.level === level && k.variable === x.variable,
        );
        const [ins, loo] = readLoo ? [lc, c] : [c, lc];
        return [
          net.name,
          l.stage,
          x.kind === "verdict"
            ? "verdict"
            : level === "class"
              ? `ρ density–${x.variable}`
              : level === "example"
                ? `ρ density–${x.variable} over examples`
                : `trend of ${x.variable} across density bins`,
          readLoo ? "leave-one-out" : "in-sample",
          readLoo ? x.other : x.primary,
          readLoo ? x.primary : x.other,
          x.holds ? "yes" : "no",
          n(ins?.ci.estimate),
          n(ins?.ci.lower),
          n(ins?.ci.upper),
          n(loo?.ci.estimate),
          n(loo?.ci.lower),
          n(loo?.ci.upper),
        ];
      });
    }),
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
    "split-stability": stability,
    convergence,
    "density-agreement": agreement,
  };
}

export function tableOutput(t: Table): TableOutput {
  return {
    csv: toCsv(t.columns, t.rows),
    json: t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null]))),
  };
}
