// The page's access to runs kept in IndexedDB: one connection per action, closed when it is done,
// so another tab of the app is never blocked from upgrading the database.
import type { RunManifest, StudyAnalysis } from "@classfit/pipeline";
import { summarizeStudy } from "@classfit/pipeline/summary";
import type { RunSummary } from "./protocol.js";
import { IndexedDbRunStorage, openRunDb } from "./storage.js";

/** Runs `fn` on run `runId`'s storage over a connection of its own. */
export async function withRunStorage<T>(runId: string, fn: (storage: IndexedDbRunStorage) => Promise<T>): Promise<T> {
  const db = await openRunDb();
  try {
    return await fn(new IndexedDbRunStorage(db, runId));
  } finally {
    db.close();
  }
}

/** The bytes of `files` of run `runId` (files gone from storage are left out). */
export function readRunFiles(runId: string, files: readonly string[]): Promise<Map<string, Uint8Array>> {
  return withRunStorage(runId, async (storage) => {
    const all = new Map<string, Uint8Array>();
    for (const f of files) {
      const b = await storage.read(f);
      if (b) all.set(f, b);
    }
    return all;
  });
}

/** A finished run's summary from its manifest and analysis (for runs opened from storage);
 * undefined for a run that did not complete. */
export async function storedSummary(storage: {
  read(path: string): Promise<Uint8Array | undefined>;
}): Promise<RunSummary | undefined> {
  const dec = new TextDecoder();
  const m = await storage.read("manifest.json");
  if (!m) return undefined;
  const manifest = JSON.parse(dec.decode(m)) as RunManifest;
  if (manifest.status !== "complete") return undefined;
  const a = await storage.read("report/analysis.json");
  const analysis = a
    ? (JSON.parse(dec.decode(a)) as StudyAnalysis)
    : ({ networks: [], warnings: [] } as unknown as StudyAnalysis);
  return summarizeStudy(manifest, analysis);
}
