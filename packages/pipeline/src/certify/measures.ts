// Measures of a smoothed classifier over a group of examples (METHOD.md §9), from per-example
// CERTIFY results. Only + − × ÷ are used, so the figures are identical in every engine.

export interface ClassF1 {
  cls: number;
  /** Examples of this class in the group. */
  support: number;
  /** Non-abstained predictions of this class in the group. */
  predicted: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface GroupMeasures {
  count: number;
  /** Fraction of examples with a (non-abstained) prediction. */
  notAbstained: number;
  /** Fraction predicted correctly (= certified accuracy at radius 0). */
  accuracy: number;
  /**
   * Macro-F1 of the smoothed classifier, scikit-learn's `f1_score(average="macro")` with an
   * abstention counted as a wrong prediction: over the classes that occur in the group as a
   * true label or as a (non-abstained) prediction, F1_c = 2·TP_c / (2·TP_c + FP_c + FN_c)
   * (0 when TP_c = 0), where an abstention on an example of class c is a false negative of c
   * and a false positive of no class; macro-F1 is their unweighted mean.
   */
  macroF1: number;
  /** Micro-F1 = 2·correct / (count + non-abstained); equals accuracy when nothing abstains. */
  microF1: number;
  /** Mean certified radius, counting 0 for abstained or wrong predictions. */
  meanRadius: number;
  /** Fraction of examples predicted correctly with certified radius ≥ r, per requested r. */
  certifiedAccuracy: { radius: number; accuracy: number }[];
  perClass: ClassF1[];
}

export const DEFAULT_RADII: readonly number[] = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];

/**
 * Measures over the examples `members` (indices into the arrays; all when omitted).
 * `labels`, `predictions` (−1 = abstain) and `radii` are per example.
 */
export function groupMeasures(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  radii: ArrayLike<number>,
  numClasses: number,
  options: { members?: ArrayLike<number>; radiusList?: readonly number[] } = {},
): GroupMeasures {
  if (labels.length !== predictions.length || labels.length !== radii.length)
    throw new RangeError(
      `groupMeasures: labels (${labels.length}), predictions (${predictions.length}) and radii (${radii.length}) differ in length`,
    );
  const radiusList = options.radiusList ?? DEFAULT_RADII;
  const members = options.members ?? Int32Array.from({ length: labels.length }, (_, i) => i);
  const support = new Float64Array(numClasses);
  const predicted = new Float64Array(numClasses);
  const tp = new Float64Array(numClasses);
  const certified = new Float64Array(radiusList.length);
  let count = 0;
  let nonAbstained = 0;
  let correct = 0;
  let radiusSum = 0;
  for (let m = 0; m < members.length; m++) {
    const i = members[m] as number;
    const y = labels[i] as number;
    const p = predictions[i] as number;
    const r = radii[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses)
      throw new RangeError(`groupMeasures: label ${y} of example ${i} is not a class in [0, ${numClasses})`);
    if (!Number.isInteger(p) || p < -1 || p >= numClasses)
      throw new RangeError(`groupMeasures: prediction ${p} of example ${i} is neither -1 nor a class`);
    count++;
    support[y] = (support[y] as number) + 1;
    if (p >= 0) {
      nonAbstained++;
      predicted[p] = (predicted[p] as number) + 1;
    }
    if (p === y) {
      correct++;
      tp[y] = (tp[y] as number) + 1;
      radiusSum += r;
      for (let k = 0; k < radiusList.length; k++)
        if (r >= (radiusList[k] as number)) certified[k] = (certified[k] as number) + 1;
    }
  }
  const perClass: ClassF1[] = [];
  let macroSum = 0;
  let macroCount = 0;
  for (let c = 0; c < numClasses; c++) {
    const s = support[c] as number;
    const pr = predicted[c] as number;
    const t = tp[c] as number;
    const f1 = s + pr > 0 ? (2 * t) / (s + pr) : 0; // 2TP/(2TP+FP+FN) with FP = pr−t, FN = s−t
    perClass.push({
      cls: c,
      support: s,
      predicted: pr,
      truePositives: t,
      precision: pr > 0 ? t / pr : 0,
      recall: s > 0 ? t / s : 0,
      f1,
    });
    if (s + pr > 0) {
      macroSum += f1;
      macroCount++;
    }
  }
  const frac = (x: number) => (count > 0 ? x / count : Number.NaN);
  return {
    count,
    notAbstained: frac(nonAbstained),
    accuracy: frac(correct),
    macroF1: macroCount > 0 ? macroSum / macroCount : Number.NaN,
    microF1: count > 0 ? (2 * correct) / (count + nonAbstained) : Number.NaN,
    meanRadius: frac(radiusSum),
    certifiedAccuracy: radiusList.map((radius, k) => ({ radius, accuracy: frac(certified[k] as number) })),
    perClass,
  };
}
