// The study end to end (METHOD.md §1–§11): for each network, train (or load, or read exported
// activations) → extract stage activations → reduce (SVD) → fit one DP-GMM per class and stage
// → log-densities → complexity (KL) → compactness → memorization → certification, then the
// analysis and the report. Every unit of work is a step (steps/*.ts) with its own folder in the
// run directory, keyed by the hash of its inputs and settings (steps/store.ts), so a rerun skips
// what is done and an interrupted run resumes. The host supplies storage, inputs, workers,
// progress and the clock.
import type { Core } from "@classfit/wasm-core";
import type { StudyAnalysis } from "../analysis/study.js";
import type { PipelineHost } from "../host/index.js";
import type { Report } from "../report/index.js";
import { networkNotes, reportSubtitle } from "../report/notes.js";
import { jsonBytes, type StepEvent, utf8 } from "../steps/store.js";
import { fnv1a64 } from "../units/container.js";
import type { StudyConfig } from "./config.js";
import { StudyContext, StudyInterrupted } from "./context.js";
import { loadStudyData, requireTwoPerClass } from "./data.js";
import { type NetworkRun, runNetwork } from "./network.js";
import { analyzeOn, studyInput } from "./steps/analyze.js";
import { REPORT_DIR, writeReport } from "./steps/report.js";

export { StudyInterrupted } from "./context.js";
export { firstPerClass } from "./data.js";
export { deriveSeed } from "./seed.js";
export { REPORT_DIR } from "./steps/report.js";

export const RUN_MANIFEST = "manifest.json";

export interface RunManifest {
  format: "classfit-run";
  version: 1;
  status: "complete" | "interrupted" | "failed";
  name: string;
  profile: string;
  seed: number;
  versions: Record<string, string>;
  host: string;
  command?: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  config: StudyConfig;
  dataset: { path: string; n: number; numClasses: number; classNames: string[]; hash: string; perClass?: number };
  networks: { name: string; label: string; family: string; stages: string[]; source: string; notes: string[] }[];
  steps: StepEvent[];
  stepsComputed: number;
  stepsReused: number;
  report?: { html: string; hash: string };
  error?: string;
}

export interface RunStudyOptions {
  /** Package versions to record (the host knows them). */
  versions?: Record<string, string>;
  /** The command line that started the run. */
  command?: string;
  /** Extra paragraphs for the report summary (e.g. the demo's scale notes). */
  notes?: string[];
  /** Report title. */
  title?: string;
}

export interface StudyResult {
  manifest: RunManifest;
  analysis: StudyAnalysis;
  report: Report;
}

/** Runs (or resumes) the whole study; writes every artifact, the report and manifest.json. */
export async function runStudy(
  host: PipelineHost,
  core: Core,
  config: StudyConfig,
  options: RunStudyOptions = {},
): Promise<StudyResult> {
  const ctx = new StudyContext(host, core, config);
  const startedAt = host.clock.isoNow();
  const t0 = host.clock.now();
  const networks: NetworkRun[] = [];
  const manifest = (status: RunManifest["status"], extra: Partial<RunManifest> = {}): RunManifest => {
    const steps = ctx.store.events;
    return {
      format: "classfit-run",
      version: 1,
      status,
      name: config.name,
      profile: config.profile,
      seed: config.seed,
      versions: options.versions ?? {},
      host: host.hostName ?? "unknown",
      ...(options.command !== undefined ? { command: options.command } : {}),
      startedAt,
      finishedAt: host.clock.isoNow(),
      seconds: Math.round(host.clock.now() - t0) / 1000,
      config,
      dataset: {
        path: ctx.describe(config.dataset.path),
        n: ctx.data?.ds.n ?? 0,
        numClasses: ctx.data?.ds.numClasses ?? 0,
        classNames: ctx.data?.classNames ?? [],
        hash: ctx.data?.hash ?? "",
        ...(config.dataset.perClass !== undefined ? { perClass: config.dataset.perClass } : {}),
      },
      networks: networks.map((n) => ({
        ...n.info,
        label: n.info.label ?? n.info.name,
        family: n.info.family ?? "",
        source: n.source,
        notes: n.notes,
      })),
      steps,
      stepsComputed: steps.filter((s) => s.status === "computed").length,
      stepsReused: steps.filter((s) => s.status === "reused").length,
      ...extra,
    };
  };
  try {
    ctx.data = await loadStudyData(host, config);
    requireTwoPerClass(ctx.data);
    for (const net of config.networks) networks.push(await runNetwork(ctx, net));
    ctx.checkAbort();
    const input = studyInput(networks);
    const analyzed = await analyzeOn(ctx.pool, core, config, input, () => host.signal?.aborted === true);
    const analysis = { ...analyzed, warnings: [...networks.flatMap((n) => n.warnings), ...analyzed.warnings] };
    const { ds } = ctx.data;
    const report = await writeReport(host.storage, analysis, input, {
      title: options.title ?? config.name,
      subtitle: reportSubtitle({ dataset: ds.name, n: ds.n, profile: config.profile, seed: config.seed }),
      notes: [...(options.notes ?? []), ...networks.flatMap((n) => networkNotes(n.info.label ?? n.info.name, n.notes))],
    });
    const m = manifest("complete", { report: { html: `${REPORT_DIR}/report.html`, hash: fnv1a64(utf8(report.html)) } });
    await host.storage.write(RUN_MANIFEST, jsonBytes(m));
    return { manifest: m, analysis, report };
  } catch (e) {
    const interrupted = e instanceof StudyInterrupted || host.signal?.aborted === true;
    const m = manifest(interrupted ? "interrupted" : "failed", { error: e instanceof Error ? e.message : String(e) });
    try {
      await host.storage.write(RUN_MANIFEST, jsonBytes(m));
    } catch {
      // The original error matters more than a manifest we could not write.
    }
    if (interrupted && !(e instanceof StudyInterrupted))
      throw new StudyInterrupted("study interrupted; rerun the same command to resume");
    throw e;
  }
}
