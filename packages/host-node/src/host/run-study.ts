// What `classfit study` and `classfit demo` share: run (or resume) a study on the Node host,
// print the summary (text, or JSON with --json), and map the outcome to an exit code.
import { dirname, resolve } from "node:path";
import type { StudyConfig } from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";
import { type Command, CommanderError } from "commander";
import { EXIT } from "../exit.js";
import { intArg } from "../options.js";
import { PROGRESS_HELP } from "../progress.js";
import { VERSION } from "../version.js";
import { createNodeHost } from "./node-host.js";

export { EXIT };

export interface StudyCommandOptions {
  out: string;
  workers?: number;
  json?: boolean;
  progress?: boolean;
  quiet?: boolean;
  /** Folder relative config paths are resolved against. */
  baseDir: string;
  command: string;
  notes?: string[];
  title?: string;
}

/** Ends the command with `code`, after printing `message` to stderr (commander passes the code on). */
export function exitWith(code: number, message?: string): never {
  if (message) process.stderr.write(`classfit: ${message}\n`);
  throw new CommanderError(code, `classfit.exit.${code}`, message ?? "");
}

export async function runStudyCommand(config: StudyConfig, o: StudyCommandOptions): Promise<void> {
  const pipeline = await import("@classfit/pipeline");
  const host = createNodeHost({
    out: o.out,
    baseDir: o.baseDir,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    progress: { force: o.progress === true, quiet: o.quiet === true || o.json === true },
  });
  const log = (s: string) => {
    if (!o.json) process.stdout.write(`${s}\n`);
  };
  log(
    `classfit ${o.command.split(" ")[1] ?? "study"}: '${config.name}', profile ${config.profile}, ${config.networks.length} network(s) → ${resolve(o.out)}`,
  );
  const core = await createCore();
  // Files of an earlier version (a RUNDIR it wrote, an old score file) are read, and named in
  // one line rather than one per file; their names are relative to the RUNDIR.
  const old: string[] = [];
  const previous = pipeline.setLegacyFormatHandler((_m, what) => old.push(what));
  const noteOld = () => {
    pipeline.setLegacyFormatHandler(previous);
    if (old.length > 0)
      process.stderr.write(
        `classfit: note: read ${old.length} file(s) in the formats of an earlier version (e.g. ${old[0]}), still read by this version but not by the next; rewrite them with \`classfit convert ${o.out}\` (and any old score file the config names)\n`,
      );
  };
  let result: Awaited<ReturnType<typeof pipeline.runStudy>>;
  try {
    result = await pipeline.runStudy(host, core, config, {
      versions: { classfit: VERSION, node: process.versions.node },
      command: o.command,
      ...(o.notes ? { notes: o.notes } : {}),
      ...(o.title ? { title: o.title } : {}),
    });
  } catch (e) {
    host.close();
    noteOld();
    if (e instanceof pipeline.StudyInterrupted) {
      if (o.json) process.stdout.write(`${JSON.stringify({ status: "interrupted", runDir: resolve(o.out) })}\n`);
      exitWith(EXIT.interrupted, `interrupted; finished steps are kept in ${o.out} — rerun the same command to resume`);
    }
    exitWith(pipeline.isInputError(e) ? EXIT.badInput : EXIT.failed, e instanceof Error ? e.message : String(e));
  }
  host.close();
  noteOld();
  const summary = pipeline.summarizeStudy(result.manifest, result.analysis);
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ ...summary, runDir: resolve(o.out), report: resolve(o.out, "report/report.html") }, null, 2)}\n`,
    );
    return;
  }
  for (const line of pipeline.formatSummary(summary)) log(line);
  // Every warning, on stderr so a piped summary stays clean; --json carries them in "warnings".
  if (!o.json) for (const w of summary.warnings) process.stderr.write(`warning: ${w}\n`);
  log(
    `done in ${summary.seconds.toFixed(1)} s (${summary.stepsComputed} step(s) computed, ${summary.stepsReused} reused); report: ${resolve(o.out, "report/report.html")}`,
  );
}

/** The run flags `study` and `demo` share: workers, replicates, and how the run reports. */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option(
      "--workers <n>",
      "worker threads for the fits, the memorization networks and the certification units (default: every core, lowered to what free memory holds; results do not depend on it)",
      intArg(1, 256),
    )
    .option(
      "--replicates <n>",
      "independent replicate fits per class, pooled; the report shows each replicate's class mean (default 1)",
      intArg(1, 64),
    )
    .option("--json", "print a machine-readable summary on stdout (no progress bars)")
    .option("--progress", PROGRESS_HELP)
    .option("--quiet", "no progress output");
}

export function configBaseDir(configPath: string): string {
  return dirname(resolve(configPath));
}
