// The run directory in the browser: IndexedDB, one record per artifact keyed by [runId, path].
// A put is its own transaction, so an artifact is either entirely there or absent — the
// atomicity the pipeline asks of `write` (a closed or crashed tab never leaves half a file).
// Runs survive reloads, so rerunning the same config with the same run id resumes.
import type { RunStorage } from "@classfit/pipeline";

const DB_NAME = "classfit";
const STORE = "files";

export function openRunDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () =>
      reject(new Error(`browser storage (IndexedDB) unavailable: ${req.error?.message ?? "unknown"}`));
    req.onblocked = () => reject(new Error("browser storage (IndexedDB) is blocked by another tab of this app"));
  });
}

function done<T>(req: IDBRequest<T>, tx: IDBTransaction, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(req.result);
    const fail = () => {
      const e = tx.error ?? req.error;
      const quota = e?.name === "QuotaExceededError";
      reject(
        new Error(
          `${what}: ${quota ? "the browser's storage quota is full (delete old runs in the page)" : (e?.message ?? "failed")}`,
        ),
      );
    };
    tx.onerror = fail;
    tx.onabort = fail;
  });
}

export class IndexedDbRunStorage implements RunStorage {
  constructor(
    readonly db: IDBDatabase,
    readonly runId: string,
  ) {
    if (runId.length === 0 || runId.includes("\u0000")) throw new Error(`bad run id '${runId}'`);
  }

  private check(path: string): void {
    if (path.split("/").some((p) => p === ".." || p === "") || path.startsWith("/"))
      throw new Error(`run storage: refusing path '${path}'`);
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    this.check(path);
    const tx = this.db.transaction(STORE, "readonly");
    const v = await done(tx.objectStore(STORE).get([this.runId, path]), tx, `read ${path}`);
    return v === undefined ? undefined : new Uint8Array(v as ArrayBuffer);
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    this.check(path);
    const tx = this.db.transaction(STORE, "readwrite");
    // A copy of exactly these bytes (a view may sit inside a larger buffer).
    const copy = bytes.slice().buffer;
    await done(tx.objectStore(STORE).put(copy, [this.runId, path]), tx, `write ${path}`);
  }

  async remove(path: string): Promise<void> {
    this.check(path);
    const tx = this.db.transaction(STORE, "readwrite");
    await done(tx.objectStore(STORE).delete([this.runId, path]), tx, `remove ${path}`);
  }

  /** Every path of this run, sorted. */
  async list(): Promise<string[]> {
    const tx = this.db.transaction(STORE, "readonly");
    const range = IDBKeyRange.bound([this.runId, ""], [this.runId, "\uffff"]);
    const keys = await done(tx.objectStore(STORE).getAllKeys(range), tx, "list the run");
    return keys.map((k) => (k as [string, string])[1]).sort();
  }

  /** Deletes the whole run. */
  async clear(): Promise<void> {
    const tx = this.db.transaction(STORE, "readwrite");
    const range = IDBKeyRange.bound([this.runId, ""], [this.runId, "\uffff"]);
    await done(tx.objectStore(STORE).delete(range), tx, "delete the run");
  }
}

/** Run ids present in the database. */
export async function listRuns(db: IDBDatabase): Promise<string[]> {
  const tx = db.transaction(STORE, "readonly");
  const keys = await done(tx.objectStore(STORE).getAllKeys(), tx, "list runs");
  return [...new Set(keys.map((k) => (k as [string, string])[0]))].sort();
}
