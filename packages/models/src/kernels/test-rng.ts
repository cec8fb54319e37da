// Seeded test data for the kernel tests (test-only; excluded from the build).

/** xorshift32 uniforms in [0, 1): test data only (the kernels under test consume no randomness). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
