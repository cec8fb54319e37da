// Benchmark (the step store's artifact hash): FNV-1a 64 as classfit computes it, against its
// baseline measured in the same run. Every artifact a study writes or reuses is hashed
// (step.json records the digests), tens to hundreds of megabytes per run.
//
//   baseline  the BigInt form: one 64-bit BigInt multiply per byte (classfit's hash until the
//             step store's cost showed up in profiles: 7 of the 16 s of a reused demo run);
//   js        fnv1a64Js: the state as two 32-bit halves in plain JS numbers;
//   fnv1a64   what the store calls: the 87-byte wasm module from 4 KiB up (1 MiB chunks).
//
// All three must give the same digits on the same bytes; the bench stops if they do not.
// Figures are nanoseconds per byte (best of --rounds) and the speed-up against the baseline.
//
//   npm run build && node bench/hash-throughput.mjs [--mib 16] [--rounds 3]
import { parseArgs } from "node:util";
import { fnv1a64, fnv1a64Js } from "@classfit/pipeline/hash";

const { values: args } = parseArgs({
  options: { mib: { type: "string", default: "16" }, rounds: { type: "string", default: "3" } },
});
const bytes = new Uint8Array(Number(args.mib) * 2 ** 20);
let s = 1;
for (let i = 0; i < bytes.length; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  bytes[i] = s >>> 24;
}

function bigint(b) {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (const x of b) h = ((h ^ BigInt(x)) * prime) & mask;
  return h.toString(16).padStart(16, "0");
}

/** Best ns/byte over the rounds; the baseline runs on 1/8 of the bytes (it is that slow). */
function time(f, data) {
  let best = Number.POSITIVE_INFINITY;
  let digits;
  for (let r = 0; r < Number(args.rounds); r++) {
    const t0 = performance.now();
    digits = f(data);
    best = Math.min(best, ((performance.now() - t0) * 1e6) / data.length);
  }
  return { ns: best, digits };
}

const part = bytes.subarray(0, bytes.length >> 3);
const base = time(bigint, part);
const rows = [
  ["baseline (BigInt)", base, part.length],
  ["js (32-bit halves)", time(fnv1a64Js, part), part.length],
  ["fnv1a64 (wasm)", time(fnv1a64, part), part.length],
];
for (const [name, r] of rows.slice(1))
  if (r.digits !== base.digits) throw new Error(`${name}: ${r.digits} against the baseline's ${base.digits}`);
const whole = time(fnv1a64, bytes);
if (whole.digits !== fnv1a64Js(bytes)) throw new Error("fnv1a64 and fnv1a64Js differ on the whole input");

console.log(
  `FNV-1a 64, ${args.mib} MiB of seeded bytes (baseline and js on ${part.length / 2 ** 20} MiB), best of ${args.rounds}`,
);
console.log("| form | ns per byte | × baseline |");
console.log("|---|---|---|");
for (const [name, r] of rows) console.log(`| ${name} | ${r.ns.toFixed(2)} | ${(base.ns / r.ns).toFixed(1)}× |`);
console.log(`| fnv1a64 (wasm), all ${args.mib} MiB | ${whole.ns.toFixed(2)} | ${(base.ns / whole.ns).toFixed(1)}× |`);
