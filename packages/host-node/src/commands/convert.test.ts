// Old formats: still read (with one note naming `classfit convert`), and `classfit convert`
// rewrites them as exactly the bytes this version writes.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeNpy } from "@classfit/models/npy";
import {
  decodeContainer,
  encodeLegacyContainer,
  fnv1a64,
  readClassModelFile,
  readProjectionFile,
  type StoredArray,
} from "@classfit/pipeline";
import { encodeProjection } from "@classfit/wasm-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../io.js";
import { classfit, fails, ok } from "../test-helpers.js";

let dir: string;
const p = (...parts: string[]) => join(dir, ...parts);
const bytes = (path: string) => new Uint8Array(readFileSync(path));
const asset = fileURLToPath(new URL("../../assets/demo/memorization-resnet.npz", import.meta.url));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "classfit-convert-"));
  const n = 40;
  const z = Float64Array.from({ length: n * 2 }, (_, i) => Math.sin(1.3 * i) + (i < n ? 0 : 3));
  writeFileSync(p("Z.npy"), encodeNpy(z, [n, 2]));
  writeFileSync(
    p("y.npy"),
    encodeNpy(
      Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1)),
      [n],
    ),
  );
  await ok(
    "fit",
    "--data",
    p("Z.npy"),
    "--labels",
    p("y.npy"),
    "--out",
    p("fit"),
    "--sweeps",
    "24",
    "--burn-in",
    "12",
    "--chains",
    "2",
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The FITDIR as the previous version wrote it: format 1, raw CFDPGMM `class-<label>.bin`. */
function writeOldFitDir(from: string, to: string): void {
  const m = JSON.parse(readFileSync(join(from, "manifest.json"), "utf8"));
  mkdirSync(to);
  for (const c of m.classes) {
    const old = readClassModelFile(bytes(join(from, c.file)), c.file).encoded;
    c.file = `class-${c.label}.bin`;
    c.sha256 = sha256(old);
    writeFileSync(join(to, c.file), old);
  }
  writeFileSync(join(to, "manifest.json"), JSON.stringify({ ...m, formatVersion: 1 }, null, 2));
}

describe("old formats", () => {
  it("an old FITDIR is read with one note naming classfit convert, and convert makes today's bytes", async () => {
    writeOldFitDir(p("fit"), p("fit-old"));
    const dens = ["--data", p("Z.npy"), "--labels", p("y.npy")];
    await ok("density", "--fit", p("fit"), ...dens, "--out", p("S.npy"));
    const old = await classfit("density", "--fit", p("fit-old"), ...dens, "--out", p("S-old.npy"));
    expect(old.status).toBe(0);
    const notes = old.stderr.split("\n").filter((l) => l.includes("old"));
    // One line for the whole FITDIR (its class files are converted with it, not alone).
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/fit-old is in the old FITDIR version 1 .*`classfit convert .*fit-old`/);
    expect(bytes(p("S-old.npy"))).toEqual(bytes(p("S.npy")));
    await fails(
      /class-0\.bin belongs to the FITDIR .*fit-old: convert the directory/,
      "convert",
      p("fit-old", "class-0.bin"),
    );

    const out = await ok("convert", p("fit-old"));
    expect(out).toMatch(/convert: 2 file\(s\) converted/);
    const m = JSON.parse(readFileSync(p("fit-old", "manifest.json"), "utf8"));
    expect(m.formatVersion).toBe(2);
    expect(existsSync(p("fit-old", "class-0.bin"))).toBe(false);
    for (const c of ["class-00", "class-01"])
      expect(bytes(p("fit-old", c, "model.npz"))).toEqual(bytes(p("fit", c, "model.npz")));
    const again = await classfit("density", "--fit", p("fit-old"), ...dens, "--out", p("S-conv.npy"));
    expect(again.stderr).not.toMatch(/classfit convert/);
    expect(bytes(p("S-conv.npy"))).toEqual(bytes(p("S.npy")));
  });

  it("an old CFPJ projection is applied with a note; convert gives the .npz reduce writes", async () => {
    await ok("reduce", "--data", p("Z.npy"), "--k", "2", "--out", p("R.npy"));
    const now = bytes(p("R.projection.npz"));
    writeFileSync(p("old.projection.bin"), encodeProjection(readProjectionFile(now, "R.projection.npz")));
    const r = await classfit(
      "reduce",
      "--data",
      p("Z.npy"),
      "--projection",
      p("old.projection.bin"),
      "--out",
      p("R2.npy"),
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/old\.projection\.bin is in the old CFPJ format.*classfit convert/);
    expect(bytes(p("R2.npy"))).toEqual(bytes(p("R.npy")));
    await ok("convert", p("old.projection.bin"));
    expect(existsSync(p("old.projection.bin"))).toBe(false);
    expect(bytes(p("old.projection.npz"))).toEqual(now);
  });

  it("an old CFA1 memorization artifact converts to the .npz this version writes", async () => {
    const now = bytes(asset);
    const c = decodeContainer(now, "asset");
    writeFileSync(p("mem.cfa"), encodeLegacyContainer(c.meta, [...c.arrays] as [string, StoredArray][]));
    await ok("convert", p("mem.cfa"));
    expect(existsSync(p("mem.cfa"))).toBe(false);
    expect(bytes(p("mem.npz"))).toEqual(now);
    // Already current: left alone.
    expect(await ok("convert", p("mem.npz"))).toMatch(/0 file\(s\) converted, 1 already current/);
  });

  it("a study's step folders: outputs converted and step.json updated to name them", async () => {
    const model = readClassModelFile(bytes(p("fit", "class-00", "model.npz")), "m").encoded;
    const step = (d: string, outputs: Record<string, Uint8Array>, config: Record<string, unknown> = {}) => {
      mkdirSync(d, { recursive: true });
      const hashes: Record<string, string> = {};
      for (const [name, b] of Object.entries(outputs)) {
        writeFileSync(join(d, name), b);
        hashes[name] = fnv1a64(b);
      }
      const name = d.endsWith("complexity") ? "complexity" : "fit";
      const record = { format: "classfit-step", step: name, key: "k", inputs: {}, config, outputs: hashes, info: {} };
      writeFileSync(join(d, "step.json"), JSON.stringify(record, null, 1));
    };
    step(p("run", "net", "s1", "fit", "class-00"), { "model.dpgmm": model });
    const bare = [
      { kl: 1.5, se: 0.1 },
      { kl: 2, se: 0.2 },
    ];
    step(
      p("run", "net", "s1", "complexity"),
      { "kl.json": new TextEncoder().encode(JSON.stringify(bare)) },
      { samples: 10, reference: "diag", variant: "exact", seed: 3 },
    );
    // The run's manifest names the classes that an old kl.json did not.
    const manifest = { format: "classfit-run", dataset: { classNames: ["a", "b"] } };
    writeFileSync(p("run", "manifest.json"), JSON.stringify(manifest));
    await ok("convert", p("run"));
    const fitDir = p("run", "net", "s1", "fit", "class-00");
    const rec = JSON.parse(readFileSync(join(fitDir, "step.json"), "utf8"));
    expect(Object.keys(rec.outputs)).toEqual(["model.npz"]);
    expect(rec.outputs["model.npz"]).toBe(fnv1a64(bytes(join(fitDir, "model.npz"))));
    expect(bytes(join(fitDir, "model.npz"))).toEqual(bytes(p("fit", "class-00", "model.npz")));
    expect(existsSync(join(fitDir, "model.dpgmm"))).toBe(false);
    const kl = JSON.parse(readFileSync(p("run", "net", "s1", "complexity", "kl.json"), "utf8"));
    expect(kl).toMatchObject({ format: "classfit-kl", reference: "diag", samples: 10, variant: "exact", seed: 3 });
    expect(kl.classes.map((c: { name: string }) => c.name)).toEqual(["a", "b"]);
    expect(kl.classes.map((c: { label: number; kl: number }) => [c.label, c.kl])).toEqual([
      [0, 1.5],
      [1, 2],
    ]);
  });

  it("a corrupt old file is bad input (exit 2), naming it; nothing is written", async () => {
    cpSync(asset, p("whole.npz"));
    const c = decodeContainer(bytes(asset), "asset");
    const legacy = encodeLegacyContainer(c.meta, [...c.arrays] as [string, StoredArray][]);
    writeFileSync(p("cut.cfa"), legacy.subarray(0, legacy.length - 100));
    await fails(/cut\.cfa: .*runs past the end/, "convert", p("cut.cfa"));
    expect(existsSync(p("cut.npz"))).toBe(false);
    expect(existsSync(p("cut.cfa"))).toBe(true);
  });
});
