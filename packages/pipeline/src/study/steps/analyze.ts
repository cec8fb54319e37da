// analyze — the study's analysis (METHOD.md §6, §7, §11) over every network's class records and
// example tables. Not keyed or cached: it always reflects the records as they are.
// Consumes: each network's records (network.ts). Config: steps.analysis and a seed.
// Produces: the StudyAnalysis (written by the report step).
// With two or more workers each network's share runs on its own worker (the bootstrap over
// 10 000 examples takes seconds per network), and the parts are put together in network order:
// the same bytes as in one thread, since each network's streams depend only on the seed.

import type { Core } from "@classfit/wasm-core";
import {
  type AnalysisOptions,
  analysisPlan,
  analyzeNetworkTask,
  type NetworkAnalysisOutput,
  type StudyAnalysis,
} from "../../analysis/study.js";
import type { StudyInput } from "../../analysis/types.js";
import type { WorkerPool } from "../../host/index.js";
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

function analysisOptions(config: StudyConfig): AnalysisOptions {
  const a = config.steps.analysis;
  return {
    seed: deriveSeed(config.seed, "analysis"),
    bootstrap: a.bootstrap,
    level: a.level,
    bins: a.bins,
    dipSimulations: a.dipSimulations,
    density: a.density,
    ...(a.splitStage ? { splitStage: a.splitStage } : {}),
  };
}

/**
 * The study's analysis: one network per task on `pool` when it has two or more workers and the
 * study two or more networks. A task that fails is not reported from the worker: the analysis
 * then runs in this thread, which throws the same error (typed and worded) as a single-threaded
 * run would. `aborted()` says whether the failure was an interruption, passed on as it is.
 */
export async function analyzeOn(
  pool: WorkerPool,
  core: Core,
  config: StudyConfig,
  input: StudyInput,
  aborted: () => boolean,
): Promise<StudyAnalysis> {
  const options = analysisOptions(config);
  const plan = analysisPlan(input, options);
  const here = () => plan.assemble(plan.tasks.map((t) => analyzeNetworkTask(core, t)));
  if (pool.size < 2 || plan.tasks.length < 2) return here();
  let outputs: NetworkAnalysisOutput[];
  try {
    outputs = await pool.run("analysis", plan.tasks);
  } catch (e) {
    if (aborted()) throw e;
    return here();
  }
  return plan.assemble(outputs);
}
