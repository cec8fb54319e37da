// Writes the seed-stability bench's data: Fashion-MNIST, the first 1 000 (fit) + next 1 000
// (held-out) training images per class, uncentred SVD to 64 dims fitted on the fit rows.
//   node bench/stability-data.mjs OUT.bin [--k 64] [--per-class 1000]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { fitProjection, project } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { fashionSubset } from "./fashion-mnist-idx.mjs";

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: { k: { type: "string", default: "64" }, "per-class": { type: "string", default: "1000" } },
});
const k = Number(a.k);
const per = Number(a["per-class"]);
const core = await createCore();
const { x, y, n, d } = fashionSubset({ start: 0, count: 2 * per });
const fitRows = [];
for (let i = 0; i < n; i++) if (i % (2 * per) < per) fitRows.push(i);
const xf = new Float64Array(fitRows.length * d);
fitRows.forEach((r, j) => {
  xf.set(x.subarray(r * d, (r + 1) * d), j * d);
});
const proj = fitProjection(core, xf, fitRows.length, d, { k, center: false });
const z = project(core, proj, x, n);
const out = Buffer.alloc(16 + n * k * 8 + n * 4);
out.writeInt32LE(n, 0);
out.writeInt32LE(k, 4);
out.writeInt32LE(per, 8);
out.writeInt32LE(per, 12);
Buffer.from(z.buffer).copy(out, 16);
Buffer.from(y.buffer, y.byteOffset, y.byteLength).copy(out, 16 + n * k * 8);
writeFileSync(positionals[0], out);
console.log(`wrote ${positionals[0]}: ${n} rows × ${k} (retained energy ${proj.retainedEnergy.toFixed(4)})`);
