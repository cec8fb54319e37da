// Random streams. All randomness of a protocol comes from wasm-core's Rng seeded by
// (config seed, stream); each purpose has a tag and each unit/example its index, so a stream
// depends only on (seed, purpose, index) — not on sharding, ordering or chunk sizes.
export const STREAM_TAG = {
  memorizationSubset: 1,
  memorizationTrainSeed: 2,
  certifyExample: 3,
  densityBinTrainSeed: 4,
  memorizationFolds: 5,
} as const;

const INDEX_LIMIT = 2 ** 32;

/** Stream number tag·2^32 + index (index < 2^32; the result stays below 2^53). */
export function streamOf(tag: number, index: number): number {
  if (!Number.isSafeInteger(index) || index < 0 || index >= INDEX_LIMIT)
    throw new RangeError(`stream index must be an integer in [0, 2^32), got ${index}`);
  return tag * INDEX_LIMIT + index;
}
