// Test-only: a PipelineHost over memory storage and Node file reads (not exported from the index).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadDataset } from "@classfit/models/node";
import { MemoryRunStorage, type PipelineHost } from "../host/index.js";

export function memoryHost(extra: Partial<PipelineHost> = {}): PipelineHost & { storage: MemoryRunStorage } {
  let t = 0;
  return {
    storage: new MemoryRunStorage(),
    resources: {
      loadDataset: (path, split) => loadDataset({ path, split }),
      readFile: async (path) => new Uint8Array(await readFile(path)),
      readModel: async (path) => {
        const modelJson = await readFile(join(path, "model.json"), "utf8");
        const weights = new Uint8Array(await readFile(join(path, "weights.bin")));
        const manifestJson = await readFile(join(path, "manifest.json"), "utf8").catch(() => undefined);
        return manifestJson === undefined ? { modelJson, weights } : { modelJson, weights, manifestJson };
      },
    },
    // A fake clock: timings are recorded but never make two runs' artifacts differ.
    clock: { now: () => (t += 1), isoNow: () => "2026-01-01T00:00:00.000Z" },
    hostName: "test",
    ...extra,
  } as PipelineHost & { storage: MemoryRunStorage };
}
