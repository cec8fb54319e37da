// Tiny reader for the gzipped Fashion-MNIST IDX files, and the pieces of the `reduce` → `fit` run
// shared by the CLI benchmarks (fit-fashion-mnist.mjs, density-quality.mjs). Bench-only: the CLI
// never reads IDX. The files come from the folder named by $CLASSFIT_FASHION_MNIST.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "fflate";
import { fashionMnistDir } from "../scripts/fashion-mnist-dir.mjs";

/** Parses an IDX file (ubyte only): { dims, data: Uint8Array }. */
export function readIdx(path) {
  const raw = gunzipSync(new Uint8Array(readFileSync(path)));
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic >>> 8 !== 0x08) throw new Error(`${path}: not a ubyte IDX file (magic 0x${magic.toString(16)})`);
  const nd = magic & 0xff;
  const dims = Array.from({ length: nd }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const off = 4 + 4 * nd;
  const size = dims.reduce((a, b) => a * b, 1);
  if (raw.length - off !== size) throw new Error(`${path}: expected ${size} bytes of data, found ${raw.length - off}`);
  return { dims, data: raw.subarray(off) };
}

/**
 * Fashion-MNIST training images split per class: for each class c, rows `start .. start+count`
 * of that class in file order. Returns pixels/255 as float64 rows (784) and int32 labels.
 */
export function fashionSubset({ start, count, split = "train" }) {
  const dir = fashionMnistDir();
  const img = readIdx(join(dir, `${split}-images-idx3-ubyte.gz`));
  const lab = readIdx(join(dir, `${split}-labels-idx1-ubyte.gz`));
  const d = img.dims[1] * img.dims[2];
  const seen = new Array(10).fill(0);
  const picked = [];
  for (let i = 0; i < lab.data.length; i++) {
    const y = lab.data[i];
    if (seen[y] >= start && seen[y] < start + count) picked.push(i);
    seen[y]++;
  }
  picked.sort((a, b) => lab.data[a] - lab.data[b] || a - b);
  const x = new Float64Array(picked.length * d);
  const y = new Int32Array(picked.length);
  picked.forEach((i, r) => {
    for (let j = 0; j < d; j++) x[r * d + j] = img.data[i * d + j] / 255;
    y[r] = lab.data[i];
  });
  return { x, y, n: picked.length, d };
}

/** The default profile's sampler before the many-short-chains default: 2 chains × 400 sweeps,
 * burn-in 320, thin 4 (one split–merge proposal per burn-in sweep, as the profile still has). */
export const OLD_DEFAULT = ["--sweeps", "400", "--burn-in", "320", "--thin", "4", "--chains", "2"];

/**
 * argv of the benchmarks' `classfit fit` of DIR/Z.npy (labels DIR/y.npy) into DIR/out. `schedule`:
 * "profile" leaves the profile's own sampler settings; "old" is OLD_DEFAULT; a number n is n sweeps
 * with burn-in at 80 % and thin 4 (and the profile's chains).
 */
export function fitArgv({ dir, out, workers, profile, schedule = "profile" }) {
  const sched =
    schedule === "profile"
      ? []
      : schedule === "old"
        ? OLD_DEFAULT
        : ["--sweeps", String(schedule), "--burn-in", String(Math.floor(schedule * 0.8)), "--thin", "4"];
  return [
    "fit",
    "--data",
    join(dir, "Z.npy"),
    "--labels",
    join(dir, "y.npy"),
    "--out",
    join(dir, out),
    ...sched,
    ...(profile === undefined ? [] : ["--profile", profile]),
    "--workers",
    String(workers),
  ];
}

/** The 1/5/15-minute load averages, two decimals (benchmarks print them at start and end). */
export const loadAverage = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(" ");
