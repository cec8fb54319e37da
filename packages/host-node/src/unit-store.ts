// Files for the sharded evaluation protocols (memorization, certification, density bins): a
// directory unit store with atomic writes (resume), share files and artifacts, and the one
// runner the protocol commands and `classfit shard run` share.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  type CertificationArtifact,
  CodeVersionError,
  ContainerError,
  configHash,
  decodeCertification,
  decodeMemorization,
  directoryUnitStore,
  encodeShare,
  type Json,
  MergeError,
  mergeShareFiles,
  runShard,
  runSingle,
  type ShardSpec,
  summarizeCertification,
  type UnitExecutor,
  type UnitProtocol,
  type UnitStore,
  UnitsInterrupted,
} from "@classfit/pipeline";
import { InputError, readInputFile, writeFileAtomic, writeNpyAtomic } from "./io.js";

/** A UnitStore over `dir` (`<dir>/<kind>/<configHash>/unit-NNNNNN.npz`); every unit file is
 * written to a temp file and renamed, so a killed run leaves whole units or none. */
export function nodeUnitStore(dir: string): UnitStore {
  return directoryUnitStore(
    {
      async readFile(path: string): Promise<Uint8Array | undefined> {
        if (!existsSync(path)) return undefined;
        return new Uint8Array(readFileSync(path));
      },
      async writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
        mkdirSync(dirname(path), { recursive: true });
        writeFileAtomic(path, bytes);
      },
    },
    resolve(dir),
  );
}

/** Wraps a protocol so its identity (hence unit keys and merge checks) also covers `extra`:
 * what the pipeline protocol does not know about, e.g. the network and training settings. */
export function withIdentity(p: UnitProtocol, extra: Record<string, Json>): UnitProtocol {
  return {
    kind: p.kind,
    config: { ...p.config, ...extra },
    numUnits: p.numUnits,
    ...(p.codeVersion === undefined ? {} : { codeVersion: p.codeVersion }),
    runUnit: (u) => p.runUnit(u),
  };
}

export interface RunOptions {
  /** Output directory: `<kind>.npz` + `summary.json` (whole run), or `shares/` (one share). */
  out: string;
  shard?: ShardSpec;
  /** Unit store directory (default `<out>/units`). */
  units?: string;
  /** Share file path (default `<out>/shares/<kind>-<k>-of-<n>.npz`). */
  shareFile?: string;
  /** Where units run (default: one at a time in this thread). */
  executor?: UnitExecutor;
  log: (s: string) => void;
}

export function shareFileName(kind: string, shard: ShardSpec): string {
  return `${kind}-${shard.index}-of-${shard.count}.npz`;
}

/** Runs (a share of) a protocol with resume, writing everything atomically. Returns the path
 * written (artifact or share file). */
export async function runProtocol(p: UnitProtocol, o: RunOptions): Promise<string> {
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const store = nodeUnitStore(o.units ?? join(out, "units"));
  const hash = configHash(p.kind, p.config);
  const t0 = performance.now();
  // One display for all workers: units finish in any order, so the ETA is the wall time per unit
  // computed in this run (with every worker busy) times the units left.
  let computed = 0;
  const controller = new AbortController();
  const options = {
    store,
    signal: controller.signal,
    ...(o.executor ? { executor: o.executor } : {}),
    onUnit: (e: { index: number; done: number; total: number; skipped: boolean }) => {
      const elapsed = (performance.now() - t0) / 1000;
      if (!e.skipped) computed++;
      const left = e.total - e.done;
      const eta = computed > 0 && left > 0 ? `, ETA ${formatSeconds((elapsed / computed) * left)}` : "";
      o.log(
        `${p.kind}: unit ${e.index} ${e.skipped ? "already done (resumed)" : "done"} (${e.done}/${e.total}, ${elapsed.toFixed(1)} s${eta})`,
      );
    },
    onWarning: (m: string) => o.log(`warning: ${m}`),
  };
  o.log(
    `${p.kind}: config ${hash}, ${p.numUnits} unit(s)${o.shard ? `, share ${o.shard.index}/${o.shard.count}` : ""}${o.executor ? `, ${o.executor.size} workers` : ""}`,
  );
  // Ctrl-C stops every worker at once; the units already stored make the rerun resume. A second
  // Ctrl-C leaves at once.
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    o.log(`${p.kind}: ${sig}: stopping every worker; finished units are kept in the unit store, rerun to resume`);
    controller.abort(new UnitsInterrupted(`${p.kind} interrupted (${sig}); rerun the same command to resume`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await runUnitsTo(p, o, out, options);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function formatSeconds(s: number): string {
  if (s < 90) return `${Math.ceil(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

async function runUnitsTo(
  p: UnitProtocol,
  o: RunOptions,
  out: string,
  options: Parameters<typeof runSingle>[1],
): Promise<string> {
  if (o.shard) {
    const share = await runShard(p, o.shard, options);
    const path = resolve(o.shareFile ?? join(out, "shares", shareFileName(p.kind, o.shard)));
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, encodeShare(share));
    o.log(`wrote ${path} (${share.units.size} unit(s)); merge all shares with: classfit merge --out DIR <share files>`);
    return path;
  }
  const artifact = await runSingle(p, options);
  return writeArtifact(out, artifact, o.log);
}

/** Writes `<dir>/<kind>.npz` and its summary (and scores) beside it, atomically. */
export function writeArtifact(dir: string, artifact: Uint8Array, log: (s: string) => void): string {
  return writeArtifactAt(join(dir, `${summarizeArtifact(artifact).kind}.npz`), artifact, log);
}

/**
 * Writes an artifact at `path` (ending in .npz) with `<name>.summary.json` beside it, and for
 * memorization `<name>.scores.npy` (float64 per training example, NaN where undefined), the
 * plain array a study's `memorizationScores` imports.
 */
export function writeArtifactAt(path: string, artifact: Uint8Array, log: (s: string) => void): string {
  const abs = resolve(path);
  const summary = summarizeArtifact(artifact);
  mkdirSync(dirname(abs), { recursive: true });
  const stem = abs.replace(/\.(npz|cfa)$/, "");
  if (summary.kind === "memorization")
    writeNpyAtomic(`${stem}.scores.npy`, decodeMemorization(artifact).score, [summary.examples as number]);
  writeFileAtomic(`${stem}.summary.json`, `${JSON.stringify(summary, nanToNull, 2)}\n`);
  writeFileAtomic(abs, artifact);
  for (const line of summary.lines) log(line);
  log(`wrote ${abs}`);
  return abs;
}

function nanToNull(_k: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

interface ArtifactSummary {
  kind: string;
  configHash: string;
  config: Json;
  lines: string[];
  [k: string]: Json | string[] | unknown;
}

/** Human-readable figures of an artifact (also written as JSON). */
export function summarizeArtifact(bytes: Uint8Array): ArtifactSummary {
  let kind: string;
  try {
    // The memorization decoder checks its own format; certification artifacts name their kind.
    const m = decodeMemorization(bytes);
    kind = "memorization";
    const defined = m.score.filter((s) => !Number.isNaN(s)).length;
    let sum = 0;
    for (const s of m.score) if (!Number.isNaN(s)) sum += s;
    const lines = [
      `memorization: ${m.score.length} examples, ${defined} with a defined score (trained with and without by some model), mean score ${(sum / Math.max(defined, 1)).toFixed(4)}`,
    ];
    return {
      kind,
      configHash: configHash(kind, m.config),
      config: m.config,
      examples: m.score.length,
      defined,
      meanScore: sum / Math.max(defined, 1),
      lines,
    };
  } catch (e) {
    if (!(e instanceof RangeError || e instanceof ContainerError)) throw e;
  }
  let a: CertificationArtifact;
  try {
    a = decodeCertification(bytes);
  } catch (e) {
    throw new InputError(`not a classfit artifact (${(e as Error).message})`);
  }
  kind = a.kind;
  const labels = a.columns.label;
  let numClasses = 2;
  for (const y of labels) numClasses = Math.max(numClasses, y + 1);
  const s = summarizeCertification(a, numClasses);
  const samples = a.columns.samples.reduce((x, v) => x + v, 0);
  const abstained = a.columns.prediction.filter((p) => p === -1).length;
  const lines = [
    `${kind}: ${s.overall.count} examples, accuracy ${(100 * s.overall.accuracy).toFixed(2)}%, abstained ${abstained}, mean certified radius ${s.overall.meanRadius.toFixed(4)}, ${samples} noisy forward passes`,
    `  certified accuracy: ${s.overall.certifiedAccuracy.map((c) => `r=${c.radius}: ${(100 * c.accuracy).toFixed(1)}%`).join(", ")}`,
  ];
  return {
    kind,
    configHash: configHash(kind, a.config),
    config: a.config,
    overall: s.overall as unknown as Json,
    bins: s.bins as unknown as Json,
    noisyForwardPasses: samples,
    lines,
  };
}

/** Merges share files into `<out>/<kind>.npz` (+ summary); refuses shares of different code
 * versions or configs, conflicting or missing units, naming the files. Nothing is written when it refuses. */
export function mergeShareFilesTo(files: readonly string[], out: string, log: (s: string) => void): string {
  if (files.length === 0) throw new InputError("merge: no share files given");
  const bytes = files.map(readInputFile);
  let artifact: Uint8Array;
  try {
    artifact = mergeShareFiles(bytes, files);
  } catch (e) {
    if (
      e instanceof MergeError ||
      e instanceof CodeVersionError ||
      e instanceof ContainerError ||
      e instanceof RangeError
    )
      throw new InputError(`merge refused: ${e.message}`);
    throw e;
  }
  return out.endsWith(".npz") ? writeArtifactAt(out, artifact, log) : writeArtifact(resolve(out), artifact, log);
}
