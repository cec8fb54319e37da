// Shared by the browser entries of the parity tests (entry.ts, eval-entry.ts, models-entry.ts):
// the wasm-core the page fetches, base64 for output bytes, and how a page publishes its outputs
// for collectOutputs (tests/src/browser.ts) to read.
import { Core } from "@classfit/wasm-core";

/** Output bytes as base64 (in chunks: spreading a large array overflows the call stack). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** wasm-core from the very same classfit-core.wasm the Node side loads, served beside the page. */
export async function pageCore(): Promise<Core> {
  return Core.instantiate(await WebAssembly.compileStreaming(fetch("classfit-core.wasm")));
}

/** Runs `run` and sets `window[globalName]` to `{ ok: true, outputs }` or `{ ok: false, error }`. */
export async function publishOutputs<T>(globalName: string, run: () => Promise<T[]>): Promise<void> {
  let result: { ok: true; outputs: T[] } | { ok: false; error: string };
  try {
    result = { ok: true, outputs: await run() };
  } catch (e) {
    result = { ok: false, error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) };
  }
  (window as unknown as Record<string, unknown>)[globalName] = result;
}
