// The browser implementation of @classfit/pipeline's host interface: IndexedDB run storage,
// dropped files + the embedded default as resources, a Web Worker pool for the per-class tasks
// and one for the units of memorization and certification,
// progress as messages to the page, the browser clock, and the page's Cancel as the abort
// signal. tfjs loads the same SIMD single-thread wasm binary as in Node (models' initBackend).
import type { PipelineHost, ProgressReporter } from "@classfit/pipeline";
import tfjsWasmUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import coreWasmUrl from "../../wasm-core/build/classfit-core.wasm?url";
import { webWorkerPool } from "./pool.js";
import { webResources } from "./resources.js";
import { IndexedDbRunStorage, openRunDb } from "./storage.js";
import { webUnitExecutor } from "./unit-pool.js";

export const HOST_VERSION = "0.1.0";

/** Absolute URL of an emitted asset (workers resolve relative URLs against their own script). */
const assetUrl = (u: string): string => new URL(u, import.meta.url).href;

let coreModule: Promise<WebAssembly.Module> | undefined;

/** wasm-core, compiled once per worker and shared with the task workers. */
export function loadCoreModule(): Promise<WebAssembly.Module> {
  coreModule ??= WebAssembly.compileStreaming(fetch(assetUrl(coreWasmUrl))).catch((e: unknown) => {
    coreModule = undefined;
    throw new Error(
      `could not load wasm-core (${assetUrl(coreWasmUrl)}): ${e instanceof Error ? e.message : String(e)}`,
    );
  });
  return coreModule;
}

export interface WebHostOptions {
  runId: string;
  files: Map<string, Blob>;
  workers: number;
  progress: ProgressReporter;
  signal: AbortSignal;
}

export async function createWebHost(
  o: WebHostOptions,
): Promise<PipelineHost & { dispose(): void; storage: IndexedDbRunStorage }> {
  const db = await openRunDb();
  const module = await loadCoreModule();
  const pool = webWorkerPool(Math.max(1, o.workers), module, o.signal);
  return {
    storage: new IndexedDbRunStorage(db, o.runId),
    resources: webResources(o.files),
    pool,
    unitExecutor: (job, protocol, size) => webUnitExecutor(protocol, job, size, module, assetUrl(tfjsWasmUrl)),
    progress: o.progress,
    clock: { now: () => performance.now(), isoNow: () => new Date().toISOString() },
    signal: o.signal,
    tfjsWasmPath: assetUrl(tfjsWasmUrl),
    hostName: `classfit host-web ${HOST_VERSION} (${navigator.userAgent})`,
    dispose() {
      pool.dispose();
      db.close();
    },
  };
}
