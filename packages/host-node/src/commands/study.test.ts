// `classfit study` / `classfit demo` through the CLI: a quick study on exported activations (no
// training, so it is fast) run with the worker pool, its --json summary, a rerun that reuses every
// step, a Ctrl-C that leaves a resumable run, and bad input with exit code 2.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeNpy, parseNpy } from "@classfit/models/npy";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";

const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
let dir: string;

async function classfit(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    out.push(String(c));
    return true;
  });
  const se = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => {
    err.push(String(c));
    return true;
  });
  try {
    const status = await main(argv);
    return { status, stdout: out.join(""), stderr: err.join("") };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

/** Class-dependent activations for the default dataset's 10 000 training images (dataset order). */
function writeActivations(labels: Int32Array, stage: number, c: number): string {
  let s = 12345 + stage;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const x = new Float32Array(labels.length * c);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    for (let k = 0; k < c; k++) x[i * c + k] = (k === y % c ? 2 + y / 3 : 0) + (rand() - 0.5) * (1 + (y % 3));
  }
  const f = join(dir, `stage${stage}.npy`);
  writeFileSync(f, encodeNpy(x, [labels.length, c]));
  return f;
}

function writeConfig(name: string, extra: Record<string, unknown> = {}): string {
  const f = join(dir, name);
  writeFileSync(
    f,
    JSON.stringify({
      name: "cli study",
      dataset: { path: "default", perClass: 40 },
      networks: [
        {
          name: "exported",
          label: "Exported net",
          activations: { s1: "stage1.npy", s2: "stage2.npy" },
          memorizationScores: "mem.npz",
        },
      ],
      ...extra,
    }),
  );
  return f;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "classfit-study-"));
  const { loadDataset } = await import("@classfit/models/node");
  const ds = await loadDataset({ path: "default", split: "train" });
  writeActivations(ds.labels, 1, 4);
  writeActivations(ds.labels, 2, 6);
  // A classfit memorization artifact from a fake trainer: example i is classified correctly by a
  // model unless (i + seed) % 3 = 0, or when it was trained on it.
  const { createCore } = await import("@classfit/wasm-core/node");
  const { memorizationProtocol, runUnits, finalizeMemorization } = await import("@classfit/pipeline");
  const core = await createCore();
  const protocol = memorizationProtocol({
    core,
    labels: ds.labels,
    numClasses: 10,
    datasetId: "default",
    settings: { models: 6, seed: 1 },
    trainer: {
      async trainAndPredict(train, evalIdx, seed) {
        const inTrain = new Set(train);
        return Int32Array.from(evalIdx, (i) =>
          inTrain.has(i) || (i + seed) % 3 !== 0 ? (ds.labels[i] as number) : -1,
        );
      },
    },
  });
  const units = await runUnits(protocol, [0, 1, 2, 3, 4, 5]);
  writeFileSync(join(dir, "mem.npz"), finalizeMemorization(protocol.config, units));

  // A certification artifact of the first 5 training images of each class (dataset indices),
  // from a backend whose noisy predictions are known: the label with probability 0.6–0.99.
  const { certificationProtocol, categoricalBackend, coreStats, finalizeCertification, finalizeDensityBins } =
    await import("@classfit/pipeline");
  const first5: number[] = [];
  const seen = new Int32Array(10);
  ds.labels.forEach((y, i) => {
    if ((seen[y] as number) < 5) {
      seen[y] = (seen[y] as number) + 1;
      first5.push(i);
    }
  });
  const certify = (examples: number[]) =>
    certificationProtocol({
      core,
      backend: categoricalBackend(10),
      stats: coreStats(core),
      dataset: {
        size: ds.n,
        labels: ds.labels,
        input: (i) => {
          const p = new Float32Array(10).fill(0);
          const y = ds.labels[i] as number;
          p[y] = 0.6 + (i % 40) / 100;
          p[(y + 1) % 10] = 1 - (p[y] as number);
          return p;
        },
      },
      datasetId: "default",
      settings: { seed: 2, sigma: 0.5, n0: 20, n: 400, alpha: 0.01 },
      examples,
      unitSize: 25,
    });
  const cert = certify(first5);
  const certUnits = await runUnits(
    cert,
    Array.from({ length: cert.numUnits }, (_, u) => u),
  );
  writeFileSync(join(dir, "cert.npz"), finalizeCertification("certification", cert.config, certUnits));
  // The 41st image of class 0: beyond the study's first 40 per class, so not in the study.
  let count0 = 0;
  let late = -1;
  ds.labels.forEach((y, i) => {
    if (y === 0 && ++count0 === 41) late = i;
  });
  const bad = certify([...first5, late]);
  const badUnits = await runUnits(
    bad,
    Array.from({ length: bad.numUnits }, (_, u) => u),
  );
  writeFileSync(join(dir, "cert-outside.npz"), finalizeCertification("certification", bad.config, badUnits));
  // A density-bin protocol's artifact over the same 50 images in two bins of 25 (one unit each), as
  // `classfit bins --bins 2 --certify-per-bin 25` writes it.
  writeFileSync(
    join(dir, "bins.npz"),
    finalizeDensityBins({ ...cert.config, bins: 2, certifyPerBin: 25, trainer: { config: { epochs: 3 } } }, certUnits),
  );
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `classfit study --profile quick` on the test config with one field of its network set to `file`. */
async function studyImporting(
  field: string,
  file: string,
  run: string,
): Promise<{ status: number; stdout: string; stderr: string; out: string }> {
  const cfg = join(dir, `study-${run}.json`);
  const base = JSON.parse(readFileSync(writeConfig("tmp.json"), "utf8"));
  base.networks[0][field] = file;
  writeFileSync(cfg, JSON.stringify(base));
  const out = join(dir, run);
  const r = await classfit("study", "--config", cfg, "--out", out, "--profile", "quick", "--json", "--workers", "1");
  return { ...r, out };
}

describe("classfit study", () => {
  it("runs a quick study with workers, prints a JSON summary, and reuses every step on a rerun", async () => {
    const cfg = writeConfig("study.json");
    const out = join(dir, "run");
    const r = await classfit("study", "--config", cfg, "--out", out, "--profile", "quick", "--json", "--workers", "2");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.status).toBe("complete");
    expect(s.stepsComputed).toBe(2 * (1 + 10 + 3) + 1);
    expect(s.networks[0].name).toBe("exported");
    expect(s.networks[0].highClasses.length + s.networks[0].lowClasses.length).toBe(10);
    expect(existsSync(join(out, "report", "report.html"))).toBe(true);
    const html = readFileSync(join(out, "report", "report.html"));
    // Class means of the imported memorization scores, as the artifact defines them.
    const rows = JSON.parse(readFileSync(join(out, "report", "tables", "class-stage.json"), "utf8"));
    const mem = parseNpy(new Uint8Array(readFileSync(join(out, "exported", "memorization", "memorization.npy"))));
    const labels = JSON.parse(readFileSync(join(out, "report", "study-input.json"), "utf8")).exampleTables[0].label;
    for (const r of rows) {
      const own = [...(mem.data as Float64Array)].filter((v, i) => labels[i] === r.classIndex && Number.isFinite(v));
      expect(r.meanMemorization).toBeCloseTo(own.reduce((a, b) => a + b, 0) / own.length, 12);
    }
    expect(html.toString()).toContain("6 networks, each trained on a random 70% of the 10000 training examples");
    // The quick profile reads each example's leave-one-out density, the density step's own
    // column, and shows the in-sample findings beside it in the agreement table.
    const input = JSON.parse(readFileSync(join(out, "report", "study-input.json"), "utf8"));
    const split = input.exampleTables.find((t: { stage: string }) => t.stage === "s2");
    const loo = parseNpy(new Uint8Array(readFileSync(join(out, "exported", "s2", "density", "loo_log_density.npy"))));
    expect(split.looLogDensity).toEqual([...(loo.data as Float64Array)]);
    const agreement = JSON.parse(readFileSync(join(out, "report", "tables", "density-agreement.json"), "utf8"));
    expect(agreement.map((a: { conclusion: string }) => a.conclusion)).toEqual(
      expect.arrayContaining(["ρ density–memorization over examples", "trend of memorization across density bins"]),
    );
    expect(agreement.every((a: { read: string }) => a.read === "leave-one-out")).toBe(true);
    expect(s.networks[0].density).toBe("leave-one-out");
    expect(s.networks[0].other.density).toBe("in-sample");
    // The default start measures no start gap: no such column.
    const conv = readFileSync(join(out, "report", "tables", "convergence.csv"), "utf8");
    expect(conv.split("\r\n")[0]).not.toContain("startGap");
    const again = await classfit(
      "study",
      "--config",
      cfg,
      "--out",
      out,
      "--profile",
      "quick",
      "--json",
      "--workers",
      "1",
    );
    expect(again.status, again.stderr).toBe(0);
    const s2 = JSON.parse(again.stdout);
    expect(s2.stepsComputed).toBe(0);
    expect(s2.stepsReused).toBe(s.stepsComputed);
    // Worker count does not change the bytes.
    expect(readFileSync(join(out, "report", "report.html")).equals(html)).toBe(true);
  }, 120_000);

  it("imports a certification made earlier: certified examples only, counted, in the correlations and bins", async () => {
    const r = await studyImporting("certificationResults", "cert.npz", "run-cert");
    const { out } = r;
    expect(r.status, r.stderr).toBe(0);
    const input = JSON.parse(readFileSync(join(out, "report", "study-input.json"), "utf8"));
    const t = input.exampleTables[0];
    const certified = t.certifiedRadius.filter((v: number | null) => v !== null).length;
    expect(certified).toBe(50);
    expect(t.certifiedRadius.length).toBe(400);
    const analysis = JSON.parse(readFileSync(join(out, "report", "analysis.json"), "utf8"));
    const corr = analysis.networks[0].correlations.find(
      (c: { level: string; variable: string }) => c.level === "example" && c.variable === "certifiedRadius",
    );
    expect(corr.ci.n).toBe(50);
    const bins = analysis.networks[0].densityBins[0].bins;
    expect(bins.reduce((a: number, b: { nCertified: number }) => a + b.nCertified, 0)).toBe(50);
    const html = readFileSync(join(out, "report", "report.html"), "utf8");
    expect(html).toContain("certified robustness imported from");
    expect(html).toContain("n = 400");

    // A study of the first 40 per class keeps the certified examples it holds and says how many it
    // left out (a certification of the whole training set serves any such study).
    const r2 = await studyImporting("certificationResults", "cert-outside.npz", "run-cert-outside");
    const out2 = r2.out;
    expect(r2.status, r2.stderr).toBe(0);
    const t2 = JSON.parse(readFileSync(join(out2, "report", "study-input.json"), "utf8")).exampleTables[0];
    expect(t2.certifiedRadius.filter((v: number | null) => v !== null).length).toBe(50);
    expect(readFileSync(join(out2, "report", "report.html"), "utf8")).toContain(
      "1 other certified example lies outside it",
    );
  }, 120_000);

  it("imports a density-bin protocol: held-out radii per example, in the correlations, bins and report", async () => {
    const r = await studyImporting("densityBinsResults", "bins.npz", "run-bins");
    const { out } = r;
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(readFileSync(join(out, "report", "study-input.json"), "utf8")).exampleTables[0];
    expect(t.heldOutRadius.filter((v: number | null) => v !== null).length).toBe(50);
    expect(t.heldOutCorrect.filter((v: number | null) => v !== null).length).toBe(50);
    expect(t.certifiedRadius).toBeUndefined();
    const net = JSON.parse(readFileSync(join(out, "report", "analysis.json"), "utf8")).networks[0];
    const corr = net.correlations.find(
      (c: { level: string; variable: string }) => c.level === "example" && c.variable === "heldOutRadius",
    );
    expect(corr.ci.n).toBe(50);
    const bins = net.densityBins[0].bins;
    expect(bins.reduce((a: number, b: { nHeldOut: number }) => a + b.nHeldOut, 0)).toBe(50);
    const csv = readFileSync(join(out, "report", "tables", "density-bins.csv"), "utf8");
    expect(csv.split("\n")[0]).toContain("heldOutMeanRadius");
    const html = readFileSync(join(out, "report", "report.html"), "utf8");
    expect(html).toContain(
      "bins.npz: the training set cut into 2 bins by log-density, 25 examples of each bin certified by a network trained without that bin for 3 epochs",
    );
    expect(html).toContain("each certified by a network trained without its density bin");

    // A certification artifact is not a density-bin protocol's; refused in the same run
    // directory, it leaves the finished report as it was.
    const r2 = await studyImporting("densityBinsResults", "cert.npz", "run-bins");
    expect(r2.status).toBe(2);
    expect(readFileSync(join(out, "report", "report.html"), "utf8")).toBe(html);
    expect(r2.stderr).toContain(
      "a certification artifact; a network's density-bin protocol must come from `classfit bins`",
    );
  }, 120_000);

  it("with steps.fit.init bracket, carries each class's start gap into the records, the convergence table and the report", async () => {
    const cfg = writeConfig("study-bracket.json", { steps: { fit: { init: "bracket", chains: 4 } } });
    const out = join(dir, "run-bracket");
    const r = await classfit("study", "--config", cfg, "--out", out, "--profile", "quick", "--json", "--workers", "1");
    expect(r.status, r.stderr).toBe(0);
    const step = JSON.parse(readFileSync(join(out, "exported", "s2", "fit", "class-06", "step.json"), "utf8"));
    expect(step.config.init).toBe("bracket");
    expect(Number.isFinite(step.info.sampler.startGap)).toBe(true);
    const conv = JSON.parse(readFileSync(join(out, "report", "tables", "convergence.json"), "utf8"));
    expect(conv).toHaveLength(20);
    for (const row of conv) expect(Number.isFinite(row.startGap)).toBe(true);
    const html = readFileSync(join(out, "report", "report.html"), "utf8");
    expect(html).toMatch(
      /Half of each class's chains started from 16·K0 clusters instead of K0: the two halves' class means differ by up to <b>[0-9.]+ nats<\/b>/,
    );
  }, 120_000);

  it("refuses a bad config with exit code 2, naming the field", async () => {
    const cfg = writeConfig("bad.json", { steps: { fit: { sweeps: 0, colour: "red" } } });
    const r = await classfit("study", "--config", cfg, "--out", join(dir, "bad"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/steps\.fit\.sweeps: /);
    expect(r.stderr).toMatch(/steps\.fit: unknown key\(s\) "colour"/);
    expect(existsSync(join(dir, "bad"))).toBe(false);
    const missing = writeConfig("missing.json", {
      networks: [{ name: "x", activations: { s1: "nope.npy" } }],
    });
    const r2 = await classfit("study", "--config", missing, "--out", join(dir, "bad2"), "--profile", "quick");
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/nope\.npy: cannot read the file/);
  });

  it("leaves a resumable run on Ctrl-C (exit 130), and the rerun finishes it", async () => {
    const cfg = writeConfig("slow.json", { steps: { fit: { sweeps: 400, burnIn: 320 } } });
    const out = join(dir, "interrupted");
    const child = spawn(
      process.execPath,
      [cli, "study", "--config", cfg, "--out", out, "--profile", "quick", "--workers", "2"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const first = join(out, "exported", "s1", "fit", "class-00", "step.json");
    const t0 = Date.now();
    while (!existsSync(first) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/rerun the same command to resume/);
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(m.status).toBe("interrupted");
    const done = m.steps.filter((s: { step: string }) => s.step === "fit").length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(20);
    const r = await classfit("study", "--config", cfg, "--out", out, "--profile", "quick", "--json", "--workers", "2");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stepsReused).toBeGreaterThanOrEqual(done + 1);
    // The resumed run holds exactly the bytes of an uninterrupted one.
    const whole = join(dir, "uninterrupted");
    const u = await classfit(
      "study",
      "--config",
      cfg,
      "--out",
      whole,
      "--profile",
      "quick",
      "--json",
      "--workers",
      "2",
    );
    expect(u.status, u.stderr).toBe(0);
    const files = (root: string) =>
      (readdirSync(root, { recursive: true }) as string[])
        .filter((f) => f !== "manifest.json" && statSync(join(root, f)).isFile())
        .sort();
    expect(files(out)).toEqual(files(whole));
    for (const f of files(whole)) expect(readFileSync(join(out, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
  }, 180_000);
});

describe("classfit demo", () => {
  it("names the missing models and exits 2", async () => {
    const r = await classfit("demo", "--out", join(dir, "demo"), "--resnet", join(dir, "no-such-model"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the demo needs the shipped models, and these are missing: .*no-such-model/);
  });
});
