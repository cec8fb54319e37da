// One network through the study: its source (activations), then per stage reduce; the class
// fits of all stages together; memorization and certification of the network; then per stage
// density, complexity and compactness, gathered into the analysis's records. The order is the
// order steps are recorded in the run manifest (and resumed in).

import { npyToFloat64, parseNpy } from "@classfit/models";
import type { ClassScoreTable, ClassStageRecord, ExampleTable, NetworkInfo } from "../analysis/types.js";
import { InputError, readingInput } from "../errors.js";
import {
  certificationImportNote,
  certifyNote,
  densityBinsImportNote,
  MEMORIZATION_PARTLY_UNDEFINED,
  memorizationImportNote,
  memorizationProxyNote,
  memorizationRunNote,
  NOT_CERTIFIED,
} from "../report/notes.js";
import type { NetworkConfig } from "./config.js";
import type { StageData, StudyContext } from "./context.js";
import { firstPerClass } from "./data.js";
import { certifiedByClass, classRecords, exampleTable, type StageMeasures } from "./records.js";
import { type NetworkSource, networkSource } from "./sources.js";
import { certificationImport, densityBinsImport } from "./steps/certification-import.js";
import { type Certified, certify, type LoadedNet } from "./steps/certify.js";
import { compactness } from "./steps/compactness.js";
import { complexity } from "./steps/complexity.js";
import { density } from "./steps/density.js";
import { type FittedClass, fit } from "./steps/fit.js";
import { memorization } from "./steps/memorization.js";
import { memorizationImport } from "./steps/memorization-import.js";
import { reduce } from "./steps/reduce.js";

export interface NetworkRun {
  info: NetworkInfo;
  source: string;
  notes: string[];
  classes: ClassStageRecord[];
  tables: ExampleTable[];
  generative: ClassScoreTable[];
  /** The fits' own warnings (small or degenerate classes), each naming its network, stage and
   * class; the study's summary and report list them with the analysis's. */
  warnings: string[];
}

export async function runNetwork(ctx: StudyContext, net: NetworkConfig): Promise<NetworkRun> {
  const notes: string[] = [];
  const src = await networkSource(ctx, net, notes);
  try {
    return await measureNetwork(ctx, net, notes, src);
  } finally {
    src.model?.model.dispose();
  }
}

async function measureNetwork(
  ctx: StudyContext,
  net: NetworkConfig,
  notes: string[],
  src: NetworkSource,
): Promise<NetworkRun> {
  const data = ctx.study;
  const C = data.ds.numClasses;
  const stages: StageData[] = [];
  for (const [index, stage] of src.stages.entries())
    stages.push(
      await ctx.run(reduce, {
        net: net.name,
        stage,
        index,
        act: src.acts[index] as Float32Array,
        channels: src.channels[index] as number,
        actHash: src.hashes[index] as string,
      }),
    );
  const fitted = await ctx.runAll(
    fit,
    stages.flatMap((sd) => Array.from({ length: C }, (_, classIndex) => ({ net: net.name, sd, classIndex }))),
  );
  const mem = await networkMemorization(ctx, net, notes);
  const cert =
    net.certificationResults !== undefined
      ? await importedRun(ctx, certificationImport, certificationImportNote, net.name, net.certificationResults, notes)
      : src.model
        ? await networkCertification(ctx, net.name, src.model, notes)
        : null;
  if (!cert && !src.model && ctx.config.steps.certify.perClass > 0) notes.push(NOT_CERTIFIED);
  const certified = cert ? certifiedByClass(cert, C) : null;
  const heldOut =
    net.densityBinsResults !== undefined
      ? await importedRun(ctx, densityBinsImport, densityBinsImportNote, net.name, net.densityBinsResults, notes)
      : null;
  const trainingLoss = src.trainingLoss ?? (await readTrainingLoss(ctx, net));
  if (trainingLoss) notes.push(memorizationProxyNote(mem !== null, net.trainingLoss && ctx.describe(net.trainingLoss)));
  if (mem && !mem.every((v) => Number.isFinite(v))) notes.push(MEMORIZATION_PARTLY_UNDEFINED);
  const out: NetworkRun = {
    info: {
      name: net.name,
      label: net.label ?? net.name,
      family: net.family ?? net.arch?.arch ?? "",
      stages: src.stages,
    },
    source: sourceText(ctx, net),
    notes,
    classes: [],
    tables: [],
    generative: [],
    warnings: stages.flatMap((sd, s) =>
      fitted
        .slice(s * C, (s + 1) * C)
        .flatMap((f, c) =>
          f.info.warnings.map((w) => `${net.label ?? net.name} ${sd.stage} ${data.classNames[c]}: ${w}`),
        ),
    ),
  };
  const gen = ctx.config.steps.density.generative;
  for (const [s, sd] of stages.entries()) {
    const generative = gen === "all" || (gen === "last" && s === stages.length - 1);
    const m = await measureStage(ctx, net.name, sd, fitted.slice(s * C, (s + 1) * C), generative);
    const measures: StageMeasures = { ...m, memorization: mem, certified, trainingLoss };
    out.classes.push(...classRecords(data, measures));
    out.tables.push(exampleTable(data, measures, cert, heldOut));
    if (m.density.scores)
      out.generative.push({
        network: net.name,
        stage: sd.stage,
        numClasses: C,
        labels: data.ds.labels,
        scores: m.density.scores,
      });
  }
  return out;
}

/** The per-stage steps that read the stage's class fits: density, complexity, compactness. */
async function measureStage(
  ctx: StudyContext,
  net: string,
  sd: StageData,
  fits: FittedClass[],
  generative: boolean,
): Promise<Omit<StageMeasures, "memorization" | "certified">> {
  const models = fits.map((f) => f.model);
  const fitKeys = fits.map((f) => f.key);
  const dens = await ctx.run(density, { net, sd, models, fitKeys, generative });
  const kl = await ctx.run(complexity, { net, sd, models, fitKeys });
  const comp = await ctx.run(compactness, { net, sd });
  return { network: net, stage: sd.stage, fits, density: dens, kl, compactness: comp };
}

/** Imported scores when the config names a file; else scores of subset networks if configured. */
async function networkMemorization(
  ctx: StudyContext,
  net: NetworkConfig,
  notes: string[],
): Promise<Float64Array | null> {
  const path = net.memorizationScores;
  if (path === undefined) {
    const ms = ctx.config.steps.memorization;
    if (ms.models <= 0 || net.arch === undefined) return null;
    const scores = await ctx.run(memorization, net);
    notes.push(memorizationRunNote(ms, ctx.study.ds.n));
    return scores;
  }
  const bytes = await readingInput(() => ctx.host.resources.readFile(path));
  const r = await ctx.run(memorizationImport, { net: net.name, path, bytes });
  notes.push(net.memorizationNote ?? memorizationImportNote(ctx.describe(path), r.runConfig));
  return r.scores;
}

/** CERTIFY of the first `perClass` study examples of each class, when configured. */
async function networkCertification(
  ctx: StudyContext,
  net: string,
  loaded: LoadedNet,
  notes: string[],
): Promise<Certified | null> {
  const c = ctx.config.steps.certify;
  if (c.perClass <= 0) return null;
  const { ds } = ctx.study;
  const rows = firstPerClass(ds.labels, ds.numClasses, c.perClass);
  const cert = await ctx.run(certify, { net, loaded, rows });
  notes.push(certifyNote(c, rows.length));
  return cert;
}

/** A certification the config names, in place of certifying in the run. */
/** An artifact the config names for a network, imported by `step`, its scale noted. */
async function importedRun(
  ctx: StudyContext,
  step: typeof certificationImport,
  note: typeof certificationImportNote,
  net: string,
  path: string,
  notes: string[],
): Promise<Certified> {
  const bytes = await readingInput(() => ctx.host.resources.readFile(path));
  const r = await ctx.run(step, { net, path, bytes });
  notes.push(note(ctx.describe(path), r.runConfig, r.rows.length, r.certified));
  return r;
}

/** The proxy file the config names, in study order; null when it names none. */
async function readTrainingLoss(ctx: StudyContext, net: NetworkConfig): Promise<Float64Array | null> {
  const path = net.trainingLoss;
  if (path === undefined) return null;
  const bytes = await readingInput(() => ctx.host.resources.readFile(path));
  const all = npyToFloat64(parseNpy(bytes, { name: path }), path);
  const { ds, subset } = ctx.study;
  const total = subset === null ? ds.n : undefined;
  if (total !== undefined && all.length !== total)
    throw new InputError(`${path}: ${all.length} losses, the dataset has ${total} training examples (dataset order)`);
  return Float64Array.from({ length: ds.n }, (_, j) => {
    const i = subset === null ? j : (subset[j] as number);
    if (i >= all.length)
      throw new InputError(`${path}: ${all.length} losses, but dataset example ${i} needs one (dataset order)`);
    return all[i] as number;
  });
}

/** How the network was given, for the manifest. */
function sourceText(ctx: StudyContext, net: NetworkConfig): string {
  if (net.model !== undefined) return ctx.describe(net.model);
  if (net.arch !== undefined) return `trained: ${JSON.stringify(net.arch)}`;
  return "activations";
}
