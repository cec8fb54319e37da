// The non-cryptographic hashes that name things (configs, label vectors, runs): they guard against
// mix-ups, not against forgery. Free of imports so a host's page can take them on their own
// (`@classfit/pipeline/hash`).

/** FNV-1a, 64-bit, over bytes; 16 lowercase hex digits. Identifies configs, label vectors and
 * every artifact a step writes or reuses (so it runs over tens of megabytes per study).
 *
 * The 64-bit state is kept as two 32-bit halves: the prime is 2^40 + 0x1b3, so
 * h·prime mod 2^64 = h·0x1b3 + (lo << 40), and lo·0x1b3 < 2^41 is exact in a double. Same digits
 * as the BigInt form (fnv1a64Reference, kept for the tests), about 50× faster. */
export function fnv1a64(bytes: Uint8Array): string {
  let lo = 0x84222325;
  let hi = 0xcbf29ce4;
  for (let i = 0; i < bytes.length; i++) {
    const x = (lo ^ (bytes[i] as number)) >>> 0;
    const t = x * 0x1b3;
    const carry = Math.floor(t / 4294967296);
    hi = (Math.imul(hi, 0x1b3) + carry + (x << 8)) >>> 0;
    lo = t >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** FNV-1a, 64-bit, in BigInt arithmetic as the FNV specification states it: the reference the
 * tests hold fnv1a64 to. */
export function fnv1a64Reference(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask;
  return h.toString(16).padStart(16, "0");
}

/** FNV-1a, 32-bit, over a string's UTF-16 code units. The browser app's run ids have always been
 * this hash of the config text, and they key the runs it keeps, so it cannot become fnv1a64. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
