// The protocol commands on worker threads: memorization, certification and the density-bin
// protocol give byte-identical artifacts with 1, 2 and 3 workers, and after the process is
// killed (SIGKILL) or interrupted (SIGINT, exit 130) mid-pool and the command run again.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeNpy } from "@classfit/models/npy";
import { decodeCertification, decodeMemorization } from "@classfit/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, writeTinyModelDir } from "../test-helpers.js";
import { resolveWorkers } from "./workers.js";

let dir: string;
const p = (...f: string[]) => join(dir, ...f);
const bytes = (f: string) => new Uint8Array(readFileSync(f));
const BIN = fileURLToPath(new URL("../../bin/classfit.js", import.meta.url));

const NET = ["--arch", "resnet", "--blocks", "1", "--width", "0.0625", "--batch-size", "20", "--seed", "3"];
const MEM = ["memorization", ...NET, "--limit", "40", "--epochs", "2", "--models", "6", "--subset", "0.5"];
const CERT_SETTINGS = ["--sigma", "0.5", "--n", "200", "--n0", "10", "--alpha", "0.01", "--noise-batch", "50"];

/** Unit files written so far under a unit store directory. */
function unitFiles(units: string): number {
  if (!existsSync(units)) return 0;
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".npz")) n++;
    }
  };
  walk(units);
  return n;
}

/**
 * Starts the CLI as its own process, waits until `atLeast` units are stored, sends `signal`
 * and resolves with the exit code (null when killed) and how many units were stored then.
 */
async function interrupt(
  argv: string[],
  units: string,
  signal: NodeJS.Signals,
  atLeast = 1,
): Promise<{ code: number | null; stored: number; stderr: string }> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (b) => {
    stderr += String(b);
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  let stored = 0;
  for (;;) {
    stored = unitFiles(units);
    if (stored >= atLeast || child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill(signal);
  return { code: await exited, stored, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "classfit-workers-"));
  await writeTinyModelDir(p("model"), "unit-executor.test");
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("protocols on worker threads", () => {
  it("memorization: the same bytes with 1, 2 and 3 workers, and after a kill mid-pool and a resume", async () => {
    await ok(...MEM, "--workers", "1", "--out", p("m1"));
    const one = bytes(p("m1", "memorization.npz"));
    expect(decodeMemorization(one).score.length).toBe(40);
    for (const w of ["2", "3"]) {
      const log = await ok(...MEM, "--workers", w, "--out", p(`m${w}`));
      expect(log).toMatch(new RegExp(`memorization: ${w} workers, .* idle per worker: `));
      expect(bytes(p(`m${w}`, "memorization.npz"))).toEqual(one);
    }
    const killed = await interrupt([...MEM, "--workers", "2", "--out", p("mk")], p("mk", "units"), "SIGKILL");
    expect(killed.code).toBeNull();
    expect(killed.stored).toBeGreaterThan(0);
    expect(killed.stored).toBeLessThan(6);
    expect(existsSync(p("mk", "memorization.npz"))).toBe(false);
    const resumed = await ok(...MEM, "--workers", "3", "--out", p("mk"));
    expect(resumed.match(/already done \(resumed\)/g)?.length ?? 0).toBeGreaterThanOrEqual(killed.stored);
    expect(bytes(p("mk", "memorization.npz"))).toEqual(one);
  }, 120_000);

  it("certify: the same bytes with 1, 2 and 3 workers; Ctrl-C stops every worker (exit 130) and the rerun resumes", async () => {
    const args = ["certify", "--model", p("model"), "--examples", "0:12", "--unit-size", "2", ...CERT_SETTINGS];
    await ok(...args, "--workers", "1", "--out", p("c1"));
    const one = bytes(p("c1", "certification.npz"));
    expect(Array.from(decodeCertification(one).columns.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    for (const w of ["2", "3"]) {
      await ok(...args, "--workers", w, "--out", p(`c${w}`));
      expect(bytes(p(`c${w}`, "certification.npz"))).toEqual(one);
    }
    const stopped = await interrupt([...args, "--workers", "2", "--out", p("ck")], p("ck", "units"), "SIGINT");
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/interrupted \(SIGINT\); rerun the same command to resume/);
    expect(existsSync(p("ck", "certification.npz"))).toBe(false);
    const resumed = await ok(...args, "--workers", "3", "--out", p("ck"));
    expect(resumed).toMatch(/already done \(resumed\)/);
    expect(bytes(p("ck", "certification.npz"))).toEqual(one);
  }, 120_000);

  it("bins: the same bytes with 1, 2 and 3 workers", async () => {
    const density = Float64Array.from({ length: 30 }, (_, i) => ((i * 7) % 30) - 15.5);
    writeFileSync(p("density.npy"), encodeNpy(density, [30]));
    const args = ["bins", ...NET, "--limit", "30", "--epochs", "1", "--density", p("density.npy"), "--bins", "3"];
    const all = [...args, ...CERT_SETTINGS.filter((_, i) => i < 8)];
    await ok(...all, "--workers", "1", "--out", p("b1"));
    const one = bytes(p("b1", "density-bins.npz"));
    expect(decodeCertification(one).columns.index.length).toBe(30);
    for (const w of ["2", "3"]) {
      await ok(...all, "--workers", w, "--out", p(`b${w}`));
      expect(bytes(p(`b${w}`, "density-bins.npz"))).toEqual(one);
    }
  }, 120_000);
});

describe("extract on worker threads", () => {
  it("writes the same activation files with 1, 2 and 3 workers (batches finish in any order)", async () => {
    const args = ["extract", "--model", p("model"), "--data", "default", "--split", "test", "--batch-size", "300"];
    await ok(...args, "--workers", "1", "--out", p("x1"));
    const npys = readdirSync(p("x1")).filter((f) => f.endsWith(".npy"));
    expect(npys.length).toBe(2); // one stage + labels
    for (const w of ["2", "3"]) {
      const log = await ok(...args, "--workers", w, "--out", p(`x${w}`));
      expect(log).toMatch(new RegExp(`extract: ${w} workers`));
      for (const f of npys) expect(bytes(p(`x${w}`, f)), f).toEqual(bytes(p("x1", f)));
    }
  }, 120_000);
});

describe("evaluate on worker threads", () => {
  it("prints the same figures (JSON alone on stdout) with 1, 2 and 3 workers", async () => {
    const args = ["evaluate", "--model", p("model"), "--data", "default", "--batch-size", "300", "--json"];
    const one = await ok(...args, "--workers", "1");
    const parsed = JSON.parse(one) as { n: number; confusion: number[][] };
    expect(parsed.n).toBe(2000);
    expect(parsed.confusion.flat().reduce((a, b) => a + b, 0)).toBe(2000);
    for (const w of ["2", "3"]) expect(await ok(...args, "--workers", w)).toBe(one);
  }, 120_000);
});

/** Every file under a run directory but manifest.json (which holds timings), path → bytes. */
function runFiles(root: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (r !== "manifest.json") out.set(r, bytes(join(d, e.name)));
    }
  };
  walk(root, "");
  return out;
}

describe("a quick study on worker threads", () => {
  it("gives the same files with 1, 2 and 3 workers, the 2-worker run killed mid-memorization and resumed", async () => {
    const study = {
      name: "parallel study",
      seed: 5,
      dataset: { path: "default", perClass: 12 },
      networks: [
        {
          name: "resnet",
          arch: { arch: "resnet", blocks: [1], widthMultiplier: 0.0625 },
          train: { epochs: 1, batchSize: 40 },
        },
      ],
      steps: { memorization: { models: 4, epochs: 1 }, certify: { perClass: 2, n0: 4, n: 32 } },
    };
    writeFileSync(p("study.json"), JSON.stringify(study));
    const args = (w: string, out: string) => [
      "study",
      "--config",
      p("study.json"),
      "--profile",
      "quick",
      "--workers",
      w,
      "--out",
      p(out),
    ];
    await ok(...args("1", "s1"));
    const one = runFiles(p("s1"));
    expect(one.has("resnet/memorization/memorization.npz")).toBe(true);
    expect(one.has("resnet/certify/certification.npz")).toBe(true);
    const killed = await interrupt(args("2", "s2"), p("s2", "resnet", "memorization", "units"), "SIGKILL");
    expect(killed.code).toBeNull();
    expect(killed.stored).toBeGreaterThan(0);
    expect(killed.stored).toBeLessThan(4);
    await ok(...args("2", "s2"));
    await ok(...args("3", "s3"));
    for (const out of ["s2", "s3"]) {
      const files = runFiles(p(out));
      expect([...files.keys()].sort()).toEqual([...one.keys()].sort());
      for (const [k, v] of one) expect(files.get(k), `${out}/${k}`).toEqual(v);
    }
  }, 180_000);
});

describe("resolveWorkers", () => {
  it("defaults to every core and lowers the count, saying so, to what free memory holds", () => {
    const lines: string[] = [];
    const log = (s: string) => lines.push(s);
    const gib = 2 ** 30;
    expect(resolveWorkers(undefined, "certify", log, { cores: 6, freeBytes: 64 * gib })).toBe(6);
    expect(resolveWorkers(undefined, "certify", log, { cores: 16, freeBytes: gib })).toBe(6);
    expect(resolveWorkers(3, "certify", log, { cores: 6, freeBytes: 64 * gib })).toBe(3);
    expect(lines.length).toBe(1);
    // 1 GiB free, less the reserve, at the stated footprint per worker.
    expect(resolveWorkers(16, "memorization", log, { cores: 16, freeBytes: gib })).toBe(3);
    expect(lines[1]).toMatch(/memorization: 16 worker\(s\) asked for, but 1024 MiB free holds 3 at about 256 MiB each/);
    expect(resolveWorkers(4, "study", log, { cores: 4, freeBytes: 0 })).toBe(1);
  });
});
