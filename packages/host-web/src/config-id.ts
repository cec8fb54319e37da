// The run id the page derives from a study config, so that running the same config again resumes
// the same run. It keys the runs kept in IndexedDB, so its value must never change: it stays the
// 32-bit FNV-1a over UTF-16 code units it has always been. The pipeline's fnv1a64 (64-bit, over
// UTF-8 bytes) would give every stored run a new id and orphan it.

/** FNV-1a, 32-bit, over the string's UTF-16 code units. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** "run-" and 8 hex digits: the id of the run a config (as text) resumes. */
export function configId(text: string): string {
  return `run-${fnv1a32(text).toString(16).padStart(8, "0")}`;
}
