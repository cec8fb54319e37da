// Spatial compactness of a class (METHOD.md §6): the mean pairwise Euclidean distance between
// the reduced representations of distinct class members. The authors exclude zero distances
// (duplicate representations), so that is the default here too.
//
// Exact: all n(n−1)/2 pairs, O(n² d). Sampled: m pairs (i, j), i ≠ j, drawn uniformly with
// replacement from a seeded wasm-core Rng, with the standard error of that estimate.
// Only + − × ÷ and Math.sqrt, in a fixed order, so Node and browsers give identical bits.

import type { Rng } from "@classfit/wasm-core";

export interface CompactnessOptions {
  /** "exact", "sampled", or "auto" (exact up to `maxExactPairs` pairs). Default "auto". */
  method?: "exact" | "sampled" | "auto";
  /** Pair count above which "auto" samples. Default 5e7 (n ≈ 10 000). */
  maxExactPairs?: number;
  /** Pairs drawn by the sampled estimate. Default 1e6. */
  pairs?: number;
  /** Source of the sampled pairs; required when sampling. */
  rng?: Rng;
  /** Leave out pairs at distance 0, as the authors do. Default true. */
  excludeZero?: boolean;
}

export interface Compactness {
  /** Mean pairwise distance (NaN when no pair qualifies). */
  value: number;
  method: "exact" | "sampled";
  /** Pairs averaged (after excluding zero distances). */
  pairs: number;
  /** Pairs at distance exactly 0 that were left out (or kept, when excludeZero is false). */
  zeroPairs: number;
  /** Standard error of `value`: 0 for the exact mean, sd/√pairs for the sampled one. */
  standardError: number;
}

function distance(x: Float64Array, i: number, j: number, d: number): number {
  let s = 0;
  const a = i * d;
  const b = j * d;
  for (let k = 0; k < d; k++) {
    const t = (x[a + k] as number) - (x[b + k] as number);
    s += t * t;
  }
  return Math.sqrt(s);
}

/**
 * Compactness of one class.
 * @param x Float64Array, shape (n, d), row-major: the class's reduced representations.
 */
export function compactness(x: Float64Array, n: number, d: number, options: CompactnessOptions = {}): Compactness {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(d) || d < 1)
    throw new RangeError(`compactness: shape (${n}, ${d}) is not a valid (n, d)`);
  if (x.length !== n * d)
    throw new RangeError(`compactness: data has ${x.length} values, shape (${n}, ${d}) needs ${n * d}`);
  for (let i = 0; i < x.length; i++)
    if (!Number.isFinite(x[i] as number))
      throw new RangeError(`compactness: non-finite value ${x[i]} at row ${Math.floor(i / d)}, column ${i % d}`);
  if (n < 2) throw new RangeError(`compactness: needs at least 2 class members, got ${n}`);
  const excludeZero = options.excludeZero ?? true;
  const totalPairs = (n * (n - 1)) / 2;
  const method = options.method ?? "auto";
  const exact = method === "exact" || (method === "auto" && totalPairs <= (options.maxExactPairs ?? 5e7));

  if (exact) {
    let sum = 0;
    let zero = 0;
    for (let i = 0; i < n; i++) {
      // Row sums first: shorter accumulations, less rounding.
      let row = 0;
      for (let j = i + 1; j < n; j++) {
        const dist = distance(x, i, j, d);
        if (dist === 0) zero++;
        row += dist;
      }
      sum += row;
    }
    const used = excludeZero ? totalPairs - zero : totalPairs;
    return {
      value: used > 0 ? sum / used : Number.NaN,
      method: "exact",
      pairs: used,
      zeroPairs: zero,
      standardError: 0,
    };
  }

  const rng = options.rng;
  if (rng === undefined) throw new RangeError("compactness: the sampled estimate needs options.rng");
  const m = options.pairs ?? 1_000_000;
  if (!Number.isInteger(m) || m < 2) throw new RangeError(`compactness: pairs must be an integer ≥ 2, got ${m}`);
  let sum = 0;
  let sumSq = 0;
  let used = 0;
  let zero = 0;
  const block = 65536;
  for (let done = 0; done < m; ) {
    const b = Math.min(block, m - done);
    const is = rng.int(b, n);
    const js = rng.int(b, n - 1);
    for (let t = 0; t < b; t++) {
      const i = is[t] as number;
      let j = js[t] as number;
      if (j >= i) j++; // uniform over j ≠ i
      const dist = distance(x, i, j, d);
      if (dist === 0) {
        zero++;
        if (excludeZero) continue;
      }
      sum += dist;
      sumSq += dist * dist;
      used++;
    }
    done += b;
  }
  const value = used > 0 ? sum / used : Number.NaN;
  const varDist = used > 1 ? (sumSq - used * value * value) / (used - 1) : Number.NaN;
  return {
    value,
    method: "sampled",
    pairs: used,
    zeroPairs: zero,
    standardError: Math.sqrt(Math.max(0, varDist) / used),
  };
}
