// analyze — the study's analysis (METHOD.md §6, §7, §11) over every network's class records and
// example tables. Not keyed or cached: it is cheap next to the steps before it, and always
// reflects the records as they are.
// Consumes: each network's records (network.ts). Config: steps.analysis and a seed.
// Produces: the StudyAnalysis (written by the report step).

import type { Core } from "@classfit/wasm-core";
import { analyzeStudy, type StudyAnalysis } from "../../analysis/study.js";
import type { StudyInput } from "../../analysis/types.js";
import type { StudyConfig } from "../config.js";
import type { NetworkRun } from "../network.js";
import { deriveSeed } from "../seed.js";

export function studyInput(networks: NetworkRun[]): StudyInput {
  return {
    networks: networks.map((n) => n.info),
    classes: networks.flatMap((n) => n.classes),
    exampleTables: networks.flatMap((n) => n.tables),
    generative: networks.flatMap((n) => n.generative),
  };
}

export function analyze(core: Core, config: StudyConfig, input: StudyInput): StudyAnalysis {
  const a = config.steps.analysis;
  return analyzeStudy(core, input, {
    seed: deriveSeed(config.seed, "analysis"),
    bootstrap: a.bootstrap,
    level: a.level,
    bins: a.bins,
    dipSimulations: a.dipSimulations,
    density: a.density,
    ...(a.splitStage ? { splitStage: a.splitStage } : {}),
  });
}
