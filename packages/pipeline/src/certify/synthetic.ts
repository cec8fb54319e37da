// Synthetic smoothing backends whose answers are known by construction, for tests and
// benchmarks of the certification protocols without a network.
import type { Rng } from "@classfit/wasm-core";
import type { SmoothedClassifierBackend } from "./cohen.js";

/**
 * A "model" whose noisy predictions are i.i.d. draws from a class distribution known in
 * advance: the input IS the probability vector (length numClasses, summing to 1), and each
 * noisy sample is class c with probability input[c] (one uniform from `rng` per sample, mapped
 * through the cumulative distribution). p_A = input[c] exactly. `sigma` is ignored.
 */
export function categoricalBackend(numClasses: number): SmoothedClassifierBackend & { passes: number } {
  return {
    numClasses,
    passes: 0,
    async countNoisy(input: Float32Array, _sigma: number, samples: number, rng: Rng, batchSize: number) {
      if (input.length !== numClasses)
        throw new RangeError(`categorical backend: input has ${input.length} probabilities for ${numClasses} classes`);
      const cdf = new Float64Array(numClasses);
      let acc = 0;
      for (let c = 0; c < numClasses; c++) {
        acc += input[c] as number;
        cdf[c] = acc;
      }
      const counts = new Int32Array(numClasses);
      for (let done = 0; done < samples; done += batchSize) {
        const u = rng.uniform(Math.min(batchSize, samples - done));
        for (const x of u) {
          let c = 0;
          while (c < numClasses - 1 && x >= (cdf[c] as number)) c++;
          counts[c] = (counts[c] as number) + 1;
        }
      }
      this.passes += samples;
      return counts;
    },
  };
}

/**
 * A backend that returns scripted counts: `script(samples, call)` gives the counts of the
 * `call`-th request (0-based) for `samples` samples. Draws nothing.
 */
export function scriptedBackend(
  numClasses: number,
  script: (samples: number, call: number) => ArrayLike<number>,
): SmoothedClassifierBackend & { calls: number } {
  return {
    numClasses,
    calls: 0,
    async countNoisy(_input: Float32Array, _sigma: number, samples: number) {
      return Int32Array.from(script(samples, this.calls++));
    },
  };
}
