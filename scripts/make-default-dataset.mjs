#!/usr/bin/env node
// Generates classfit's embedded default dataset: a stratified, seeded subset of Fashion-MNIST
// (Xiao, Rasul & Vollgraf 2017, MIT licence) — 1 000 training and 200 test images per class —
// written as gzipped IDX under packages/models/assets/fashion-mnist-default/.
//
//   node scripts/make-default-dataset.mjs [--src DIR] [--seed 0]
//        [--train-per-class 1000] [--test-per-class 200]
//
// DIR holds the four gzipped IDX files of the full Fashion-MNIST; without --src it is the folder
// named by the environment variable CLASSFIT_FASHION_MNIST.
//
// Needs the built wasm-core (npm run build): the selection draws from its seeded Rng, so the
// subset is a pure function of (source files, seed, counts). Output is byte-reproducible
// (gzip with a zero mtime).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createCore } from "@classfit/wasm-core/node";
import { gunzipSync, gzipSync } from "fflate";
import { fashionMnistDir } from "./fashion-mnist-dir.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    src: { type: "string" },
    out: { type: "string", default: join(root, "packages/models/assets/fashion-mnist-default") },
    seed: { type: "string", default: "0" },
    "train-per-class": { type: "string", default: "1000" },
    "test-per-class": { type: "string", default: "200" },
  },
});
const seed = Number(values.seed);
let src;
try {
  src = fashionMnistDir(values.src, "--src");
} catch (e) {
  console.error(`make-default-dataset: ${e.message}`);
  process.exit(2);
}
const CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

function readIdx(path, expectDims) {
  const b = gunzipSync(readFileSync(path));
  if (b[0] !== 0 || b[1] !== 0 || b[2] !== 8 || b[3] !== expectDims) throw new Error(`${path}: unexpected IDX header`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims = Array.from({ length: expectDims }, (_, i) => dv.getUint32(4 + 4 * i, false));
  return { dims, data: b.subarray(4 + 4 * expectDims) };
}

function writeIdxGz(path, dims, data) {
  const header = new Uint8Array(4 + 4 * dims.length);
  header.set([0, 0, 8, dims.length]);
  const dv = new DataView(header.buffer);
  dims.forEach((d, i) => {
    dv.setUint32(4 + 4 * i, d, false);
  });
  const raw = new Uint8Array(header.length + data.length);
  raw.set(header, 0);
  raw.set(data, header.length);
  const gz = gzipSync(raw, { level: 9, mtime: 0 });
  writeFileSync(`${path}.tmp`, gz);
  renameSync(`${path}.tmp`, path);
  return gz;
}

const core = await createCore();

/** Per class, the first `perClass` indices of a seeded permutation of that class's examples; sorted. */
function stratified(labels, perClass, stream) {
  const rng = core.rng(seed, stream);
  const chosen = [];
  for (let c = 0; c < 10; c++) {
    const idx = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) idx.push(i);
    if (idx.length < perClass) throw new Error(`class ${c} has only ${idx.length} examples, need ${perClass}`);
    const u = rng.uniform(idx.length);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(u[i] * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    chosen.push(...idx.slice(0, perClass));
  }
  rng.dispose();
  return chosen.sort((a, b) => a - b);
}

mkdirSync(values.out, { recursive: true });
const sums = {};
for (const [split, prefix, perClass, stream] of [
  ["train", "train", Number(values["train-per-class"]), 1],
  ["test", "t10k", Number(values["test-per-class"]), 2],
]) {
  const images = readIdx(join(src, `${prefix}-images-idx3-ubyte.gz`), 3);
  const labels = readIdx(join(src, `${prefix}-labels-idx1-ubyte.gz`), 1);
  const sel = stratified(labels.data, perClass, stream);
  const [, h, w] = images.dims;
  const px = h * w;
  const outImages = new Uint8Array(sel.length * px);
  const outLabels = new Uint8Array(sel.length);
  sel.forEach((i, j) => {
    outImages.set(images.data.subarray(i * px, (i + 1) * px), j * px);
    outLabels[j] = labels.data[i];
  });
  for (const [name, dims, data] of [
    [`${prefix}-images-idx3-ubyte.gz`, [sel.length, h, w], outImages],
    [`${prefix}-labels-idx1-ubyte.gz`, [sel.length], outLabels],
  ]) {
    const gz = writeIdxGz(join(values.out, name), dims, data);
    sums[name] = { bytes: gz.length, sha256: createHash("sha256").update(gz).digest("hex") };
  }
  sums[`${split}-source-indices`] = createHash("sha256").update(sel.join(",")).digest("hex");
  console.log(`${split}: ${sel.length} images (${perClass} per class) from ${prefix} in ${src}`);
}
writeFileSync(join(values.out, "classes.txt"), `${CLASSES.join("\n")}\n`);
writeFileSync(
  join(values.out, "SOURCE.json"),
  `${JSON.stringify(
    {
      description: "Stratified seeded subset of Fashion-MNIST (Xiao, Rasul & Vollgraf 2017), MIT licence",
      command: `node scripts/make-default-dataset.mjs --seed ${seed} --train-per-class ${values["train-per-class"]} --test-per-class ${values["test-per-class"]}`,
      seed,
      selection:
        "per class: indices of that class in source order, Fisher–Yates shuffled with wasm-core Rng(seed, stream 1 train / 2 test), first k kept; kept indices sorted ascending",
      files: sums,
    },
    null,
    2,
  )}\n`,
);
for (const [k, v] of Object.entries(sums)) if (typeof v === "object") console.log(`${k}: ${v.bytes} bytes`);
