// FITDIR: the directory `classfit fit` writes and `density`/`kl` read. Layout and manifest are
// documented in ../FITDIR.md. It is built in a staging directory beside the target
// (`.NAME.partial`) and renamed into place only once every file is written, so an interrupted
// fit never leaves a directory that looks complete; the next run removes a stale staging dir.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CLASS_MODEL_FILE, classDirName, noteLegacyFormat, quietLegacyNote } from "@classfit/pipeline";
import { z } from "zod";
import { InputError, sha256 } from "./io.js";

export const FITDIR_FORMAT = "classfit-fitdir";
/** Version 2: one folder per class, `class-NN/model.npz` (the study's layout); version 1 had
 * raw CFDPGMM files `class-<label>.bin`, still read (with a note) for one version. */
export const FITDIR_FORMAT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];
export const MANIFEST = "manifest.json";

/** An input file: its name, absolute path at fit time and the sha256 of its bytes. */
const fileRef = z.object({ file: z.string(), path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

const classEntry = z.object({
  /** The label value, or null for the single model of an unlabelled fit. */
  label: z.number().int().nullable(),
  n: z.number().int().positive(),
  d: z.number().int().positive(),
  /** Mean number of occupied clusters over the kept traces (all chains). */
  meanK: z.number(),
  /** Split-R̂ of the log-joint trace across chains (null when not computable, e.g. one chain). */
  rhat: z.number().nullable(),
  /** Wall time of this class's fit, seconds. */
  seconds: z.number().nonnegative(),
  /** The sampler's share of the class mean (in-sample and leave-one-out, with their Monte Carlo
   * standard errors and each replicate's value) and rank-normalised R̂/ESS; NaN written as null.
   * Absent in FITDIRs written before it was measured. */
  sampler: z.record(z.string(), z.unknown()).optional(),
  warnings: z.array(z.string()),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.object({
  format: z.literal(FITDIR_FORMAT),
  formatVersion: z.number().int(),
  classfitVersion: z.string(),
  profile: z.string(),
  /** The sampler configuration (dpgmmConfig output), verbatim. */
  config: z.record(z.string(), z.unknown()),
  seed: z.number().int().nonnegative(),
  data: fileRef.extend({ n: z.number().int().positive(), d: z.number().int().positive() }),
  labels: fileRef.nullable(),
  classes: z.array(classEntry).min(1),
});

export type FitManifest = z.infer<typeof manifestSchema>;
export type ClassEntry = z.infer<typeof classEntry>;

/** Path of one class's model inside a FITDIR: `class-NN/model.npz` (`class-all/` unlabelled),
 * the same as in a study's `fit/` folder. */
export function classFileName(label: number | null): string {
  return `${classDirName(label)}/${CLASS_MODEL_FILE}`;
}

/** A manifest's class file name is `NAME` or `DIR/NAME` with plain names (no `..`, no root). */
function plainRelative(file: string): boolean {
  const parts = file.split("/");
  return parts.length <= 2 && parts.every((p) => p !== "" && p !== "." && p !== ".." && basename(p) === p);
}

function stagingPath(target: string): string {
  return join(dirname(resolve(target)), `.${basename(resolve(target))}.partial`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A FITDIR being written. Create with `FitDirWriter.begin`, then `addClass`…, then `commit` (or `abort`). */
export class FitDirWriter {
  readonly target: string;
  readonly staging: string;
  #done = false;

  private constructor(target: string, staging: string) {
    this.target = target;
    this.staging = staging;
  }

  /**
   * Checks the target can be replaced (absent, empty, or an earlier FITDIR), removes a stale
   * staging dir from an interrupted run, and creates a fresh one.
   */
  static begin(target: string): FitDirWriter {
    const abs = resolve(target);
    if (existsSync(abs)) {
      if (!statSync(abs).isDirectory()) throw new InputError(`${target}: exists and is not a directory`);
      const entries = readdirSync(abs);
      if (entries.length > 0 && !entries.includes(MANIFEST)) {
        throw new InputError(
          `${target}: exists, is not empty and is not a classfit FITDIR (no ${MANIFEST}); refusing to replace it`,
        );
      }
    }
    if (!existsSync(dirname(abs))) throw new InputError(`${target}: parent directory ${dirname(abs)} does not exist`);
    const staging = stagingPath(abs);
    if (existsSync(staging)) {
      const pidFile = join(staging, ".pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : Number.NaN;
      if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid)) {
        throw new InputError(`${target}: another classfit process (pid ${pid}) is writing it (${staging})`);
      }
      rmSync(staging, { recursive: true, force: true });
    }
    mkdirSync(staging);
    writeFileSync(join(staging, ".pid"), String(process.pid));
    return new FitDirWriter(abs, staging);
  }

  /** Writes one class's model file into the staging dir; returns its name and sha256. */
  addClass(label: number | null, bytes: Uint8Array): { file: string; sha256: string } {
    const file = classFileName(label);
    mkdirSync(dirname(join(this.staging, file)), { recursive: true });
    writeFileSync(join(this.staging, file), bytes);
    return { file, sha256: sha256(bytes) };
  }

  /** Writes the manifest and moves the finished directory into place, replacing an earlier FITDIR. */
  commit(manifest: FitManifest): void {
    manifestSchema.parse(manifest);
    writeFileSync(join(this.staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(join(this.staging, ".pid"), { force: true });
    let old: string | undefined;
    if (existsSync(this.target)) {
      old = `${this.staging}.old`;
      rmSync(old, { recursive: true, force: true });
      renameSync(this.target, old);
    }
    try {
      renameSync(this.staging, this.target);
    } catch (e) {
      if (old) renameSync(old, this.target);
      throw e;
    }
    if (old) rmSync(old, { recursive: true, force: true });
    this.#done = true;
  }

  /** Removes the staging dir (the target is untouched). Safe to call more than once. */
  abort(): void {
    if (this.#done) return;
    rmSync(this.staging, { recursive: true, force: true });
    this.#done = true;
  }
}

export interface LoadedClass {
  entry: ClassEntry;
  bytes: Uint8Array;
}

/** Reads and validates a FITDIR: manifest schema and version, and every class file's sha256. */
export function readFitDir(dir: string): { manifest: FitManifest; classes: LoadedClass[] } {
  const mpath = join(dir, MANIFEST);
  if (!existsSync(dir)) throw new InputError(`${dir}: no such FITDIR`);
  if (!existsSync(mpath)) {
    const partial = existsSync(stagingPath(dir)) ? ` (an interrupted fit left ${stagingPath(dir)})` : "";
    throw new InputError(`${dir}: not a classfit FITDIR (no ${MANIFEST})${partial}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(mpath, "utf8"));
  } catch (e) {
    throw new InputError(`${mpath}: not valid JSON (${(e as Error).message})`);
  }
  const head = z.object({ format: z.string(), formatVersion: z.number() }).safeParse(raw);
  if (!head.success || head.data.format !== FITDIR_FORMAT) {
    throw new InputError(`${mpath}: not a classfit FITDIR manifest`);
  }
  if (!READABLE_VERSIONS.includes(head.data.formatVersion)) {
    throw new InputError(
      `${mpath}: FITDIR format version ${head.data.formatVersion} is not supported (this classfit reads ${READABLE_VERSIONS.join(" and ")})`,
    );
  }
  if (head.data.formatVersion === 1) noteLegacyFormat(dir, "FITDIR version 1 (class-N.bin)");
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${mpath}: invalid manifest at ${issue?.path.join(".") || "<root>"}: ${issue?.message}`);
  }
  const manifest = parsed.data;
  const classes = manifest.classes.map((entry) => {
    const p = join(dir, entry.file);
    if (!plainRelative(entry.file)) throw new InputError(`${mpath}: class file ${entry.file} is not a plain name`);
    if (!existsSync(p)) throw new InputError(`${p}: missing (listed in ${MANIFEST})`);
    // An old FITDIR is converted as a whole: its own note stands for its class files.
    if (head.data.formatVersion === 1) quietLegacyNote(`${dir}/${entry.file}`);
    const bytes = new Uint8Array(readFileSync(p));
    if (sha256(bytes) !== entry.sha256) {
      throw new InputError(`${p}: sha256 does not match ${MANIFEST} (file changed or corrupt)`);
    }
    return { entry, bytes };
  });
  return { manifest, classes };
}
