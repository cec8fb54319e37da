// Import of published memorization scores: Feldman & Zhang's `.npz` files (arrays `tr_mem`,
// per training example in dataset order, and `tr_labels`), a plain `.npy` of scores, or CSV
// (one score per row; or columns named tr_mem/mem/score and tr_labels/label/labels; or two
// unnamed columns score,label). Checked against the dataset's labels when given.
import { type NpyArray, npyToFloat64, npyToInt32, parseNpy, parseNpz } from "@classfit/models";
import { looksLikeZip } from "@classfit/models/npy";
import { InputError } from "../errors.js";
import { isLegacyContainer, type Json } from "../units/container.js";
import { decodeMemorization } from "./memorization.js";

export interface ImportedScores {
  /** Per training example, dataset order. */
  scores: Float64Array;
  /** Labels the file carries (null when it has none). */
  labels: Int32Array | null;
  format: "npz" | "npy" | "csv";
}

export class ScoreImportError extends InputError {
  override name = "ScoreImportError";
}

const SCORE_NAMES = ["tr_mem", "mem", "memorization", "score", "scores"];
const LABEL_NAMES = ["tr_labels", "label", "labels", "y"];

function vector(arr: NpyArray, name: string): NpyArray {
  const len = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.shape.length !== 1 && !(arr.shape.length === 2 && (arr.shape[1] === 1 || arr.shape[0] === 1)))
    throw new ScoreImportError(`${name}: expected a vector of scores, got shape (${arr.shape.join(", ")})`);
  if (len === 0) throw new ScoreImportError(`${name}: holds no scores`);
  return arr;
}

function parseCsv(text: string, name: string): { scores: Float64Array; labels: Int32Array | null } {
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (rows.length === 0) throw new ScoreImportError(`${name}: empty CSV`);
  const split = (l: string) => l.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
  let scoreCol = 0;
  let labelCol = -1;
  const first = split(rows[0] as string);
  let body = rows;
  if (first.some((c) => c !== "" && Number.isNaN(Number(c)))) {
    const lower = first.map((c) => c.toLowerCase());
    scoreCol = lower.findIndex((c) => SCORE_NAMES.includes(c));
    if (scoreCol < 0)
      throw new ScoreImportError(
        `${name}: header '${rows[0]}' names no score column (one of ${SCORE_NAMES.join(", ")})`,
      );
    labelCol = lower.findIndex((c) => LABEL_NAMES.includes(c));
    body = rows.slice(1);
  } else if (first.length >= 2) labelCol = 1;
  const scores = new Float64Array(body.length);
  const labels = labelCol >= 0 ? new Int32Array(body.length) : null;
  body.forEach((line, r) => {
    const cells = split(line);
    const s = Number(cells[scoreCol]);
    if (cells[scoreCol] === undefined || cells[scoreCol] === "" || !Number.isFinite(s))
      throw new ScoreImportError(`${name}: row ${r + 1}: score '${cells[scoreCol] ?? ""}' is not a finite number`);
    scores[r] = s;
    if (labels) {
      const y = Number(cells[labelCol]);
      if (!Number.isInteger(y))
        throw new ScoreImportError(`${name}: row ${r + 1}: label '${cells[labelCol] ?? ""}' is not an integer`);
      labels[r] = y;
    }
  });
  if (scores.length === 0) throw new ScoreImportError(`${name}: CSV holds no scores`);
  return { scores, labels };
}

/**
 * Reads a score file (format from its content: zip → npz, \x93NUMPY → npy, else CSV text).
 * With `datasetLabels`, the number of scores must match and so must the file's labels (if any).
 */
export function importMemorizationScores(bytes: Uint8Array, name: string, datasetLabels?: Int32Array): ImportedScores {
  let out: ImportedScores;
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const arrays = parseNpz(bytes, { name });
    const memKey = Object.keys(arrays).find((k) => SCORE_NAMES.includes(k));
    if (memKey === undefined)
      throw new ScoreImportError(
        `${name}: no 'tr_mem' array in the archive (it holds ${Object.keys(arrays).join(", ") || "nothing"})`,
      );
    const scores = npyToFloat64(vector(arrays[memKey] as NpyArray, `${name}:${memKey}`), `${name}:${memKey}`);
    const labKey = Object.keys(arrays).find((k) => LABEL_NAMES.includes(k));
    const labels = labKey
      ? npyToInt32(vector(arrays[labKey] as NpyArray, `${name}:${labKey}`), `${name}:${labKey}`)
      : null;
    if (labels && labels.length !== scores.length)
      throw new ScoreImportError(`${name}: ${scores.length} scores but ${labels.length} labels`);
    out = { scores, labels, format: "npz" };
  } else if (bytes[0] === 0x93 && bytes[1] === 0x4e) {
    out = { scores: npyToFloat64(vector(parseNpy(bytes, { name }), name), name), labels: null, format: "npy" };
  } else {
    out = { ...parseCsv(new TextDecoder().decode(bytes), name), format: "csv" };
  }
  out.scores.forEach((s, i) => {
    if (!Number.isFinite(s)) throw new ScoreImportError(`${name}: score of example ${i} is ${s}`);
  });
  if (datasetLabels) {
    if (out.scores.length !== datasetLabels.length)
      throw new ScoreImportError(
        `${name}: ${out.scores.length} scores but the dataset has ${datasetLabels.length} training examples`,
      );
    if (out.labels) {
      const bad: number[] = [];
      out.labels.forEach((y, i) => {
        if (y !== datasetLabels[i]) bad.push(i);
      });
      if (bad.length > 0)
        throw new ScoreImportError(
          `${name}: labels disagree with the dataset at ${bad.length} of ${out.labels.length} examples (first at index ${bad[0]}: file ${out.labels[bad[0] as number]}, dataset ${datasetLabels[bad[0] as number]}); is it the same dataset, in the same order?`,
        );
    }
  }
  return out;
}

/**
 * A score file's scores in the study's example order, `subset` mapping study rows to dataset
 * indices (null when the study takes the whole training set). Published files cover the whole
 * training set in dataset order, so with no subset the length must match exactly: a longer file
 * is as surely another dataset as a shorter one, and would otherwise be cut silently. Labels the
 * file carries must agree with the study's at every example it takes.
 */
export function scoresInStudyOrder(
  file: Pick<ImportedScores, "scores" | "labels">,
  name: string,
  studyLabels: Int32Array,
  subset: Int32Array | null,
): Float64Array {
  const all = file.scores;
  const n = studyLabels.length;
  if (subset === null && all.length > n)
    throw new ScoreImportError(
      `${name}: ${all.length} scores, but the dataset has ${n} training examples (scores follow dataset order; the first without an example is at index ${n})`,
    );
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const i = subset === null ? j : (subset[j] as number);
    if (i >= all.length)
      throw new ScoreImportError(
        `${name}: ${all.length} scores, but dataset example ${i} needs one (scores follow dataset order)`,
      );
    out[j] = all[i] as number;
  }
  const labels = file.labels;
  if (labels !== null) {
    let first = -1;
    let bad = 0;
    for (let j = 0; j < n; j++) {
      const i = subset === null ? j : (subset[j] as number);
      if (labels[i] !== studyLabels[j]) {
        if (first < 0) first = j;
        bad++;
      }
    }
    if (first >= 0) {
      const i = subset === null ? first : (subset[first] as number);
      throw new ScoreImportError(
        `${name}: label of example ${i} is ${labels[i]}, the dataset says ${studyLabels[first]} (${bad} of ${n} labels disagree); the scores are for another dataset or order`,
      );
    }
  }
  return out;
}

/** A score file of any kind the study takes, with the run settings it records (if any). */
export interface ScoreFile {
  scores: Float64Array;
  labels: Int32Array | null;
  format: ImportedScores["format"] | "classfit-memorization";
  /** The memorization run's config, for classfit's own artifact; null otherwise. */
  config: Json;
}

/** Whether bytes are classfit's memorization artifact: an `.npz` whose `meta` member names the
 * format (or an old CFA1 container). */
function isMemorizationArtifact(bytes: Uint8Array, name: string): boolean {
  if (isLegacyContainer(bytes)) return true;
  if (!looksLikeZip(bytes)) return false;
  const meta = parseNpz(bytes, { name }).meta;
  if (meta === undefined || meta.dtype !== "u1") return false;
  try {
    return (
      (JSON.parse(new TextDecoder().decode(meta.data as Uint8Array)) as { format?: unknown }).format ===
      "classfit-memorization"
    );
  } catch {
    return false;
  }
}

/**
 * classfit's own memorization artifact (`classfit memorization` or a merged cluster run: an
 * `.npz` with a `meta` member; or an old CFA1 container) or a published score file
 * (importMemorizationScores).
 */
export function readScoreFile(bytes: Uint8Array, name: string): ScoreFile {
  if (isMemorizationArtifact(bytes, name)) {
    const a = decodeMemorization(bytes, name);
    return { scores: a.score, labels: null, format: "classfit-memorization", config: a.config };
  }
  return { ...importMemorizationScores(bytes, name), config: null };
}
