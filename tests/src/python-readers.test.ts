// Every artifact kind classfit writes is read by NumPy alone (Debian's /usr/bin/python3 with
// numpy, no classfit code), and must hold exactly what classfit's own readers return; and
// scipy.stats.multivariate_t on an exported class model reproduces `classfit density` (every
// variant) to 1e-9 on log densities, as docs/python.md shows. Without numpy/scipy the suite
// skips with one line, except with CI=true, where it fails.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeNpy, parseNpy } from "@classfit/models/npy";
import {
  decodeCertification,
  decodeContainer,
  decodeMemorization,
  decodeShare,
  readClassModelFile,
  readKlJson,
  readProjectionFile,
} from "@classfit/pipeline";
import { allTraces as allTracesOf } from "@classfit/wasm-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PYTHON = "/usr/bin/python3";
const cli = fileURLToPath(new URL("../../packages/host-node/bin/classfit.js", import.meta.url));
const shippedModel = fileURLToPath(new URL("../../packages/models/assets/models/resnet-narrow", import.meta.url));

/** Whether numpy and scipy import in Debian's python; in CI they must. */
function pythonAvailability(): { available: boolean; reason: string } {
  let reason = "";
  if (!existsSync(PYTHON)) reason = `no ${PYTHON}`;
  else {
    try {
      execFileSync(PYTHON, ["-c", "import numpy, scipy.stats"], { stdio: "pipe" });
    } catch (e) {
      reason = `${PYTHON} cannot import numpy and scipy (${String((e as { stderr?: Buffer }).stderr ?? e)
        .trim()
        .split("\n")
        .pop()}); apt-get install python3-numpy python3-scipy`;
    }
  }
  if (reason !== "" && process.env.CI === "true")
    throw new Error(`CI=true requires the Python reader tests to run, but there is ${reason}`);
  return { available: reason === "", reason };
}

const availability = pythonAvailability();
if (!availability.available) console.log(`SKIP python readers: ${availability.reason}`);

let dir: string;
const p = (...parts: string[]) => join(dir, ...parts);
const bytes = (f: string) => new Uint8Array(readFileSync(f));
const sha = (a: ArrayBufferView) =>
  createHash("sha256")
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest("hex");

function classfit(...args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function python(script: string, ...args: string[]): string {
  return execFileSync(PYTHON, ["-c", script, ...args], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

interface PyMember {
  dtype: string;
  shape: number[];
  sha256: string;
}
interface PyNpz {
  meta: Record<string, unknown> | null;
  members: Record<string, PyMember>;
}

/** numpy.load of an .npz: each member's dtype, shape and sha256 of its C-order bytes, and the
 * JSON of `meta`. Nothing from classfit is imported. */
const LOAD_NPZ = `
import hashlib, json, sys
import numpy as np
z = np.load(sys.argv[1])
out = {"meta": None, "members": {}}
for name in z.files:
    a = z[name]
    out["members"][name] = {"dtype": a.dtype.str, "shape": list(a.shape),
                            "sha256": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()}
if "meta" in z.files:
    out["meta"] = json.loads(z["meta"].tobytes().decode("utf-8"))
print(json.dumps(out))
`;

const loadNpz = (file: string): PyNpz => JSON.parse(python(LOAD_NPZ, file)) as PyNpz;

/** Checks a member numpy read against classfit's array: dtype, shape and every byte. */
function expectMember(py: PyNpz, name: string, a: ArrayBufferView & { length: number }, shape?: number[]): void {
  const m = py.members[name];
  expect(m, name).toBeDefined();
  const dtype =
    a instanceof Float64Array ? "<f8" : a instanceof Int32Array ? "<i4" : a instanceof Uint32Array ? "<u4" : "|u1";
  expect(m?.dtype, name).toBe(dtype);
  expect(m?.shape, name).toEqual(shape ?? [a.length]);
  expect(m?.sha256, name).toBe(sha(a));
}

/** The study-data: two well-separated 3-D classes, and new points between them. */
function writeData(): void {
  const n = 60;
  const z = new Float64Array(n * 3);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < 3; j++)
      z[i * 3 + j] = Math.sin(1.7 * i + 0.9 * j) * (i < n / 2 ? 1 : 0.5) + (i < n / 2 ? 0 : 3);
  writeFileSync(p("Z.npy"), encodeNpy(z, [n, 3]));
  writeFileSync(
    p("y.npy"),
    encodeNpy(
      Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1)),
      [n],
    ),
  );
  const x = Float64Array.from({ length: 20 * 3 }, (_, i) => 1.5 + 2 * Math.cos(0.77 * i));
  writeFileSync(p("X.npy"), encodeNpy(x, [20, 3]));
}

describe.skipIf(!availability.available)("artifacts read by numpy without classfit", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "classfit-python-"));
    writeData();
    classfit(
      "fit",
      "--data",
      "Z.npy",
      "--labels",
      "y.npy",
      "--out",
      "fit",
      "--sweeps",
      "30",
      "--burn-in",
      "14",
      "--chains",
      "2",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("class model: weights, means, Student-t factors, df and config match classfit's reader", () => {
    for (const c of ["class-00", "class-01"]) {
      const file = p("fit", c, "model.npz");
      const py = loadNpz(file);
      const { model, encoded } = readClassModelFile(bytes(file), file);
      const traces = allTracesOf(model);
      const C = traces.reduce((s, t) => s + t.counts.length + 1, 0);
      const d = model.d;
      expect(py.meta?.format).toBe("classfit-class-model");
      expect(py.meta?.config).toEqual({ ...model.config });
      expect((py.meta?.config as { classScore?: string } | undefined)?.classScore).toBe(model.config.classScore);
      expect(py.members.means?.shape).toEqual([C, d]);
      expect(py.members.scale_chol?.shape).toEqual([C, d, d]);
      expect(py.members.weights?.shape).toEqual([C]);
      expect(py.members.alpha?.shape).toEqual([traces.length]);
      expectMember(py, "cfdpgmm", encoded);
      // Component means, trace by trace, with μ0 for each trace's new-cluster row.
      const means = new Float64Array(C * d);
      let k = 0;
      for (const t of traces) {
        means.set(t.means, k * d);
        k += t.counts.length;
        means.set(model.prior.mu0, k * d);
        k++;
      }
      expectMember(py, "means", means, [C, d]);
      expectMember(
        py,
        "alpha",
        Float64Array.from(traces, (t) => t.alpha),
      );
    }
  });

  it("scipy.stats.multivariate_t on the exported model reproduces classfit density to 1e-9, every variant", () => {
    const script = readFileSync(fileURLToPath(new URL("../python/density.py", import.meta.url)), "utf8");
    for (const variant of ["exact", "mean-log", "paper"]) {
      classfit(
        "density",
        "--fit",
        "fit",
        "--data",
        "X.npy",
        "--all-classes",
        "--variant",
        variant,
        "--out",
        `S-${variant}.npy`,
      );
      const S = parseNpy(bytes(p(`S-${variant}.npy`)));
      expect(S.shape).toEqual([20, 2]);
      for (const [j, c] of ["class-00", "class-01"].entries()) {
        python(script, p("fit", c, "model.npz"), "X.npy", variant, `py-${variant}-${j}.npy`);
        const ours = parseNpy(bytes(p(`py-${variant}-${j}.npy`))).data as Float64Array;
        const theirs = S.data as Float64Array;
        for (let i = 0; i < 20; i++)
          expect(Math.abs((ours[i] as number) - (theirs[i * 2 + j] as number))).toBeLessThan(1e-9);
      }
    }
    // The fit's own rows are scored with the class score by default; the same script with it.
    classfit("density", "--fit", "fit", "--data", "Z.npy", "--labels", "y.npy", "--out", "S-own.npy");
    const own = parseNpy(bytes(p("S-own.npy"))).data as Float64Array;
    const classScore = readClassModelFile(bytes(p("fit", "class-00", "model.npz")), "m").model.config.classScore;
    python(script, p("fit", "class-00", "model.npz"), "Z.npy", classScore, "py-own.npy");
    const py = parseNpy(bytes(p("py-own.npy"))).data as Float64Array;
    for (let i = 0; i < 30; i++) expect(Math.abs((py[i] as number) - (own[i] as number))).toBeLessThan(1e-9);
  });

  it("projection: mean, components, singular values; Z = (R − mean) @ components.T", () => {
    classfit("reduce", "--data", "Z.npy", "--k", "2", "--center", "--out", "R.npy");
    const file = p("R.projection.npz");
    const py = loadNpz(file);
    const proj = readProjectionFile(bytes(file), file);
    expect(py.meta).toMatchObject({ format: "classfit-projection", c: 3, k: 2, centered: true });
    expect(py.meta?.retainedEnergy).toBe(proj.retainedEnergy);
    expectMember(py, "mean", proj.mean);
    expectMember(py, "components", proj.components, [2, 3]);
    expectMember(py, "singular_values", proj.singularValues);
    const err = python(
      `import numpy as np
z = np.load("R.projection.npz"); R = np.load("Z.npy")
print(np.max(np.abs((R - z["mean"]) @ z["components"].T - np.load("R.npy"))))`,
    );
    expect(Number(err)).toBeLessThan(1e-12);
  });

  it("kl.json: labelled, the same shape as the study's", () => {
    classfit("kl", "--fit", "fit", "--out", "kl.json", "--samples", "200");
    const kl = readKlJson(bytes(p("kl.json")), "kl.json");
    const py = JSON.parse(
      python(
        `import json; t = json.load(open("kl.json")); print(json.dumps([[c["label"], c["kl"]] for c in t["classes"]]))`,
      ),
    );
    expect(py).toEqual(kl.classes.map((c) => [c.label, c.kl]));
  });

  it("certification artifact and a share of it: per-example columns and units", () => {
    const args = ["certify", "--model", shippedModel, "--examples", "0:4", "--unit-size", "2"];
    const settings = ["--sigma", "0.5", "--n", "40", "--n0", "10", "--alpha", "0.01", "--noise-batch", "25"];
    classfit(...args, ...settings, "--out", "cert");
    const file = p("cert", "certification.npz");
    const py = loadNpz(file);
    const a = decodeCertification(bytes(file), file);
    expect(py.meta?.format).toBe("classfit-certification");
    expect(py.meta?.config).toEqual(a.config);
    for (const [name, col] of Object.entries(a.columns)) expectMember(py, name, col as Float64Array | Int32Array);
    classfit(...args, ...settings, "--out", "certsh", "--shard", "1/2");
    const shareFile = p("certsh", "shares", "certification-1-of-2.npz");
    const share = decodeShare(bytes(shareFile), shareFile);
    const pyShare = loadNpz(shareFile);
    expect(pyShare.meta).toMatchObject({ format: "classfit-share", kind: "certification", units: [1] });
    expectMember(pyShare, "unit:1", share.units.get(1) as Uint8Array);
    // Each stored unit is an .npz too.
    const unitDir = p("certsh", "units", "certification");
    const [hash] = readdirSync(unitDir);
    const unitFile = join(unitDir, hash as string, "unit-000001.npz");
    const pyUnit = loadNpz(unitFile);
    expect(pyUnit.meta).toMatchObject({ format: "classfit-unit", kind: "certification", index: 1 });
    expectMember(pyUnit, "payload", decodeContainer(bytes(unitFile), unitFile).arrays.get("payload") as Uint8Array);
  });

  it("memorization artifact: per-example counts, scores and standard errors", () => {
    classfit(
      "memorization",
      ...["--arch", "resnet", "--blocks", "1", "--width", "0.0625", "--limit", "40", "--epochs", "1"],
      ...["--batch-size", "20", "--models", "2", "--subset", "0.5", "--seed", "3", "--out", "mem"],
    );
    const file = p("mem", "memorization.npz");
    const py = loadNpz(file);
    const m = decodeMemorization(bytes(file), file);
    expect(py.meta?.format).toBe("classfit-memorization");
    for (const name of ["inCount", "inCorrect", "outCount", "outCorrect", "score", "stdError"] as const)
      expectMember(py, name, m[name]);
  });
});
