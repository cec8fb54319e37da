// `classfit reduce`: SVD projection of a representation matrix onto its top-k right singular
// vectors (METHOD.md §2; uncentred like the authors unless --center), or applying a projection
// saved by an earlier run to new rows (e.g. held-out data) with --projection.
import { existsSync, readFileSync } from "node:fs";
import { createCore } from "@classfit/wasm-core/node";
import type { Command } from "commander";
import { projectionApply, projectionFit } from "../compute.js";
import { InputError, readMatrix, writeFileAtomic, writeNpyAtomic } from "../io.js";
import { intArg } from "../options.js";

/** Default sidecar path of the projection written beside Z.npy: Z.projection.npz. */
export function projectionPathFor(out: string): string {
  return `${out.replace(/\.npy$/i, "")}.projection.npz`;
}

interface ReduceOptions {
  data: string;
  out: string;
  k?: number;
  center?: boolean;
  projection?: string;
  saveProjection?: string;
}

export async function runReduce(o: ReduceOptions, log: (s: string) => void = console.log): Promise<void> {
  const m = readMatrix(o.data);
  const core = await createCore();
  if (o.projection) {
    if (o.k !== undefined || o.center) {
      throw new InputError("--projection applies a saved projection; --k and --center come from it and cannot be set");
    }
    if (!existsSync(o.projection)) throw new InputError(`${o.projection}: no such projection file`);
    const { z, k } = projectionApply(core, new Uint8Array(readFileSync(o.projection)), m.data, m.n, m.d, o.projection);
    writeNpyAtomic(o.out, z, [m.n, k]);
    log(`${o.out}: ${m.n} × ${k} (projected with ${o.projection})`);
    return;
  }
  const k = o.k ?? 64;
  if (k > m.d) throw new InputError(`--k ${k} exceeds the ${m.d} columns of ${o.data}`);
  if (k > m.n)
    throw new InputError(`--k ${k} exceeds the ${m.n} rows of ${o.data}; at most min(n, d) directions exist`);
  const r = projectionFit(core, m.data, m.n, m.d, k, o.center ?? false);
  const ppath = o.saveProjection ?? projectionPathFor(o.out);
  // Projection first: a Z.npy on disk always has its projection beside it.
  writeFileAtomic(ppath, r.projectionBytes);
  writeNpyAtomic(o.out, r.z, [m.n, k]);
  log(
    `${o.out}: ${m.n} × ${k} from ${o.data} (${m.n} × ${m.d}, ${o.center ? "centred PCA" : "uncentred SVD"}); ` +
      `retained energy ${(100 * r.retainedEnergy).toFixed(2)}%; projection → ${ppath}`,
  );
}

export function register(program: Command): void {
  program
    .command("reduce")
    .description(
      "Project a representation matrix onto its top-k right singular vectors (SVD; --center for PCA). " +
        "Writes Z.npy and the projection (Z.projection.npz) and prints the retained energy Σ_{i≤k} s_i² / Σ s_i².",
    )
    .requiredOption("--data <R.npy>", "input matrix, float32/float64, shape (n, c)")
    .requiredOption("--out <Z.npy>", "output matrix, float64, shape (n, k)")
    .option("--k <k>", "number of directions kept (default 64)", intArg(1))
    .option("--center", "subtract the column means first (PCA); the authors do not")
    .option("--projection <file>", "apply this saved projection instead of fitting one")
    .option("--save-projection <file>", "where to write the fitted projection (default: <out>.projection.npz)")
    .action(async (opts: ReduceOptions) => {
      await runReduce(opts);
    });
}
