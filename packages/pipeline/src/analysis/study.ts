// The study's analysis (METHOD.md §6, §7, §11): per network and stage, the class table, the
// high/low-density split with its bimodality evidence, rank correlations with bootstrap
// intervals (over classes, over examples, across density bins), certified accuracy per density
// group, and generative classification. Pure and deterministic: (input, seed) → the same bytes.

import type { Core, Rng } from "@classfit/wasm-core";
import {
  compareMixtures,
  type DipTest,
  dipTest,
  type GapSplit,
  gapSplit,
  type MixtureComparison,
} from "./bimodality.js";
import {
  argsort,
  type BootstrapCI,
  mean,
  percentileInterval,
  resampleCounts,
  spearman,
  spearmanBootstrap,
  standardError,
} from "./stats.js";
import {
  type ClassScoreTable,
  type ClassStageRecord,
  examplesToTables,
  type NetworkInfo,
  type StudyInput,
  StudyInputError,
  validateClassRecords,
  validateExampleTable,
} from "./types.js";

export interface AnalysisOptions {
  /** Root seed of every random choice (bootstrap, dip-test simulation). */
  seed: number;
  /** Bootstrap replicates per interval. Default 1000. */
  bootstrap?: number;
  /** Confidence level of the intervals. Default 0.95. */
  level?: number;
  /** Density bins B for the per-example view. Default 10. */
  bins?: number;
  /** Simulated uniform samples for the dip test's p-value. Default 10 000. */
  dipSimulations?: number;
  /** Stage whose class means define the high/low split, per network. Default: the last stage. */
  splitStage?: Record<string, string>;
  /** Stages with per-example correlations and density bins: "split" (default) or "all". */
  exampleStages?: "split" | "all";
  /** Radii of the certified-accuracy curves. Default: 41 points from 0 to the largest radius seen. */
  radii?: number[];
}

export type Group = "high" | "low";

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
   * "mixed": one of the two.
   */
  verdict: "two-groups" | "one-group" | "mixed";
}

/** One row of the class table, with the density group from the split stage. */
export interface ClassRow extends ClassStageRecord {
  group: Group;
}

export type CorrelationLevel = "class" | "example" | "bin";

export interface Correlation {
  stage: string;
  level: CorrelationLevel;
  /** Variable correlated with density (see VARIABLES). */
  variable: string;
  ci: BootstrapCI;
}

/** One density bin: examples of one stage sorted by log-density, cut into B equal parts. */
export interface DensityBin {
  bin: number;
  n: number;
  logDensityMin: number;
  logDensityMax: number;
  meanLogDensity: number;
  /** Fraction of the bin's examples from high-density classes. */
  fractionHighClasses: number;
  meanMemorization?: number;
  seMemorization?: number;
  /** Fraction correct (smoothed classifier; abstention = wrong). */
  accuracy?: number;
  meanCertifiedRadius?: number;
  fractionNotAbstained?: number;
}

export interface CertifiedCurve {
  stage: string;
  /** "high" / "low" density group, or "bin k" for density bins. */
  group: string;
  source: "examples" | "classes";
  n: number;
  points: { radius: number; accuracy: number }[];
}

export interface GenerativeResult {
  stage: string;
  numClasses: number;
  n: number;
  accuracy: number;
  /** confusion[t][p]: examples of true class t assigned to class p. */
  confusion: number[][];
  recall: number[];
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

export interface GroupMeans {
  classes: number;
  meanLogDensity: number;
  kl?: number;
  compactness?: number;
  meanMemorization?: number;
  certifiedMeanRadius?: number;
  certifiedF1?: number;
  meanK?: number;
}

export interface NetworkAnalysis {
  name: string;
  label: string;
  family: string;
  stages: string[];
  splitStage: string;
  split: SplitEvidence;
  stageSummaries: StageSummary[];
  classes: ClassRow[];
  correlations: Correlation[];
  densityBins: { stage: string; bins: DensityBin[] }[];
  certifiedCurves: CertifiedCurve[];
  generative: GenerativeResult[];
  /** Per example log-density quantiles per class (for distribution plots), at each stage with examples. */
  densityQuantiles: { stage: string; classIndex: number; q: [number, number, number, number, number] }[];
}

export interface StudyAnalysis {
  schema: "classfit.analysis/1";
  options: Required<Omit<AnalysisOptions, "splitStage" | "radii">> & { splitStage: Record<string, string> };
  networks: NetworkAnalysis[];
  warnings: string[];
}

/** Variables correlated with class density, with their display names and units. */
export const VARIABLES: Record<string, { label: string; unit: string }> = {
  kl: { label: "relative entropy KL(p‖q)", unit: "nats" },
  compactness: { label: "compactness (mean pairwise distance)", unit: "representation units" },
  meanMemorization: { label: "mean memorization", unit: "score" },
  memorization: { label: "memorization", unit: "score" },
  certifiedMeanRadius: { label: "mean certified radius", unit: "input-space L2" },
  certifiedRadius: { label: "certified radius (0 if abstained or wrong)", unit: "input-space L2" },
  certifiedF1: { label: "certified F1", unit: "" },
};

// Fixed stream numbers per purpose, so adding an optional table never shifts another's draws.
const STREAM = { dip: 1, classCorr: 2, exampleCorr: 3, binCorr: 4 } as const;
function streamOf(net: number, stage: number, purpose: number, k: number): number {
  return 1 + net * 1_000_000 + stage * 10_000 + purpose * 100 + k;
}

function inferNetworks(classes: ClassStageRecord[]): NetworkInfo[] {
  const nets = new Map<string, string[]>();
  for (const c of classes) {
    let s = nets.get(c.network);
    if (s === undefined) {
      s = [];
      nets.set(c.network, s);
    }
    if (!s.includes(c.stage)) s.push(c.stage);
  }
  return [...nets].map(([name, stages]) => ({ name, stages }));
}

const CLASS_VARIABLES: [string, (c: ClassStageRecord) => number | undefined][] = [
  ["kl", (c) => c.kl?.value],
  ["compactness", (c) => c.compactness],
  ["meanMemorization", (c) => c.meanMemorization],
  ["certifiedMeanRadius", (c) => c.certified?.meanRadius],
  ["certifiedF1", (c) => c.certified?.f1],
];

function groupMeans(rows: ClassRow[]): GroupMeans {
  const avg = (f: (c: ClassRow) => number | undefined): number | undefined => {
    const v = rows.map(f).filter((x): x is number => x !== undefined);
    return v.length === rows.length && v.length > 0 ? mean(v) : undefined;
  };
  const g: GroupMeans = { classes: rows.length, meanLogDensity: mean(rows.map((r) => r.meanLogDensity)) };
  const set = (k: keyof GroupMeans, v: number | undefined) => {
    if (v !== undefined) (g as unknown as Record<string, number>)[k] = v;
  };
  set(
    "kl",
    avg((c) => c.kl?.value),
  );
  set(
    "compactness",
    avg((c) => c.compactness),
  );
  set(
    "meanMemorization",
    avg((c) => c.meanMemorization),
  );
  set(
    "certifiedMeanRadius",
    avg((c) => c.certified?.meanRadius),
  );
  set(
    "certifiedF1",
    avg((c) => c.certified?.f1),
  );
  set(
    "meanK",
    avg((c) => c.meanK),
  );
  return g;
}

/** Cut points of B nearly equal bins over n sorted items: bin b holds [cut[b], cut[b+1]). */
function binCuts(n: number, bins: number): number[] {
  const cuts: number[] = [];
  for (let b = 0; b <= bins; b++) cuts.push(Math.floor((b * n) / bins));
  return cuts;
}

/** Spearman of (bin index, per-bin mean of y) with a bootstrap over examples. */
function binTrendBootstrap(
  binOf: Int32Array,
  y: ArrayLike<number>,
  bins: number,
  rng: Rng,
  replicates: number,
  level: number,
): BootstrapCI {
  const n = binOf.length;
  const idx = Float64Array.from({ length: bins }, (_, b) => b);
  const binMeans = (counts: Float64Array | null): Float64Array => {
    const s = new Float64Array(bins);
    const w = new Float64Array(bins);
    for (let i = 0; i < n; i++) {
      const c = counts === null ? 1 : (counts[i] as number);
      if (c === 0) continue;
      const b = binOf[i] as number;
      s[b] = (s[b] as number) + c * (y[i] as number);
      w[b] = (w[b] as number) + c;
    }
    return s.map((v, b) => ((w[b] as number) > 0 ? v / (w[b] as number) : Number.NaN));
  };
  const trend = (m: Float64Array): number => {
    const ok: number[] = [];
    for (let b = 0; b < bins; b++) if (!Number.isNaN(m[b] as number)) ok.push(b);
    if (ok.length < 3) return Number.NaN;
    return spearman(
      ok.map((b) => idx[b] as number),
      ok.map((b) => m[b] as number),
    );
  };
  const estimate = trend(binMeans(null));
  const reps = new Float64Array(replicates);
  const counts = new Float64Array(n);
  for (let r = 0; r < replicates; r++) {
    resampleCounts(rng, n, counts);
    reps[r] = trend(binMeans(counts));
  }
  const { lower, upper, valid } = percentileInterval(reps, level);
  return { estimate, lower, upper, level, n, replicates, validReplicates: valid, unit: "examples" };
}

function radiusGrid(maxRadius: number, radii: number[] | undefined): number[] {
  if (radii !== undefined) return [...radii].sort((a, b) => a - b);
  const top = maxRadius > 0 ? maxRadius : 1;
  return Array.from({ length: 41 }, (_, i) => (top * i) / 40);
}

function certifiedCurveFromExamples(
  radius: ArrayLike<number>,
  correct: ArrayLike<number>,
  members: number[],
  grid: number[],
): { radius: number; accuracy: number }[] {
  return grid.map((r) => {
    let k = 0;
    for (const i of members) if ((correct[i] as number) === 1 && (radius[i] as number) >= r) k++;
    return { radius: r, accuracy: members.length > 0 ? k / members.length : Number.NaN };
  });
}

function generativeResult(t: ClassScoreTable, where: string): GenerativeResult {
  const C = t.numClasses;
  const n = t.labels.length;
  if (!Number.isInteger(C) || C < 2) throw new StudyInputError(`${where}: numClasses must be an integer ≥ 2, got ${C}`);
  if (t.scores.length !== n * C)
    throw new StudyInputError(`${where}: scores has ${t.scores.length} values, shape (${n}, ${C}) needs ${n * C}`);
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const label = t.labels[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= C)
      throw new StudyInputError(`${where}: labels[${i}] = ${label} is not in [0, ${C})`);
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) {
      const s = t.scores[i * C + c] as number;
      if (Number.isNaN(s)) throw new StudyInputError(`${where}: scores[${i}, ${c}] is NaN`);
      if (s > bestScore) {
        bestScore = s;
        best = c; // ties go to the lowest class index
      }
    }
    const row = confusion[label] as number[];
    row[best] = (row[best] as number) + 1;
    if (best === label) correct++;
  }
  const recall = confusion.map((row, c) => {
    const tot = row.reduce((a, b) => a + b, 0);
    return tot > 0 ? (row[c] as number) / tot : Number.NaN;
  });
  return { stage: t.stage, numClasses: C, n, accuracy: n > 0 ? correct / n : Number.NaN, confusion, recall };
}

/**
 * Runs the analysis. `core` supplies the seeded generators; nothing else is read or written.
 * Throws StudyInputError naming the table, row and field of the first bad value.
 */
export function analyzeStudy(core: Core, input: StudyInput, options: AnalysisOptions): StudyAnalysis {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0)
    throw new RangeError(`analyzeStudy: seed must be a non-negative integer, got ${options.seed}`);
  const replicates = options.bootstrap ?? 1000;
  const level = options.level ?? 0.95;
  const bins = options.bins ?? 10;
  const dipSimulations = options.dipSimulations ?? 10000;
  const exampleStages = options.exampleStages ?? "split";
  if (!Number.isInteger(bins) || bins < 2)
    throw new RangeError(`analyzeStudy: bins must be an integer ≥ 2, got ${bins}`);
  validateClassRecords(input);
  const networks = input.networks ?? inferNetworks(input.classes);
  const tables = [...(input.exampleTables ?? []), ...examplesToTables(input.examples ?? [])];
  const warnings: string[] = [];
  const splitStages: Record<string, string> = {};
  const out: NetworkAnalysis[] = [];

  for (const [ni, net] of networks.entries()) {
    const recs = input.classes.filter((c) => c.network === net.name);
    if (recs.length === 0) throw new StudyInputError(`networks[${ni}]: no class records for network "${net.name}"`);
    for (const r of recs)
      if (!net.stages.includes(r.stage))
        throw new StudyInputError(
          `classes: network "${net.name}" has records for stage "${r.stage}", not in its stage list`,
        );
    const splitStage = options.splitStage?.[net.name] ?? (net.stages[net.stages.length - 1] as string);
    if (!net.stages.includes(splitStage))
      throw new StudyInputError(`splitStage: "${splitStage}" is not a stage of network "${net.name}"`);
    splitStages[net.name] = splitStage;
    const at = (stage: string) => recs.filter((r) => r.stage === stage).sort((a, b) => a.classIndex - b.classIndex);
    const splitRecs = at(splitStage);
    if (splitRecs.length < 2)
      throw new StudyInputError(
        `network "${net.name}", stage "${splitStage}": at least 2 classes are needed for a split`,
      );
    const numClasses = recs.reduce((m, r) => Math.max(m, r.classIndex), 0) + 1;

    // --- the split and its evidence, at every stage (the split stage defines the groups).
    const evidence = (stage: string, si: number): SplitEvidence => {
      const rs = at(stage);
      const means = rs.map((r) => r.meanLogDensity);
      const g = gapSplit(means);
      let mixture: MixtureComparison | null = null;
      let dip: DipTest | null = null;
      if (rs.length >= 3 && new Set(means).size > 1) {
        mixture = compareMixtures(means);
        const rng = core.rng(options.seed, streamOf(ni, si, STREAM.dip, 0));
        try {
          dip = dipTest(means, rng, dipSimulations);
        } finally {
          rng.dispose();
        }
      }
      const bic = mixture !== null && mixture.deltaBic > 6;
      const dipSig = dip !== null && dip.pValue < 0.05;
      return {
        stage,
        gap: {
          ...g,
          high: g.high.map((i) => (rs[i] as ClassStageRecord).classIndex),
          low: g.low.map((i) => (rs[i] as ClassStageRecord).classIndex),
        },
        mixture,
        dip,
        verdict: bic && dipSig ? "two-groups" : bic || dipSig ? "mixed" : "one-group",
      };
    };
    const stageEvidence = net.stages.map((s, si) => (at(s).length >= 2 ? evidence(s, si) : null));
    const split = stageEvidence[net.stages.indexOf(splitStage)] as SplitEvidence;
    const high = new Set(split.gap.high);
    const groupOf = (c: number): Group => (high.has(c) ? "high" : "low");
    const classes: ClassRow[] = net.stages.flatMap((s) => at(s).map((r) => ({ ...r, group: groupOf(r.classIndex) })));

    const stageSummaries: StageSummary[] = net.stages.flatMap((stage, si) => {
      const rows = classes.filter((c) => c.stage === stage);
      const ev = stageEvidence[si];
      if (rows.length === 0 || ev === null || ev === undefined) return [];
      const means = rows.map((r) => r.meanLogDensity);
      return [
        {
          stage,
          classes: rows.length,
          sdOfMeans: Math.sqrt(means.reduce((a, v) => a + (v - mean(means)) ** 2, 0) / Math.max(1, means.length - 1)),
          gap: ev.gap.gap,
          gapRatio: ev.gap.gapRatio,
          deltaBic: ev.mixture?.deltaBic ?? null,
          dipPValue: ev.dip?.pValue ?? null,
          groups: {
            high: groupMeans(rows.filter((r) => r.group === "high")),
            low: groupMeans(rows.filter((r) => r.group === "low")),
          },
        },
      ];
    });

    // --- class-level correlations with density, at every stage.
    const correlations: Correlation[] = [];
    for (const [si, stage] of net.stages.entries()) {
      const rows = at(stage);
      for (const [vi, [variable, get]] of CLASS_VARIABLES.entries()) {
        const pairs = rows.filter((r) => get(r) !== undefined);
        if (pairs.length < 3) continue;
        if (pairs.length < rows.length)
          warnings.push(
            `${net.name}/${stage}: ${variable} missing for ${rows.length - pairs.length} classes; correlated over the rest`,
          );
        const rng = core.rng(options.seed, streamOf(ni, si, STREAM.classCorr, vi));
        try {
          const ci = spearmanBootstrap(
            pairs.map((r) => r.meanLogDensity),
            pairs.map((r) => get(r) as number),
            rng,
            { replicates, level, unit: "classes" },
          );
          correlations.push({ stage, level: "class", variable, ci });
        } finally {
          rng.dispose();
        }
      }
    }

    // --- per-example views: correlations, density bins, certified curves.
    const densityBins: NetworkAnalysis["densityBins"] = [];
    const certifiedCurves: CertifiedCurve[] = [];
    const densityQuantiles: NetworkAnalysis["densityQuantiles"] = [];
    const netTables = tables.filter((t) => t.network === net.name);
    for (const [ti, t] of netTables.entries()) {
      const si = net.stages.indexOf(t.stage);
      if (si < 0) throw new StudyInputError(`examples: network "${net.name}" has no stage "${t.stage}"`);
      validateExampleTable(t, `examples[${ti}]`, numClasses);
      const n = t.logDensity.length;
      // Quantiles per class for the distribution figure (all stages with examples).
      const byClass = new Map<number, number[]>();
      for (let i = 0; i < n; i++) {
        const l = t.label[i] as number;
        let a = byClass.get(l);
        if (a === undefined) {
          a = [];
          byClass.set(l, a);
        }
        a.push(t.logDensity[i] as number);
      }
      for (const [c, v] of [...byClass].sort((a, b) => a[0] - b[0])) {
        const s = Float64Array.from(v).sort();
        const q = (p: number) => {
          const h = (s.length - 1) * p;
          const lo = Math.floor(h);
          return (s[lo] as number) + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] as number) - (s[lo] as number));
        };
        densityQuantiles.push({ stage: t.stage, classIndex: c, q: [q(0.05), q(0.25), q(0.5), q(0.75), q(0.95)] });
      }
      if (exampleStages === "split" && t.stage !== splitStage) continue;
      if (n < bins) {
        warnings.push(`${net.name}/${t.stage}: ${n} examples < ${bins} bins; density bins skipped`);
        continue;
      }
      const certRadius: Float64Array | undefined =
        t.certifiedRadius !== undefined && t.correct !== undefined
          ? Float64Array.from({ length: n }, (_, i) =>
              (t.correct?.[i] as number) === 1 ? (t.certifiedRadius?.[i] as number) : 0,
            )
          : undefined;
      const exampleVars: [string, ArrayLike<number> | undefined][] = [
        ["memorization", t.memorization],
        ["certifiedRadius", certRadius],
      ];
      for (const [vi, [variable, y]] of exampleVars.entries()) {
        if (y === undefined) continue;
        const rng = core.rng(options.seed, streamOf(ni, si, STREAM.exampleCorr, vi));
        try {
          const ci = spearmanBootstrap(t.logDensity, y, rng, { replicates, level, unit: "examples" });
          correlations.push({ stage: t.stage, level: "example", variable, ci });
        } finally {
          rng.dispose();
        }
      }
      // Density bins: sort by log-density (ties by table order), cut into B equal parts.
      const order = argsort(t.logDensity);
      const cuts = binCuts(n, bins);
      const binOf = new Int32Array(n);
      const rows: DensityBin[] = [];
      for (let b = 0; b < bins; b++) {
        const members: number[] = [];
        for (let k = cuts[b] as number; k < (cuts[b + 1] as number); k++) {
          const i = order[k] as number;
          binOf[i] = b;
          members.push(i);
        }
        const ld = members.map((i) => t.logDensity[i] as number);
        const row: DensityBin = {
          bin: b,
          n: members.length,
          // Members are in ascending log-density order.
          logDensityMin: ld[0] as number,
          logDensityMax: ld[ld.length - 1] as number,
          meanLogDensity: mean(ld),
          fractionHighClasses: members.filter((i) => high.has(t.label[i] as number)).length / members.length,
        };
        if (t.memorization !== undefined) {
          const m = members.map((i) => t.memorization?.[i] as number);
          row.meanMemorization = mean(m);
          row.seMemorization = standardError(m);
        }
        if (t.correct !== undefined) row.accuracy = mean(members.map((i) => t.correct?.[i] as number));
        if (certRadius !== undefined) row.meanCertifiedRadius = mean(members.map((i) => certRadius[i] as number));
        if (t.abstained !== undefined)
          row.fractionNotAbstained = 1 - mean(members.map((i) => t.abstained?.[i] as number));
        rows.push(row);
      }
      densityBins.push({ stage: t.stage, bins: rows });
      const binVars: [string, ArrayLike<number> | undefined][] = [
        ["memorization", t.memorization],
        ["certifiedRadius", certRadius],
      ];
      for (const [vi, [variable, y]] of binVars.entries()) {
        if (y === undefined) continue;
        const rng = core.rng(options.seed, streamOf(ni, si, STREAM.binCorr, vi));
        try {
          correlations.push({
            stage: t.stage,
            level: "bin",
            variable,
            ci: binTrendBootstrap(binOf, y, bins, rng, replicates, level),
          });
        } finally {
          rng.dispose();
        }
      }
      if (certRadius !== undefined && t.correct !== undefined) {
        let maxR = 0;
        for (const r of certRadius) maxR = Math.max(maxR, r);
        const grid = radiusGrid(maxR, options.radii);
        for (const g of ["high", "low"] as Group[]) {
          const members: number[] = [];
          for (let i = 0; i < n; i++) if (groupOf(t.label[i] as number) === g) members.push(i);
          certifiedCurves.push({
            stage: t.stage,
            group: g,
            source: "examples",
            n: members.length,
            points: certifiedCurveFromExamples(certRadius, t.correct, members, grid),
          });
        }
      }
    }
    // Certified curves from class summaries where no example table has them.
    for (const stage of net.stages) {
      if (certifiedCurves.some((c) => c.stage === stage)) continue;
      if (exampleStages === "split" && stage !== splitStage) continue;
      const rows = classes.filter((c) => c.stage === stage && c.certified !== undefined);
      if (rows.length === 0) continue;
      const grid = (rows[0] as ClassRow).certified?.accuracyAtRadius.map((p) => p.radius) ?? [];
      const same = rows.every((r) => {
        const g = r.certified?.accuracyAtRadius ?? [];
        return g.length === grid.length && g.every((p, i) => p.radius === grid[i]);
      });
      if (!same) {
        warnings.push(
          `${net.name}/${stage}: classes' certified radius grids differ; no group curves from class summaries`,
        );
        continue;
      }
      for (const g of ["high", "low"] as Group[]) {
        const members = rows.filter((r) => r.group === g);
        const total = members.reduce((a, r) => a + r.n, 0);
        if (total === 0) continue;
        certifiedCurves.push({
          stage,
          group: g,
          source: "classes",
          n: total,
          points: grid.map((radius, k) => ({
            radius,
            accuracy: members.reduce((a, r) => a + r.n * (r.certified?.accuracyAtRadius[k]?.accuracy ?? 0), 0) / total,
          })),
        });
      }
    }

    const generative = (input.generative ?? [])
      .filter((t) => t.network === net.name)
      .map((t, k) => generativeResult(t, `generative[${k}] (${t.network}/${t.stage})`));

    out.push({
      name: net.name,
      label: net.label ?? net.name,
      family: net.family ?? "",
      stages: net.stages,
      splitStage,
      split,
      stageSummaries,
      classes,
      correlations,
      densityBins,
      certifiedCurves,
      generative,
      densityQuantiles,
    });
  }
  for (const t of tables)
    if (!networks.some((n) => n.name === t.network))
      throw new StudyInputError(`examples: network "${t.network}" has no class records`);
  return {
    schema: "classfit.analysis/1",
    options: {
      seed: options.seed,
      bootstrap: replicates,
      level,
      bins,
      dipSimulations,
      exampleStages,
      splitStage: splitStages,
    },
    networks: out,
    warnings,
  };
}
