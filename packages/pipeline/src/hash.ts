// The non-cryptographic hashes that name things (configs, label vectors, runs): they guard against
// mix-ups, not against forgery. Free of imports so a host's page can take them on their own
// (`@classfit/pipeline/hash`).

/** FNV-1a, 64-bit, over bytes; 16 lowercase hex digits. Identifies configs and label vectors. */
export function fnv1a64(bytes: Uint8Array): string {
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
