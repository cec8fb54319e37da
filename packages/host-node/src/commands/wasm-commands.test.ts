// End-to-end tests of reduce / fit / density / kl through the CLI entry point `main(argv)`
// in-process (fast), and through the built dist/cli.js where the process itself matters (exit
// status, signals). fit, density and kl always run their workers from dist/ (`npm test` builds
// first). Covers outputs, determinism, and bad inputs (non-finite values, shape and dtype
// mismatches, corrupt files, interruption), each showing the message, a non-zero exit and that
// earlier results are intact.
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeNpy, parseNpy } from "@classfit/models/npy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classfit, fails, ok } from "../test-helpers.js";

const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
let dir: string;
const p = (f: string) => join(dir, f);

/** The built CLI as a child process. */
function classfitProcess(...argv: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cli, ...argv], { encoding: "utf8", timeout: 120_000 });
}
const readArr = (f: string) => parseNpy(new Uint8Array(readFileSync(p(f))), { name: f });
const sha = (f: string) => readFileSync(f).toString("hex");

// Test data from a small LCG + Box–Muller (test fixture only; the tool's own randomness is wasm's).
function gaussianRows(n: number, d: number, seed: number, shift: number[]): Float64Array {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const x = new Float64Array(n * d);
  for (let i = 0; i < n * d; i++) {
    x[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) + (shift[i % d] ?? 0);
  }
  return x;
}

/** Polls until `cond` holds (a loaded machine can take seconds to start a process). */
async function waitFor(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error("timed out waiting for the child process");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const FAST = ["--sweeps", "24", "--burn-in", "12", "--thin", "3", "--chains", "2"];
const N = 40;
const D = 3;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first`);
  dir = mkdtempSync(join(tmpdir(), "classfit-cmd-"));
  // Three classes of N rows in D dims, well separated.
  const x = new Float64Array(3 * N * D);
  for (let c = 0; c < 3; c++) x.set(gaussianRows(N, D, 7 + c, [4 * c, -3 * c, c]), c * N * D);
  const y = new BigInt64Array(3 * N).map((_, i) => BigInt(Math.floor(i / N)));
  writeFileSync(p("Z.npy"), encodeNpy(x, [3 * N, D]));
  writeFileSync(p("y.npy"), encodeNpy(y, [3 * N]));
  // A wider matrix for reduce.
  writeFileSync(p("R.npy"), encodeNpy(Float32Array.from(gaussianRows(50, 8, 3, [1, 2, 3, 4, 5, 6, 7, 8])), [50, 8]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("reduce", () => {
  it("writes Z (n × k), the projection, prints the retained energy; --projection reproduces Z", async () => {
    const out = await ok("reduce", "--data", p("R.npy"), "--k", "3", "--out", p("Zr.npy"));
    expect(out).toMatch(/retained energy \d+\.\d+%/);
    const z = readArr("Zr.npy");
    expect(z.shape).toEqual([50, 3]);
    expect(existsSync(p("Zr.projection.npz"))).toBe(true);
    await ok("reduce", "--data", p("R.npy"), "--projection", p("Zr.projection.npz"), "--out", p("Zr2.npy"));
    expect(readArr("Zr2.npy").data).toEqual(z.data);
    // Centred PCA differs from the uncentred SVD on data with a non-zero mean.
    await ok("reduce", "--data", p("R.npy"), "--k", "3", "--center", "--out", p("Zc.npy"));
    expect(readArr("Zc.npy").data).not.toEqual(z.data);
  });
  it("rejects k > d, a bad --k, and keeps the earlier output", async () => {
    const before = sha(p("Zr.npy"));
    await fails(/--k 9 exceeds the 8 columns/, "reduce", "--data", p("R.npy"), "--k", "9", "--out", p("Zr.npy"));
    await fails(
      /option '--k <k>' argument 'x' is invalid/,
      "reduce",
      "--data",
      p("R.npy"),
      "--k",
      "x",
      "--out",
      p("Zr.npy"),
    );
    expect(sha(p("Zr.npy"))).toBe(before);
  });
});

describe("fit → density → kl", () => {
  it("fits one model per label, prints n/K/R̂/time, writes a valid manifest", async () => {
    const out = await ok(
      "fit",
      "--data",
      p("Z.npy"),
      "--labels",
      p("y.npy"),
      "--out",
      p("fit"),
      ...FAST,
      "--workers",
      "2",
    );
    expect(out).toMatch(/class\s+n\s+K\s+mean log p\s+± MCSE\s+LOO mean\s+± MCSE\s+R̂ lj\s+ESS\s+ok\s+time/);
    const num = "(-?\\d+\\.\\d+|—)";
    for (const c of [0, 1, 2])
      expect(out).toMatch(
        new RegExp(
          `\\n${c}\\s+${N}\\s+\\d+\\.\\d\\s+${num}\\s+${num}\\s+${num}\\s+${num}\\s+${num}\\s+(\\d+|—)\\s+(yes|no)\\s+\\d+\\.\\ds`,
        ),
      );
    const m = JSON.parse(readFileSync(p("fit/manifest.json"), "utf8"));
    expect(m.format).toBe("classfit-fitdir");
    expect(m.classes.map((c: { label: number }) => c.label)).toEqual([0, 1, 2]);
    expect(m.data).toMatchObject({ file: "Z.npy", n: 3 * N, d: D });
    expect(readdirSync(p("fit")).sort()).toEqual(["class-00", "class-01", "class-02", "manifest.json"]);
    for (const c of m.classes) {
      expect(c.meanK).toBeGreaterThanOrEqual(1);
      // Each class records what the sampler contributes to its mean log-density.
      expect(c.sampler.replicateClassMeans).toHaveLength(m.config.chains);
      expect(typeof c.sampler.classMean).toBe("number");
      expect(typeof c.sampler.converged).toBe("boolean");
    }
  });

  it("--progress off a terminal prints one plain line per class when its fit finishes", async () => {
    const r = await classfit(
      ...["fit", "--data", p("Z.npy"), "--labels", p("y.npy"), "--out", p("fit-progress"), ...FAST, "--progress"],
    );
    expect(r.status, r.stderr).toBe(0);
    for (const c of [0, 1, 2])
      expect(r.stderr).toMatch(new RegExp(`^class ${c} n=${N}: done, 48 sweeps in [\\d.]+ s$`, "m"));
  });

  it("is deterministic and independent of the worker count", async () => {
    await ok("fit", "--data", p("Z.npy"), "--labels", p("y.npy"), "--out", p("fit1"), ...FAST, "--workers", "1");
    for (const c of [0, 1, 2]) expect(sha(p(`fit1/class-0${c}/model.npz`))).toBe(sha(p(`fit/class-0${c}/model.npz`)));
    await ok("fit", "--data", p("Z.npy"), "--labels", p("y.npy"), "--out", p("fit3"), ...FAST, "--seed", "5");
    expect(sha(p("fit3/class-00/model.npz"))).not.toBe(sha(p("fit/class-00/model.npz")));
  });

  it("refuses negative or (N, 1) labels, naming the file and row, and keeps an earlier FITDIR", async () => {
    const before = readFileSync(p("fit/manifest.json"));
    const neg = Int32Array.from({ length: 3 * N }, (_, i) => (i === 5 ? -1 : i % 3));
    writeFileSync(p("yneg.npy"), encodeNpy(neg, [3 * N]));
    await fails(
      /yneg\.npy: label -1 at row 5 is negative/,
      "fit",
      "--data",
      p("Z.npy"),
      "--labels",
      p("yneg.npy"),
      "--out",
      p("fit"),
      ...FAST,
    );
    writeFileSync(
      p("ycol.npy"),
      encodeNpy(
        Int32Array.from({ length: 3 * N }, (_, i) => i % 3),
        [3 * N, 1],
      ),
    );
    await fails(
      /ycol\.npy: labels must be a 1-D array/,
      "fit",
      "--data",
      p("Z.npy"),
      "--labels",
      p("ycol.npy"),
      "--out",
      p("fit"),
      ...FAST,
    );
    expect(readFileSync(p("fit/manifest.json")).equals(before)).toBe(true);
  });

  it("--replicates R pools R independent fits per class and lists each one's class mean", async () => {
    await ok("fit", "--data", p("Z.npy"), "--labels", p("y.npy"), "--out", p("fitR"), ...FAST, "--replicates", "3");
    const m = JSON.parse(readFileSync(p("fitR/manifest.json"), "utf8"));
    expect(m.config.replicates).toBe(3);
    for (const c of m.classes) {
      expect(c.sampler.replicateClassMeans).toHaveLength(3);
      expect(c.sampler.classMeanMcse).toBeGreaterThanOrEqual(0);
    }
  });

  it("--init bracket starts half the chains from 16·K0 clusters and prints each class's start gap", async () => {
    const out = await ok(
      ...["fit", "--data", p("Z.npy"), "--labels", p("y.npy"), "--out", p("fitB"), ...FAST, "--init", "bracket"],
    );
    expect(out).toMatch(/start gap/);
    expect(out).toMatch(/LOO gap/);
    const m = JSON.parse(readFileSync(p("fitB/manifest.json"), "utf8"));
    expect(m.config.init).toBe("bracket");
    for (const c of m.classes) {
      expect(Number.isFinite(c.sampler.startGap)).toBe(true);
      expect(Number.isFinite(c.sampler.looStartGap)).toBe(true);
    }
    // The default start has no gap to measure: no column, and null in the manifest.
    const plain = JSON.parse(readFileSync(p("fit/manifest.json"), "utf8"));
    for (const c of plain.classes) expect(c.sampler.startGap).toBeNull();
    // An unknown start is refused by name, and the FITDIR already at --out stays as it was.
    const before = readFileSync(p("fitB/manifest.json"));
    await fails(
      /expected one of random, dispersed, bracket/,
      "fit",
      "--data",
      p("Z.npy"),
      "--out",
      p("fitB"),
      "--init",
      "above",
    );
    expect(readFileSync(p("fitB/manifest.json")).equals(before)).toBe(true);
  });

  it("density: own-class scores equal the matching column of --all-classes; own class scores highest", async () => {
    await ok("density", "--fit", p("fit"), "--data", p("Z.npy"), "--labels", p("y.npy"), "--out", p("S.npy"));
    await ok("density", "--fit", p("fit"), "--data", p("Z.npy"), "--all-classes", "--out", p("SA.npy"));
    const s = readArr("S.npy");
    const a = readArr("SA.npy");
    expect(s.shape).toEqual([3 * N]);
    expect(a.shape).toEqual([3 * N, 3]);
    let ownBest = 0;
    for (let i = 0; i < 3 * N; i++) {
      const y = Math.floor(i / N);
      const row = [0, 1, 2].map((j) => (a.data as Float64Array)[i * 3 + j] as number);
      expect(Number.isFinite(s.data[i])).toBe(true);
      expect(row[y]).toBeCloseTo(s.data[i] as number, 10);
      if (Math.max(...row) === row[y]) ownBest++;
    }
    expect(ownBest).toBeGreaterThan(0.95 * 3 * N); // well-separated classes
  });

  it("density: the fit's own rows get its class score (the sampler summary's class mean), other rows its predictive", async () => {
    const out = await ok(
      "density",
      "--fit",
      p("fit"),
      "--data",
      p("Z.npy"),
      "--labels",
      p("y.npy"),
      "--out",
      p("S.npy"),
    );
    expect(out).toMatch(/\(mean-log\)/);
    const s = readArr("S.npy").data as Float64Array;
    const m = JSON.parse(readFileSync(p("fit/manifest.json"), "utf8"));
    for (const c of m.classes as { label: number; sampler: { classMean: number } }[]) {
      let sum = 0;
      for (let i = c.label * N; i < (c.label + 1) * N; i++) sum += s[i] as number;
      expect(sum / N).toBeCloseTo(c.sampler.classMean, 9);
    }
    // Other data (here: the last value's lowest bit flipped) are new points to the fit, scored by
    // the exact predictive, which is never below the mean of the logs.
    const z2 = readFileSync(p("Z.npy"));
    z2[z2.length - 1] = (z2[z2.length - 1] as number) ^ 1;
    writeFileSync(p("Znew.npy"), z2);
    const out2 = await ok(
      "density",
      "--fit",
      p("fit"),
      "--data",
      p("Znew.npy"),
      "--labels",
      p("y.npy"),
      "--out",
      p("Snew.npy"),
    );
    expect(out2).toMatch(/\(exact\)/);
    const sn = readArr("Snew.npy").data as Float64Array;
    for (let i = 0; i < 3 * N - 1; i++) expect(sn[i] as number).toBeGreaterThanOrEqual((s[i] as number) - 1e-9);
  });

  it("kl: finite estimates with standard errors, as JSON", async () => {
    await ok("kl", "--fit", p("fit"), "--out", p("kl.json"), "--samples", "2000");
    const k = JSON.parse(readFileSync(p("kl.json"), "utf8"));
    expect(k.classes).toHaveLength(3);
    // The study's complexity step writes the same shape.
    expect(k.format).toBe("classfit-kl");
    expect(Object.keys(k)).toEqual(["format", "formatVersion", "reference", "samples", "variant", "seed", "classes"]);
    expect(k.classes.map((c: { label: number }) => c.label)).toEqual([0, 1, 2]);
    for (const c of k.classes) {
      expect(Number.isFinite(c.kl)).toBe(true);
      expect(c.standardError).toBeGreaterThan(0);
    }
  });

  it("without labels, one model for all rows; density then needs no labels", async () => {
    await ok("fit", "--data", p("Z.npy"), "--out", p("fitall"), ...FAST);
    expect(readdirSync(p("fitall")).sort()).toEqual(["class-all", "manifest.json"]);
    await ok("density", "--fit", p("fitall"), "--data", p("Z.npy"), "--out", p("Sall.npy"));
    expect(readArr("Sall.npy").shape).toEqual([3 * N]);
    await fails(
      /holds 3 class models: pass --labels/,
      "density",
      "--fit",
      p("fit"),
      "--data",
      p("Z.npy"),
      "--out",
      p("x.npy"),
    );
  });
});

describe("bad input: clear message, non-zero exit, earlier results intact", () => {
  const fitArgs = (data: string, labels: string | null, out = "fit") => [
    "fit",
    "--data",
    p(data),
    ...(labels ? ["--labels", p(labels)] : []),
    "--out",
    p(out),
    ...FAST,
  ];
  const fitIntact = () => {
    const before = sha(p("fit/manifest.json"));
    return () => expect(sha(p("fit/manifest.json"))).toBe(before);
  };

  it("NaN/Inf: the error names the row and column", async () => {
    const check = fitIntact();
    const x = gaussianRows(10, D, 1, []);
    x[7 * D + 2] = Number.POSITIVE_INFINITY;
    writeFileSync(p("inf.npy"), encodeNpy(x, [10, D]));
    await fails(/inf\.npy: row 7, column 2 is \+Inf/, ...fitArgs("inf.npy", null));
    // The same through the real binary: message on stderr, exit status 2 (bad input).
    const r = classfitProcess(...fitArgs("inf.npy", null));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^classfit: .*inf\.npy: row 7, column 2 is \+Inf/);
    check();
    expect(readdirSync(dir).filter((f) => f.includes(".partial"))).toEqual([]);
  });

  it("labels/data shape mismatch and float labels", async () => {
    const check = fitIntact();
    writeFileSync(p("y5.npy"), encodeNpy(new Int32Array(5), [5]));
    await fails(/y5\.npy: holds 5 labels but .*Z\.npy has 120 rows/, ...fitArgs("Z.npy", "y5.npy"));
    writeFileSync(p("yf.npy"), encodeNpy(new Float64Array(3 * N), [3 * N]));
    await fails(/yf\.npy: expected an integer dtype, got float64/, ...fitArgs("Z.npy", "yf.npy"));
    await fails(
      /has 120 rows|holds 5 labels/,
      "density",
      "--fit",
      p("fit"),
      "--data",
      p("Z.npy"),
      "--labels",
      p("y5.npy"),
      "--out",
      p("S.npy"),
    );
    check();
  });

  it("a class with one example works; d > n works and warns; a zero-variance dimension warns", async () => {
    const x = gaussianRows(12, D, 9, [0, 0, 0]);
    for (let i = 0; i < 12; i++) x[i * D + 1] = 2.5; // dimension 1 constant
    writeFileSync(p("odd.npy"), encodeNpy(x, [12, D]));
    writeFileSync(p("yodd.npy"), encodeNpy(Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), [12]));
    const r = await classfit(...fitArgs("odd.npy", "yodd.npy", "fitodd"));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/class 1: one example/);
    expect(r.stderr).toMatch(/class 0: zero variance in dimension\(s\) 1/);
    expect(r.stdout).toMatch(/\n1\s+1\s+/);
    await ok(
      "density",
      "--fit",
      p("fitodd"),
      "--data",
      p("odd.npy"),
      "--labels",
      p("yodd.npy"),
      "--out",
      p("Sodd.npy"),
    );
    expect(Array.from(readArr("Sodd.npy").data as Float64Array).every(Number.isFinite)).toBe(true);
    // d = 6 > n = 4
    writeFileSync(p("wide.npy"), encodeNpy(gaussianRows(4, 6, 2, []), [4, 6]));
    const w = await classfit("fit", "--data", p("wide.npy"), "--out", p("fitwide"), ...FAST);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stderr).toMatch(/d = 6 > n = 4/);
    // Warnings are also kept in the manifest.
    const wm = JSON.parse(readFileSync(p("fitwide/manifest.json"), "utf8"));
    expect(wm.classes[0].warnings.join("\n")).toMatch(/d = 6 > n = 4/);
  });

  it("corrupt and unsupported .npy files", async () => {
    const check = fitIntact();
    const good = readFileSync(p("Z.npy"));
    writeFileSync(p("trunc.npy"), good.subarray(0, good.length - 10));
    await fails(/trunc\.npy: truncated data/, ...fitArgs("trunc.npy", null));
    writeFileSync(p("junk.npy"), "not an array at all");
    await fails(/junk\.npy: not a \.npy file/, ...fitArgs("junk.npy", null));
    const big = Buffer.from(encodeNpy(new Float64Array(6), [2, 3]));
    big[big.indexOf("<f8")] = ">".charCodeAt(0);
    writeFileSync(p("big.npy"), big);
    await fails(/big\.npy: big-endian dtype '>f8' is not supported/, ...fitArgs("big.npy", null));
    const fortran = Buffer.from(encodeNpy(new Float64Array(6), [2, 3]));
    fortran.write("True ", fortran.indexOf("False"), "latin1"); // same header length
    writeFileSync(p("fortran.npy"), fortran);
    await fails(
      /fortran\.npy: Fortran-order \(column-major\) arrays are not supported/,
      ...fitArgs("fortran.npy", null),
    );
    await fails(/nope\.npy: cannot read \(no such file\)/, ...fitArgs("nope.npy", null));
    check();
  });

  it("FITDIR problems: wrong dimension, tampered model, unknown label", async () => {
    writeFileSync(p("Z4.npy"), encodeNpy(gaussianRows(5, 4, 1, []), [5, 4]));
    await fails(
      /has 4 columns but .*fitted on 3-dimensional data/,
      "density",
      "--fit",
      p("fit"),
      "--data",
      p("Z4.npy"),
      "--all-classes",
      "--out",
      p("x.npy"),
    );
    writeFileSync(p("y9.npy"), encodeNpy(new Int32Array(3 * N).fill(9), [3 * N]));
    await fails(
      /row 0 has label 9, for which .* holds no model/,
      "density",
      "--fit",
      p("fit"),
      "--data",
      p("Z.npy"),
      "--labels",
      p("y9.npy"),
      "--out",
      p("x.npy"),
    );
    const bin = readFileSync(p("fit1/class-01/model.npz"));
    bin[bin.length - 1] = (bin[bin.length - 1] ?? 0) ^ 1;
    writeFileSync(p("fit1/class-01/model.npz"), bin);
    await fails(/class-01\/model\.npz: sha256 does not match/, "kl", "--fit", p("fit1"), "--out", p("k.json"));
    // kl's reference Gaussian needs the fit's own data: other data is refused.
    await fails(
      /Z4\.npy: differs from the data .* was fitted on/,
      "kl",
      "--fit",
      p("fit"),
      "--data",
      p("Z4.npy"),
      "--out",
      p("k.json"),
    );
    expect(existsSync(p("k.json"))).toBe(false);
    expect(existsSync(p("x.npy"))).toBe(false);
  });

  it("an interrupted fit leaves no FITDIR that looks complete; the rerun cleans the stale staging dir", async () => {
    const check = fitIntact();
    // Big enough to still be running when killed.
    const long = [
      "fit",
      "--data",
      p("Z.npy"),
      "--labels",
      p("y.npy"),
      "--out",
      p("fit"),
      "--sweeps",
      "100000",
      "--burn-in",
      "10",
      "--workers",
      "1",
    ];
    const child = spawn(process.execPath, [cli, ...long], { stdio: "ignore" });
    await waitFor(() => existsSync(p(".fit.partial/.pid")));
    await new Promise((r) => setTimeout(r, 300)); // let the workers start sampling
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    check(); // the earlier fit is untouched
    expect(existsSync(p(".fit.partial"))).toBe(true); // the crash left staging behind…
    await ok("density", "--fit", p("fit"), "--data", p("Z.npy"), "--labels", p("y.npy"), "--out", p("S2.npy"));
    // …and the next fit removes it.
    await ok(...fitArgs("Z.npy", "y.npy", "fit"));
    expect(existsSync(p(".fit.partial"))).toBe(false);
    // SIGINT: the CLI removes its staging dir itself and exits 130.
    const c2 = spawn(process.execPath, [cli, ...long], { stdio: "ignore" });
    await waitFor(() => existsSync(p(".fit.partial/.pid")));
    await new Promise((r) => setTimeout(r, 300));
    c2.kill("SIGINT");
    const code = await new Promise((r) => c2.on("exit", (c) => r(c)));
    expect(code).toBe(130);
    expect(existsSync(p(".fit.partial"))).toBe(false);
  });
});
