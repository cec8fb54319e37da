// Fixture operations: each turns a case's JSON arguments into output bytes. Host-agnostic
// (no Node or DOM APIs), so the very same code runs in vitest and in the Chromium page.
import type { Core } from "@classfit/wasm-core";
import {
  betaQuantile,
  binomTest,
  type ClassModel,
  clopperPearsonLower,
  clopperPearsonUpper,
  dpgmmConfig,
  encodeClassModel,
  encodeProjection,
  fitClassModel,
  fitProjection,
  incompleteBeta,
  logPredictive,
  normCdf,
  normPpf,
  normSf,
  project,
  relativeEntropy,
  sampleBeta,
  sampleCategorical,
  sampleChiSquare,
  sampleDirichlet,
  samplerSummary,
  sampleStudentT,
} from "@classfit/wasm-core";
import { toBase64 } from "../browser/page.js";

export interface FixtureCase {
  name: string;
  op: string;
  args: Record<string, unknown>;
}

export interface FixtureFile {
  description?: string;
  cases: FixtureCase[];
}

type Op = (core: Core, args: Record<string, unknown>) => Promise<Uint8Array> | Uint8Array;

function num(args: Record<string, unknown>, key: string): number {
  const v = args[key];
  if (typeof v !== "number") throw new Error(`fixture argument '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function bytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

function withRng<T>(core: Core, args: Record<string, unknown>, fn: (r: ReturnType<Core["rng"]>) => T): T {
  const rng = core.rng(num(args, "seed"), typeof args.stream === "number" ? args.stream : 0);
  try {
    return fn(rng);
  } finally {
    rng.dispose();
  }
}

/** A small DP-GMM fit for the parity fixtures: k Gaussian groups in d dimensions. */
function fitDpgmm(core: Core, a: Record<string, unknown>): { model: ClassModel; data: Float64Array } {
  return withRng(core, a, (r) => {
    const n = num(a, "n");
    const d = num(a, "d");
    const k = num(a, "k");
    const centres = r.normal(k * d).map((v) => 4 * v);
    const labels = r.int(n, k);
    const z = r.normal(n * d);
    const data = z.map((v, i) => v + (centres[(labels[Math.floor(i / d)] ?? 0) * d + (i % d)] ?? 0));
    const config = dpgmmConfig({
      profile: a.profile === "paper" ? "paper" : "default",
      sweeps: num(a, "sweeps"),
      burnIn: num(a, "burnIn"),
      thin: num(a, "thin"),
      chains: num(a, "chains"),
      seed: num(a, "seed"),
      // Optional sampler settings (the fixture of the sampler summary exercises all of them).
      ...(a.replicates !== undefined ? { replicates: num(a, "replicates") } : {}),
      ...(a.splitMergeKept !== undefined ? { splitMergeKept: num(a, "splitMergeKept") } : {}),
      ...(a.neighbours !== undefined ? { neighbours: num(a, "neighbours") } : {}),
      ...(a.init === "dispersed" ? { init: "dispersed" as const } : {}),
    });
    return { model: fitClassModel(core, data, n, d, config), data };
  });
}

function concatBytes(parts: ArrayBufferView[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(bytes(p), o);
    o += p.byteLength;
  }
  return out;
}

export const ops: Record<string, Op> = {
  "rng.u64": (core, a) => withRng(core, a, (r) => bytes(r.u64(num(a, "n")))),
  "rng.uniform": (core, a) => withRng(core, a, (r) => bytes(r.uniform(num(a, "n")))),
  "rng.normal": (core, a) => withRng(core, a, (r) => bytes(r.normal(num(a, "n")))),
  "rng.ziggurat": (core, a) => withRng(core, a, (r) => bytes(r.zigguratNormal(num(a, "n")))),
  "rng.gamma": (core, a) => withRng(core, a, (r) => bytes(r.gamma(num(a, "n"), num(a, "shape"), num(a, "rate")))),
  "rng.int": (core, a) => withRng(core, a, (r) => bytes(r.int(num(a, "n"), num(a, "bound")))),
  "vec.dot": (core, a) =>
    withRng(core, a, (r) => {
      const n = num(a, "n");
      const x = r.normal(n);
      const y = r.normal(n);
      return bytes(new Float64Array([core.dot(x, y, a.scalar === true)]));
    }),
  "vec.axpy": (core, a) =>
    withRng(core, a, (r) => {
      const n = num(a, "n");
      return bytes(core.axpy(num(a, "alpha"), r.normal(n), r.normal(n)));
    }),
  // [linalg-stats] statistics over a fixed grid, derived samplers, SVD projection.
  "stats.grid": (core) => {
    const out: number[] = [];
    for (const x of [-37.5, -20, -8.3, -3, -0.6744, 0, 0.1, 1.5, 5.6, 8.2, 30])
      out.push(normCdf(core, x), normSf(core, x));
    for (const p of [1e-300, 1e-30, 1e-8, 0.001, 0.02425, 0.3, 0.5, 0.975, 1 - 1e-12, 1 - 1e-16])
      out.push(normPpf(core, p));
    for (const [x, a, b] of [
      [0.3, 0.5, 0.5],
      [0.01, 0.1, 5],
      [0.999, 50, 2],
      [0.989, 99000, 1001],
      [0.5, 1e5, 1e5],
      [0.4, 1e4, 2e4],
    ] as const)
      out.push(incompleteBeta(core, x, a, b), incompleteBeta(core, x, a, b, true));
    for (const [p, a, b] of [
      [1e-300, 2, 3],
      [1e-10, 0.5, 0.5],
      [0.3, 1e5, 3e4],
      [0.999999, 3, 1e5],
      [0.5, 0.01, 0.02],
    ] as const)
      out.push(betaQuantile(core, p, a, b), betaQuantile(core, p, a, b, true));
    for (const [k, n] of [
      [0, 10],
      [5, 10],
      [1000, 1000],
      [60000, 100000],
      [99000, 100000],
      [100000, 100000],
    ] as const)
      out.push(clopperPearsonLower(core, k, n, 0.001), clopperPearsonUpper(core, k, n, 0.001));
    for (const [k, n, p] of [
      [510, 1000, 0.5],
      [3, 10, 0.5],
      [7, 20, 0.3],
      [50500, 100000, 0.5],
      [49000, 100000, 0.5],
      [99, 100, 0.9],
    ] as const)
      out.push(binomTest(core, k, n, p));
    return bytes(new Float64Array(out));
  },
  "rng.samplers": (core, a) =>
    withRng(core, a, (r) => {
      const n = num(a, "n");
      const parts: ArrayBufferView[] = [
        sampleBeta(core, r, n, 0.3, 0.7),
        sampleBeta(core, r, n, 4, 2.5),
        sampleChiSquare(core, r, n, 3.5),
        sampleCategorical(core, r, n, [0, -1, Number.NEGATIVE_INFINITY, 2.5, 700]),
        sampleDirichlet(core, r, n, [0.05, 1, 3]),
        sampleStudentT(core, r, n, [1, -2, 0.5], [2, 0, 0, 0.5, 1, 0, -1, 0.3, 0.7], 4.5),
      ];
      const total = parts.reduce((s, p) => s + p.byteLength, 0);
      const out = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        out.set(bytes(p), o);
        o += p.byteLength;
      }
      return out;
    }),
  "linalg.projection": (core, a) =>
    withRng(core, a, (r) => {
      const n = num(a, "n");
      const c = num(a, "c");
      // Columns of different scales plus an offset, so centring matters.
      const x = r.normal(n * c).map((v, i) => v * (1 + (i % c) * 0.25) + (i % 5));
      const p = fitProjection(core, x, n, c, { k: num(a, "k"), center: a.center === true });
      const z = project(core, p, x, n);
      const enc = encodeProjection(p);
      const out = new Uint8Array(enc.length + z.byteLength);
      out.set(enc, 0);
      out.set(bytes(z), enc.length);
      return out;
    }),
  "dpgmm.fit": (core, a) => encodeClassModel(fitDpgmm(core, a).model),
  "dpgmm.logpdf": (core, a) => {
    const { model, data } = fitDpgmm(core, a);
    const m = num(a, "m");
    // Training points and points pushed away from them: the density matrix of both variants.
    const pts = new Float64Array(m * model.d).map((_, i) => (data[i % data.length] ?? 0) + (i % 3) - 1);
    return concatBytes([logPredictive(core, model, pts, m, "exact"), logPredictive(core, model, pts, m, "paper")]);
  },
  "dpgmm.sampler": (core, a) => {
    const { model, data } = fitDpgmm(core, a);
    const s = samplerSummary(core, model, data);
    const c = s.convergence;
    const conv = [c.logJoint, c.k, c.alpha, c.classMean].flatMap((v) => [v.rhat, v.essBulk, v.essTail]);
    return concatBytes([
      encodeClassModel(model),
      new Float64Array([
        s.classMean,
        s.classMeanMcse,
        ...s.replicateClassMeans,
        s.looMean,
        s.looMcse,
        ...s.replicateLooMeans,
        ...conv,
        s.converged ? 1 : 0,
      ]),
    ]);
  },
  "dpgmm.kl": (core, a) => {
    const { model, data } = fitDpgmm(core, a);
    const samples = num(a, "samples");
    const parts = (["diag", "full"] as const).map((reference) => {
      const r = relativeEntropy(core, model, { classData: data, n: model.n, samples, reference, seed: 3 });
      return new Float64Array([r.kl, r.standardError]);
    });
    return concatBytes(parts);
  },
};

export interface FixtureOutput {
  name: string;
  /** Output bytes, base64. */
  base64: string;
  /** sha256 of the output bytes, hex. */
  sha256: string;
}

async function sha256Hex(b: Uint8Array): Promise<string> {
  // A copy: digest() wants an ArrayBuffer-backed view, and op outputs may view wasm memory.
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(b)));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Runs every case of a fixture file against `core`, in order. */
export async function runFixtures(core: Core, file: FixtureFile): Promise<FixtureOutput[]> {
  const out: FixtureOutput[] = [];
  for (const c of file.cases) {
    const op = ops[c.op];
    if (!op) throw new Error(`fixture '${c.name}': unknown op '${c.op}'`);
    const b = await op(core, c.args);
    out.push({ name: c.name, base64: toBase64(b), sha256: await sha256Hex(b) });
  }
  return out;
}
