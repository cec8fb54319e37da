// File I/O for the CLI: .npy arrays with the checks a data matrix or a label vector needs, atomic
// writes (temp file beside the target + rename, so a crash never leaves a half-written artifact
// under the final name) and sha256 digests for provenance.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  encodeNpy,
  type NpyArray,
  type NpyData,
  NpyError,
  npyToFloat64,
  npyToInt32,
  parseNpy,
} from "@classfit/models/npy";
import { InputError } from "@classfit/pipeline/errors";

// The pipeline's bad-input error, re-exported so the CLI's modules import their I/O helpers and
// the error from one place: printed as is, exit code 2.
export { InputError };

/**
 * Runs `check`, which validates something the user gave (a model, a flag combination), and
 * turns a plain Error it throws into InputError with the same message: the synchronous twin of
 * the pipeline's readingInput. RangeError passes unchanged, as there.
 */
export function checkingInput<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof InputError || e instanceof NpyError || !(e instanceof Error) || e instanceof RangeError) throw e;
    throw new InputError(e.message, { cause: e });
  }
}

/** A row-major matrix: `data` is Float64Array, shape (n, d). */
export interface Matrix {
  data: Float64Array;
  n: number;
  d: number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads a file that must exist, as InputError naming it otherwise. */
export function readInputFile(path: string): Uint8Array {
  try {
    if (!statSync(path).isFile()) throw new InputError(`${path}: not a file`);
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read (${code === "ENOENT" ? "no such file" : String(code ?? e)})`);
  }
}

/** Reads and parses a .npy file; format problems become InputError naming the path. */
export function readNpyFile(path: string): { array: NpyArray; sha256: string } {
  const bytes = readInputFile(path);
  try {
    return { array: parseNpy(bytes, { name: path }), sha256: sha256(bytes) };
  } catch (e) {
    if (e instanceof NpyError) throw new InputError(e.message);
    throw e;
  }
}

/**
 * Reads a 2-D float32/float64 matrix and checks every value is finite; the first NaN/Inf is
 * reported by row and column (0-based, as NumPy indexes).
 */
export function readMatrix(path: string): Matrix & { sha256: string } {
  const { array, sha256: digest } = readNpyFile(path);
  if (array.shape.length !== 2) {
    throw new InputError(`${path}: expected a 2-D array (rows × dimensions), got shape (${array.shape.join(", ")})`);
  }
  const [n, d] = array.shape as [number, number];
  let data: Float64Array;
  try {
    data = npyToFloat64(array, path);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (n === 0 || d === 0) throw new InputError(`${path}: the array is empty (shape (${n}, ${d}))`);
  checkFinite(data, n, d, path);
  return { data, n, d, sha256: digest };
}

/** Throws on the first non-finite value, naming its row and column. */
export function checkFinite(data: Float64Array, n: number, d: number, what: string): void {
  for (let i = 0; i < n * d; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) {
      throw new InputError(
        `${what}: row ${Math.floor(i / d)}, column ${i % d} is ${Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"}; ` +
          "remove or impute non-finite values first",
      );
    }
  }
}

/** Reads integer labels, shape (n,) (or (n, 1)), and checks they match `n` data rows. */
export function readLabels(path: string, n: number, dataPath: string): { labels: Int32Array; sha256: string } {
  const { array, sha256: digest } = readNpyFile(path);
  const s = array.shape;
  // One dimension only: an (N, 1) column is usually a transposition mistake upstream, and a
  // silently flattened one hides it.
  if (s.length !== 1) {
    throw new InputError(`${path}: labels must be a 1-D array of shape (${n},), got shape (${s.join(", ")})`);
  }
  if (s[0] !== n) {
    throw new InputError(`${path}: holds ${s[0]} labels but ${dataPath} has ${n} rows; they must match row for row`);
  }
  let labels: Int32Array;
  try {
    labels = npyToInt32(array, path);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const bad = labels.findIndex((y) => y < 0);
  if (bad >= 0)
    throw new InputError(`${path}: label ${labels[bad]} at row ${bad} is negative; labels are class indices ≥ 0`);
  return { labels, sha256: digest };
}

/**
 * Writes `bytes` to `path` atomically: a temp file in the same directory (same filesystem, so
 * rename is atomic), then rename over the target. On failure the temp file is removed and any
 * previous file at `path` is untouched.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot write (${String(code ?? (e as Error).message)})`);
  }
}

export function writeNpyAtomic(path: string, data: NpyData, shape: number[]): void {
  writeFileAtomic(path, encodeNpy(data, shape));
}
