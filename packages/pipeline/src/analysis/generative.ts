// Generative classification: each example goes to the class whose density model gives it the
// highest log-density, which shows how well the per-class models separate the classes.

import { type ClassScoreTable, StudyInputError } from "./types.js";

export interface GenerativeResult {
  stage: string;
  numClasses: number;
  n: number;
  accuracy: number;
  /** confusion[t][p]: examples of true class t assigned to class p. */
  confusion: number[][];
  recall: number[];
}

/**
 * Accuracy, confusion matrix and per-class recall of argmax-score classification (ties go to the
 * lowest class index). `where` names the table in the StudyInputError thrown for a bad shape,
 * label or NaN score.
 */
export function generativeClassification(t: ClassScoreTable, where: string): GenerativeResult {
  const C = t.numClasses;
  const n = t.labels.length;
  if (!Number.isInteger(C) || C < 2) throw new StudyInputError(`${where}: numClasses must be an integer ≥ 2, got ${C}`);
  if (t.scores.length !== n * C)
    throw new StudyInputError(`${where}: scores has ${t.scores.length} values, shape (${n}, ${C}) needs ${n * C}`);
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const label = t.labels[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= C)
      throw new StudyInputError(`${where}: labels[${i}] = ${label} is not in [0, ${C})`);
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) {
      const s = t.scores[i * C + c] as number;
      if (Number.isNaN(s)) throw new StudyInputError(`${where}: scores[${i}, ${c}] is NaN`);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    const row = confusion[label] as number[];
    row[best] = (row[best] as number) + 1;
    if (best === label) correct++;
  }
  const recall = confusion.map((row, c) => {
    const tot = row.reduce((a, b) => a + b, 0);
    return tot > 0 ? (row[c] as number) / tot : Number.NaN;
  });
  return { stage: t.stage, numClasses: C, n, accuracy: n > 0 ? correct / n : Number.NaN, confusion, recall };
}
