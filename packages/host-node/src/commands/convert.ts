// `classfit convert`: rewrites artifacts in the old binary formats (CFA1 .cfa/.cfc/.cfm/.cfs/.cfu,
// CFPJ projections, raw CFDPGMM class models, the older kl.json shapes) as the open formats this
// version writes (.npz, labelled kl.json; docs/python.md). A file is converted beside itself
// (temp file + rename, then the old file removed); a FITDIR of format 1 becomes format 2 (built
// in a staging dir and swapped in whole); a study RUNDIR has every step's outputs converted and
// its step.json updated to name them, so the next `classfit study` run reuses them.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type ConvertHints, convertLegacyBytes, fnv1a64, setLegacyFormatHandler } from "@classfit/pipeline";
import type { Command } from "commander";
import {
  classFileName,
  FITDIR_FORMAT,
  FITDIR_FORMAT_VERSION,
  FitDirWriter,
  type FitManifest,
  readFitDir,
} from "../fitdir.js";
import { InputError, writeFileAtomic } from "../io.js";

export interface ConvertResult {
  /** Files written (new paths). */
  converted: string[];
  /** Files already in the current format (or not classfit files), left as they are. */
  unchanged: number;
}

function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Converts one file beside itself; returns the new path, or undefined when it is not old. */
export function convertFile(path: string): string | undefined {
  const c = convertLegacyBytes(readBytes(path), basename(path), path);
  if (c === undefined) return undefined;
  // A class file of an old FITDIR is listed (name, sha256) in its manifest: convert the whole.
  const mpath = join(dirname(path), "manifest.json");
  if (existsSync(mpath) && readFileSync(mpath, "utf8").includes(`"${FITDIR_FORMAT}"`))
    throw new InputError(
      `${path} belongs to the FITDIR ${dirname(path)}: convert the directory, \`classfit convert ${dirname(path)}\``,
    );
  const target = join(dirname(path), c.name);
  writeFileAtomic(target, c.bytes);
  if (target !== path) rmSync(path, { force: true });
  return target;
}

function convertFitDir(dir: string, manifest: FitManifest): string[] {
  const { classes } = readFitDir(dir);
  const writer = FitDirWriter.begin(dir);
  try {
    const entries = classes.map(({ entry, bytes }) => {
      const c = convertLegacyBytes(bytes, entry.file, join(dir, entry.file));
      if (c === undefined) throw new InputError(`${join(dir, entry.file)}: not an old-format class model`);
      return { ...entry, ...writer.addClass(entry.label, c.bytes) };
    });
    writer.commit({ ...manifest, formatVersion: FITDIR_FORMAT_VERSION, classes: entries });
  } catch (e) {
    writer.abort();
    throw e;
  }
  return classes.map((c) => join(dir, classFileName(c.entry.label)));
}

interface StepRecordLike {
  format?: unknown;
  step?: unknown;
  config?: unknown;
  outputs?: Record<string, string>;
}

/** A study step folder: converts its listed outputs, then rewrites step.json to name them. */
function convertStepDir(dir: string, done: string[], classNames?: readonly string[]): Set<string> {
  const recordPath = join(dir, "step.json");
  const record = JSON.parse(readFileSync(recordPath, "utf8")) as StepRecordLike;
  // An old complexity step's bare kl.json lacks its settings: they are the step's config.
  const hints: ConvertHints =
    record.step === "complexity" && typeof record.config === "object" && record.config !== null
      ? { kl: { ...(record.config as ConvertHints["kl"]), classNames } }
      : {};
  const handled = new Set<string>(["step.json"]);
  if (record.format !== "classfit-step" || typeof record.outputs !== "object" || record.outputs === null)
    return handled;
  const outputs: Record<string, string> = {};
  const remove: string[] = [];
  let changed = false;
  for (const [name, hash] of Object.entries(record.outputs)) {
    handled.add(name);
    const path = join(dir, name);
    const c = existsSync(path) ? convertLegacyBytes(readBytes(path), name, path, hints) : undefined;
    if (c === undefined) {
      outputs[name] = hash;
      continue;
    }
    writeFileAtomic(join(dir, c.name), c.bytes);
    outputs[c.name] = fnv1a64(c.bytes);
    if (c.name !== name) remove.push(path);
    done.push(join(dir, c.name));
    changed = true;
  }
  if (changed) {
    // Outputs first, the record last (as the study commits a step), then the old files.
    writeFileAtomic(recordPath, `${JSON.stringify({ ...record, outputs }, null, 1)}\n`);
    for (const p of remove) rmSync(p, { force: true });
  }
  return handled;
}

function walk(dir: string, out: ConvertResult, classNames?: readonly string[]): void {
  const handled = existsSync(join(dir, "step.json"))
    ? convertStepDir(dir, out.converted, classNames)
    : new Set<string>();
  const names = readdirSync(dir).sort();
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!name.startsWith(".")) convertPath(path, out, classNames);
      continue;
    }
    if (handled.has(name) || name.startsWith(".")) continue;
    const target = convertFile(path);
    if (target === undefined) out.unchanged++;
    else out.converted.push(target);
  }
}

function convertPath(path: string, out: ConvertResult, classNames?: readonly string[]): void {
  if (!statSync(path).isDirectory()) {
    const target = convertFile(path);
    if (target === undefined) out.unchanged++;
    else out.converted.push(target);
    return;
  }
  const mpath = join(path, "manifest.json");
  if (existsSync(mpath)) {
    let m: { format?: unknown; formatVersion?: unknown; dataset?: { classNames?: unknown } } = {};
    try {
      m = JSON.parse(readFileSync(mpath, "utf8"));
    } catch {
      // not a FITDIR manifest: a study's manifest or something else; walked below
    }
    if (m.format === FITDIR_FORMAT) {
      if (m.formatVersion === 1) out.converted.push(...convertFitDir(path, m as FitManifest));
      else out.unchanged++;
      return;
    }
    // A study RUNDIR's manifest names the classes an old kl.json does not.
    const names = m.dataset?.classNames;
    if (Array.isArray(names) && names.every((x) => typeof x === "string")) classNames = names as string[];
  }
  walk(path, out, classNames);
}

/** Converts every old-format artifact at the given paths (files or directories). */
export function runConvert(paths: readonly string[], log: (s: string) => void = console.log): ConvertResult {
  const out: ConvertResult = { converted: [], unchanged: 0 };
  // Reading old files to convert them is the point here: no deprecation notes.
  const previous = setLegacyFormatHandler(() => {});
  try {
    for (const p of paths) {
      if (!existsSync(p)) throw new InputError(`${p}: cannot read (no such file or directory)`);
      convertPath(p, out);
    }
  } finally {
    setLegacyFormatHandler(previous);
  }
  for (const p of out.converted) log(`converted ${p}`);
  log(`convert: ${out.converted.length} file(s) converted, ${out.unchanged} already current or not classfit files`);
  return out;
}

export function register(program: Command): void {
  program
    .command("convert")
    .description(
      "Rewrite artifacts in the old binary formats (.cfa/.cfc/.cfm/.cfs/.cfu, projection.bin, class-N.bin, " +
        "model.dpgmm, older kl.json) as the open formats (.npz, labelled kl.json; docs/python.md), atomically. " +
        "A directory is converted throughout: a FITDIR, a study RUNDIR, a unit directory.",
    )
    .argument("<paths...>", "old-format files or directories holding them")
    .action((paths: string[]) => {
      runConvert(paths);
    });
}
