// Reads the seed-stability data file that bench/stability-data.mjs writes: a header (N, d, fit rows
// per class, held-out rows per class), the N × d float64 rows, then N int32 labels.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The data file at `file` (default: a fixed name in the temp folder), written first if missing. */
export function stabilityData(file) {
  const path = file ?? join(tmpdir(), "classfit-stability-Z64.bin");
  if (!existsSync(path))
    execFileSync(process.execPath, [fileURLToPath(new URL("./stability-data.mjs", import.meta.url)), path], {
      stdio: "inherit",
    });
  return path;
}

/** The fit rows (X) and held-out rows (H) of one class, Float64Array (n, d) row-major each. */
export function classRows(file, cls) {
  const buf = readFileSync(file);
  const [N, d, nTrain, nHeld] = new Int32Array(buf.buffer, buf.byteOffset, 4);
  const all = new Float64Array(buf.buffer.slice(buf.byteOffset + 16, buf.byteOffset + 16 + N * d * 8));
  const labels = new Int32Array(buf.buffer.slice(buf.byteOffset + 16 + N * d * 8));
  const fitRows = [];
  const heldRows = [];
  for (let i = 0; i < N; i++) {
    if (labels[i] !== cls) continue;
    if (fitRows.length < nTrain) fitRows.push(i);
    else if (heldRows.length < nHeld) heldRows.push(i);
  }
  const pick = (ix) => {
    const x = new Float64Array(ix.length * d);
    ix.forEach((r, j) => {
      x.set(all.subarray(r * d, (r + 1) * d), j * d);
    });
    return x;
  };
  return { d, X: pick(fitRows), nFit: fitRows.length, H: pick(heldRows), nHeld: heldRows.length };
}

/** The class names of the embedded default dataset (Fashion-MNIST's, in label order: the
 * stability data's labels). */
export async function classNames() {
  const { loadDataset } = await import("@classfit/models/node");
  return (await loadDataset({ path: "default", split: "train" })).classNames ?? [];
}

/** Kendall's τ between two rankings of the same items, over the pairs that are not tied in either. */
export function kendallTau(x, y) {
  let c = 0;
  let dsc = 0;
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) {
      const s = Math.sign(x[i] - x[j]) * Math.sign(y[i] - y[j]);
      if (s > 0) c++;
      else if (s < 0) dsc++;
    }
  return (c - dsc) / (c + dsc);
}
