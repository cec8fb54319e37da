// The study's analysis (METHOD.md §6, §7, §11): per network and stage, the class table, the
// high/low-density split with its bimodality evidence, rank correlations with bootstrap
// intervals (over classes, over examples, across density bins), certified accuracy per density
// group, and generative classification; with the sampler's Monte Carlo error of each class mean
// carried into the split and the class-level intervals, the convergence of every fit, and the
// other class density side by side (METHOD.md §12): the analysis reads either the paper's
// in-sample class means or the leave-one-out ones (options.density) and says which conclusions
// hold under both. Pure and deterministic: (input, seed) → the same bytes.
// Each of those is a part in its own module; this one checks the input and composes them.

import type { Core, Rng } from "@classfit/wasm-core";
import { binCorrelations, type DensityBin, densityBins } from "./bins.js";
import { convergenceWarnings, type NetworkConvergence, networkConvergence } from "./convergence.js";
import { type Correlation, classCorrelations } from "./correlations.js";
import { type CertifiedCurve, classCertifiedCurves, exampleCertifiedCurves } from "./curves.js";
import { type ClassQuantiles, classDensityQuantiles, exampleCorrelations } from "./examples.js";
import { type GenerativeResult, generativeClassification } from "./generative.js";
import {
  type ClassDensity,
  conclusionAgreement,
  looRecords,
  looTable,
  type OtherDensityAnalysis,
  otherDensity,
} from "./loo.js";
import { assignGroups, type ClassRow, type SplitEvidence, splitEvidence } from "./split.js";
import { type BootstrapSettings, type StageStreams, withStream } from "./streams.js";
import { groupDensityDifference, type StageSummary, stageSummary } from "./summary.js";
import {
  type ClassStageRecord,
  type ExampleTable,
  examplesToTables,
  type NetworkInfo,
  type StudyInput,
  StudyInputError,
  validateClassRecords,
  validateExampleTable,
} from "./types.js";
import { certifiedRadiusColumn, exampleVariables } from "./variables.js";

export type { DensityBin } from "./bins.js";
export type { FitConvergence, NetworkConvergence } from "./convergence.js";
export type { Correlation, CorrelationLevel } from "./correlations.js";
export type { CertifiedCurve } from "./curves.js";
export type { GenerativeResult } from "./generative.js";
export type { ClassDensity, ConclusionAgreement, OtherDensityAnalysis } from "./loo.js";
export { CLASS_DENSITIES, densityRead, otherDensityView } from "./loo.js";
export type { SplitNoise } from "./noise.js";

import { samplerSe } from "./noise.js";
import { type BootstrapCI, spearmanBootstrap } from "./stats.js";

export type { ClassRow, Group, SplitEvidence, TestVerdict, Verdict } from "./split.js";
export type { GroupMeans, StageSummary } from "./summary.js";
export { VARIABLES } from "./variables.js";

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
  /** Draws of the class means within their sampler MCSE for the split's stability. Default 1000. */
  samplerDraws?: number;
  /** Stage whose class means define the high/low split, per network. Default: the last stage. */
  splitStage?: Record<string, string>;
  /** Stages with per-example correlations and density bins: "split" (default) or "all". */
  exampleStages?: "split" | "all";
  /** Radii of the certified-accuracy curves. Default: 41 points from 0 to the largest radius seen. */
  radii?: number[];
  /** Which class density every finding is read on: the paper's "in-sample" mean (default) or the
   * "leave-one-out" (CPO) one, which then needs every class record's looMean and every example
   * table's looLogDensity. The other one is analysed beside it at the split stage. */
  density?: ClassDensity;
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
  densityQuantiles: ClassQuantiles[];
  /** Every fit's convergence: counts, and the fits that did not converge. */
  convergence: NetworkConvergence;
  /** The split stage's split and correlations on the other class density (options.density
   * names the one read), when every class there has both; else null. */
  other: OtherDensityAnalysis | null;
  /** Spearman ρ of the memorization proxy (cumulative training loss) against the memorization
   * scores over the examples that have both, when a table has both; else null. */
  memorizationProxy: BootstrapCI | null;
}

export interface StudyAnalysis {
  schema: "classfit.analysis/2";
  options: Required<Omit<AnalysisOptions, "splitStage" | "radii">> & { splitStage: Record<string, string> };
  networks: NetworkAnalysis[];
  warnings: string[];
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

/** The options with their defaults filled in, as the parts take them. */
interface Settings {
  seed: number;
  bootstrap: BootstrapSettings;
  bins: number;
  dipSimulations: number;
  samplerDraws: number;
  exampleStages: "split" | "all";
  radii: number[] | undefined;
  density: ClassDensity;
}

/** The options with their defaults filled in and checked. */
function settingsOf(options: AnalysisOptions): Settings {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0)
    throw new RangeError(`analyzeStudy: seed must be a non-negative integer, got ${options.seed}`);
  const settings: Settings = {
    seed: options.seed,
    bootstrap: { replicates: options.bootstrap ?? 1000, level: options.level ?? 0.95 },
    bins: options.bins ?? 10,
    dipSimulations: options.dipSimulations ?? 10000,
    samplerDraws: options.samplerDraws ?? 1000,
    exampleStages: options.exampleStages ?? "split",
    radii: options.radii,
    density: options.density ?? "in-sample",
  };
  if (settings.density !== "in-sample" && settings.density !== "leave-one-out")
    throw new RangeError(`analyzeStudy: density must be 'in-sample' or 'leave-one-out', got '${settings.density}'`);
  if (!Number.isInteger(settings.bins) || settings.bins < 2)
    throw new RangeError(`analyzeStudy: bins must be an integer ≥ 2, got ${settings.bins}`);
  if (!Number.isInteger(settings.samplerDraws) || settings.samplerDraws < 1)
    throw new RangeError(`analyzeStudy: samplerDraws must be a positive integer, got ${settings.samplerDraws}`);
  return settings;
}

/**
 * One network's share of an analysis, as a worker takes it: the network's own class records,
 * example tables and generative tables, its index in the study (which names its random streams)
 * and the study's options. Plain structured-cloneable data.
 */
export interface NetworkAnalysisTask {
  input: StudyInput;
  network: NetworkInfo;
  index: number;
  options: AnalysisOptions;
}
export interface NetworkAnalysisOutput {
  analysis: NetworkAnalysis;
  warnings: string[];
}

/** Runs one network's share (see analysisPlan). Its streams depend only on the seed and the
 * network's index, so where it runs never changes its bytes. */
export function analyzeNetworkTask(core: Core, task: NetworkAnalysisTask): NetworkAnalysisOutput {
  return analyzeNetwork(
    core,
    task.input,
    task.input.exampleTables ?? [],
    task.network,
    task.index,
    task.options.splitStage?.[task.network.name],
    settingsOf(task.options),
  );
}

/** The analysis as one task per network and what puts their outputs together. */
export interface AnalysisPlan {
  tasks: NetworkAnalysisTask[];
  /** The StudyAnalysis of the tasks' outputs (in task order), wherever they ran. */
  assemble(outputs: readonly NetworkAnalysisOutput[]): StudyAnalysis;
}

/**
 * The analysis split for a worker pool: run each task with analyzeNetworkTask, anywhere, and
 * assemble the outputs; analyzeStudy is this plan run in the calling thread. Throws what the
 * checks over the whole input throw, before any network is analysed.
 */
export function analysisPlan(input: StudyInput, options: AnalysisOptions): AnalysisPlan {
  const settings = settingsOf(options);
  validateClassRecords(input);
  const networks = input.networks ?? inferNetworks(input.classes);
  const tables = [...(input.exampleTables ?? []), ...examplesToTables(input.examples ?? [])];
  const tasks = networks.map((network, index) => ({
    input: {
      networks: [network],
      classes: input.classes.filter((c) => c.network === network.name),
      exampleTables: tables.filter((t) => t.network === network.name),
      generative: (input.generative ?? []).filter((t) => t.network === network.name),
    },
    network,
    index,
    options,
  }));
  const assemble = (outputs: readonly NetworkAnalysisOutput[]): StudyAnalysis => {
    const warnings: string[] = [];
    const splitStages: Record<string, string> = {};
    for (const o of outputs) {
      splitStages[o.analysis.name] = o.analysis.splitStage;
      warnings.push(...o.warnings);
    }
    for (const t of tables)
      if (!networks.some((n) => n.name === t.network))
        throw new StudyInputError(`examples: network "${t.network}" has no class records`);
    return {
      schema: "classfit.analysis/2",
      options: {
        seed: settings.seed,
        bootstrap: settings.bootstrap.replicates,
        level: settings.bootstrap.level,
        bins: settings.bins,
        dipSimulations: settings.dipSimulations,
        samplerDraws: settings.samplerDraws,
        exampleStages: settings.exampleStages,
        density: settings.density,
        splitStage: splitStages,
      },
      networks: outputs.map((o) => o.analysis),
      warnings,
    };
  };
  return { tasks, assemble };
}

/**
 * Runs the analysis. `core` supplies the seeded generators; nothing else is read or written.
 * Throws StudyInputError naming the table, row and field of the first bad value.
 */
export function analyzeStudy(core: Core, input: StudyInput, options: AnalysisOptions): StudyAnalysis {
  const plan = analysisPlan(input, options);
  return plan.assemble(plan.tasks.map((t) => analyzeNetworkTask(core, t)));
}

/** A network's class records per stage, checked against its stage list and split stage. */
interface NetworkRecords {
  /** Class records of each stage of the stage list, sorted by class index. */
  byStage: ClassStageRecord[][];
  splitStage: string;
  numClasses: number;
}

function networkRecords(
  classes: readonly ClassStageRecord[],
  net: NetworkInfo,
  ni: number,
  requestedSplitStage: string | undefined,
): NetworkRecords {
  const recs = classes.filter((c) => c.network === net.name);
  if (recs.length === 0) throw new StudyInputError(`networks[${ni}]: no class records for network "${net.name}"`);
  for (const r of recs)
    if (!net.stages.includes(r.stage))
      throw new StudyInputError(
        `classes: network "${net.name}" has records for stage "${r.stage}", not in its stage list`,
      );
  const splitStage = requestedSplitStage ?? (net.stages[net.stages.length - 1] as string);
  if (!net.stages.includes(splitStage))
    throw new StudyInputError(`splitStage: "${splitStage}" is not a stage of network "${net.name}"`);
  const at = (stage: string) => recs.filter((r) => r.stage === stage).sort((a, b) => a.classIndex - b.classIndex);
  if (at(splitStage).length < 2)
    throw new StudyInputError(
      `network "${net.name}", stage "${splitStage}": at least 2 classes are needed for a split`,
    );
  return {
    byStage: net.stages.map(at),
    splitStage,
    numClasses: recs.reduce((m, r) => Math.max(m, r.classIndex), 0) + 1,
  };
}

/** One network's analysis: the parts in order, each fed the records of one stage. */
function analyzeNetwork(
  core: Core,
  input: StudyInput,
  tables: readonly ExampleTable[],
  net: NetworkInfo,
  ni: number,
  requestedSplitStage: string | undefined,
  s: Settings,
): { analysis: NetworkAnalysis; warnings: string[] } {
  const given = networkRecords(input.classes, net, ni, requestedSplitStage);
  const { splitStage, numClasses } = given;
  const readLoo = s.density === "leave-one-out";
  // Read on the leave-one-out density: every class record takes its LOO mean (and its error).
  const byStage = readLoo
    ? given.byStage.map((recs, si) => {
        const loo = recs.length === 0 ? [] : looRecords(recs);
        if (loo === null) {
          const r = recs.find((x) => x.sampler?.looMean === null || x.sampler?.looMean === undefined);
          throw new StudyInputError(
            `network "${net.name}", stage "${net.stages[si]}", class ${r?.classIndex}: density 'leave-one-out' needs every class's leave-one-out mean (sampler.looMean), and this class has none`,
          );
        }
        return loo;
      })
    : given.byStage;
  const records = (si: number) => byStage[si] as ClassStageRecord[];
  const streams = (stage: number): StageStreams => ({ core, seed: s.seed, network: ni, stage });
  const warnings: string[] = [];

  // Every stage gets its own evidence; the split stage's groups label the classes of all stages.
  const stageEvidence = net.stages.map((stage, si) =>
    records(si).length >= 2 ? splitEvidence(stage, records(si), streams(si), s.dipSimulations, s.samplerDraws) : null,
  );
  const splitIndex = net.stages.indexOf(splitStage);
  const split = stageEvidence[splitIndex] as SplitEvidence;
  const high = new Set(split.gap.high);
  const classes: ClassRow[] = byStage.flatMap((recs) => assignGroups(recs, high));
  const stageRows = (stage: string) => classes.filter((c) => c.stage === stage);
  const stageSummaries: StageSummary[] = net.stages.flatMap((stage, si) => {
    const rows = stageRows(stage);
    const ev = stageEvidence[si];
    if (rows.length === 0 || ev === null || ev === undefined) return [];
    const difference = withStream(streams(si), "groupDiff", 0, (rng) =>
      withStream(streams(si), "groupDiffNoise", 0, (noise) => groupDensityDifference(rows, rng, noise, s.bootstrap)),
    );
    return [stageSummary(stage, rows, ev, difference)];
  });

  const correlations: Correlation[] = [];
  for (const [si, stage] of net.stages.entries()) {
    const c = classCorrelations(stage, records(si), streams(si), s.bootstrap);
    correlations.push(...c.correlations);
    for (const p of c.partial)
      warnings.push(`${net.name}/${stage}: ${p.variable} missing for ${p.missing} classes; correlated over the rest`);
  }

  const densityBins: NetworkAnalysis["densityBins"] = [];
  const certifiedCurves: CertifiedCurve[] = [];
  const densityQuantiles: ClassQuantiles[] = [];
  /** The split stage's example table as given, for the same views on the other density below. */
  let splitTable: ExampleTable | undefined;
  for (const [ti, raw] of tables.filter((t) => t.network === net.name).entries()) {
    const si = net.stages.indexOf(raw.stage);
    if (si < 0) throw new StudyInputError(`examples: network "${net.name}" has no stage "${raw.stage}"`);
    validateExampleTable(raw, `examples[${ti}]`, numClasses);
    const t = readLoo ? looTable(raw) : raw;
    if (t === null)
      throw new StudyInputError(
        `examples[${ti}] (network "${net.name}", stage "${raw.stage}"): density 'leave-one-out' needs a finite looLogDensity for every example`,
      );
    densityQuantiles.push(...classDensityQuantiles(t.stage, t.label, t.logDensity));
    if (s.exampleStages === "split" && t.stage !== splitStage) continue;
    const n = t.logDensity.length;
    if (n < s.bins) {
      warnings.push(`${net.name}/${t.stage}: ${n} examples < ${s.bins} bins; density bins skipped`);
      continue;
    }
    // Each class's MCSE, by class index (0 where a fit has none), for the per-example intervals.
    const classSe = new Float64Array(numClasses);
    for (const r of stageRows(t.stage)) classSe[r.classIndex] = samplerSe(r);
    const views = exampleViews(t, high, streams(si), s, classSe);
    if (t.stage === splitStage) splitTable = raw;
    correlations.push(...views.correlations);
    densityBins.push(views.densityBins);
    certifiedCurves.push(...views.certifiedCurves);
  }
  // Where no example table gives a stage certified curves, the class summaries do.
  for (const stage of net.stages) {
    if (certifiedCurves.some((c) => c.stage === stage)) continue;
    if (s.exampleStages === "split" && stage !== splitStage) continue;
    const curves = classCertifiedCurves(stage, stageRows(stage));
    if (curves === null)
      warnings.push(
        `${net.name}/${stage}: classes' certified radius grids differ; no group curves from class summaries`,
      );
    else certifiedCurves.push(...curves);
  }

  const convergence = networkConvergence(byStage.flat());
  warnings.push(...convergenceWarnings(net.name, convergence));

  // The same split and correlations on the other density, on the same streams (common random
  // numbers, so a difference comes from the densities and not from the draws).
  const otherRecs = readLoo ? given.byStage[splitIndex] : looRecords(records(splitIndex));
  let other: OtherDensityAnalysis | null = null;
  if (otherRecs !== null && otherRecs !== undefined && otherRecs.length > 0) {
    const otherSplit = splitEvidence(splitStage, otherRecs, streams(splitIndex), s.dipSimulations, s.samplerDraws);
    const otherCorr = classCorrelations(splitStage, otherRecs, streams(splitIndex), s.bootstrap).correlations;
    // The per-example views once more with each example's other density (same streams), when
    // every example has one: each class's error is that density's class mean's.
    const otherTable = splitTable === undefined ? null : readLoo ? splitTable : looTable(splitTable);
    let otherExample: Correlation[] = [];
    if (otherTable !== null) {
      const otherSe = new Float64Array(numClasses);
      for (const r of otherRecs) otherSe[r.classIndex] = samplerSe(r);
      otherExample = exampleViews(
        otherTable,
        new Set(otherSplit.gap.high),
        streams(splitIndex),
        s,
        otherSe,
      ).correlations;
    }
    other = {
      density: otherDensity(s.density),
      stage: splitStage,
      split: otherSplit,
      correlations: otherCorr,
      exampleCorrelations: otherExample,
      agreement: conclusionAgreement(split, correlations, otherSplit, otherCorr, otherExample),
    };
  }

  // The proxy and the scores are per network, the same in every stage's table: the split
  // stage's table (else the first with both) gives the one interval.
  const netTables = tables.filter((t) => t.network === net.name && t.memorization && t.trainingLoss);
  const proxyTable = netTables.find((t) => t.stage === splitStage) ?? netTables[0];
  const memorizationProxy =
    proxyTable === undefined
      ? null
      : withStream(streams(net.stages.indexOf(proxyTable.stage)), "proxyCorr", 0, (rng) =>
          proxyAgreement(proxyTable, rng, s.bootstrap),
        );

  const generative = (input.generative ?? [])
    .filter((t) => t.network === net.name)
    .map((t, k) => generativeClassification(t, `generative[${k}] (${t.network}/${t.stage})`));

  return {
    analysis: {
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
      convergence,
      other,
      memorizationProxy,
    },
    warnings,
  };
}

/** ρ of the proxy against the memorization scores over the examples that have both. */
function proxyAgreement(t: ExampleTable, rng: Rng, bootstrap: BootstrapSettings): BootstrapCI | null {
  const mem = t.memorization as ArrayLike<number>;
  const loss = t.trainingLoss as ArrayLike<number>;
  const keep: number[] = [];
  for (let i = 0; i < mem.length; i++)
    if (!Number.isNaN(mem[i] as number) && !Number.isNaN(loss[i] as number)) keep.push(i);
  if (keep.length < 3) return null;
  return spearmanBootstrap(
    keep.map((i) => loss[i] as number),
    keep.map((i) => mem[i] as number),
    rng,
    { replicates: bootstrap.replicates, level: bootstrap.level, unit: "examples" },
  );
}

/** Correlations, density bins and per-group certified curves of one example table with ≥ B rows. */
function exampleViews(
  t: ExampleTable,
  high: ReadonlySet<number>,
  streams: StageStreams,
  s: Settings,
  classSe: Float64Array,
): {
  correlations: Correlation[];
  densityBins: NetworkAnalysis["densityBins"][number];
  certifiedCurves: CertifiedCurve[];
} {
  const certRadius = certifiedRadiusColumn(t);
  const variables = exampleVariables(t, certRadius);
  const { rows, binOf } = densityBins(t, s.bins, high, certRadius);
  return {
    correlations: [
      ...exampleCorrelations(t.stage, t.logDensity, variables, streams, s.bootstrap, { label: t.label, se: classSe }),
      ...binCorrelations(t.stage, binOf, s.bins, variables, streams, s.bootstrap),
    ],
    densityBins: { stage: t.stage, bins: rows },
    certifiedCurves:
      certRadius !== undefined && t.correct !== undefined
        ? exampleCertifiedCurves(t.stage, t.label, certRadius, t.correct, high, s.radii)
        : [],
  };
}
