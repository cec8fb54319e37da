// `classfit extract` on worker threads: the extraction as a unit protocol whose unit k is batch
// k's pooled stage rows. Each worker loads the model itself and reads the command's dataset from
// shared memory; a batch's rows depend only on its examples, so the rows, written in order, are
// the bytes of a one-thread extraction.
import { extractRows, type Pooling, shareDataset, stageModel } from "@classfit/models";
import { decodeContainer, encodeContainer, type UnitProtocol } from "@classfit/pipeline";
import { loadModelAndData, type ModelDataOptions } from "../model-data.js";
import type { BuildOptions, BuiltProtocol } from "./run.js";

export interface ExtractSpec extends ModelDataOptions {
  pool: Pooling;
  /** Stage layer names (already resolved from --stages or the manifest). */
  stages: string[];
}

/** The extraction protocol of a spec: unit k = rows [k·batch, (k+1)·batch) of every stage. */
export async function extractFromSpec(
  s: ExtractSpec,
  log: (m: string) => void,
  o: BuildOptions = {},
): Promise<BuiltProtocol & { channels: number[]; batchSize: number }> {
  const { dataset: _d, ...spec } = s;
  const {
    loaded,
    ds: split,
    normalisation,
  } = await loadModelAndData({ ...spec, ...(o.dataset ? { dataset: o.dataset } : {}) }, log);
  try {
    const ds = o.share ? shareDataset(split) : split;
    const { model, channels } = stageModel(loaded.model, s.stages, s.model);
    const bs = Math.max(1, Math.min(s.batchSize, ds.n));
    const protocol: UnitProtocol = {
      kind: "extract",
      config: { dataset: ds.name, n: ds.n, stages: s.stages, pool: s.pool, batchSize: bs, channels },
      numUnits: Math.ceil(ds.n / bs),
      async runUnit(k) {
        const start = k * bs;
        const rows = await extractRows(model, ds, normalisation, s.pool, start, Math.min(bs, ds.n - start));
        // The container has no float32 arrays: the rows travel as their bytes.
        return encodeContainer(
          { start },
          rows.map((r, i) => [`stage:${i}`, new Uint8Array(r.buffer, r.byteOffset, r.byteLength)]),
        );
      },
    };
    return { protocol, dataset: ds, channels, batchSize: bs, dispose: () => loaded.model.dispose() };
  } catch (e) {
    loaded.model.dispose();
    throw e;
  }
}

/** The rows of each stage in a unit's payload. */
export function decodeExtractUnit(payload: Uint8Array, stages: number): Float32Array[] {
  const c = decodeContainer(payload, "extract unit");
  return Array.from({ length: stages }, (_, i) => {
    const a = c.arrays.get(`stage:${i}`);
    if (!(a instanceof Uint8Array) || a.byteLength % 4 !== 0) throw new Error(`extract unit: stage ${i} is missing`);
    return new Float32Array(a.slice().buffer);
  });
}
