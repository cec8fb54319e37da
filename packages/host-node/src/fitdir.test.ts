import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FitDirWriter, type FitManifest, readFitDir } from "./fitdir.js";
import { sha256 } from "./io.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "classfit-fitdir-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function manifestFor(classes: { label: number | null; file: string; sha256: string }[], n = 3): FitManifest {
  return {
    format: "classfit-fitdir",
    formatVersion: 2,
    classfitVersion: "0.0.0-test",
    profile: "default",
    config: { sweeps: 10 },
    seed: 0,
    data: { file: "Z.npy", path: "/x/Z.npy", sha256: "0".repeat(64), n, d: 2 },
    labels: null,
    classes: classes.map((c) => ({ ...c, n, d: 2, meanK: 1.5, rhat: 1.01, seconds: 0.1, warnings: [] })),
  };
}

function writeOne(target: string, payload: number[]): void {
  const w = FitDirWriter.begin(target);
  const ref = w.addClass(4, Uint8Array.from(payload));
  w.commit(manifestFor([{ label: 4, ...ref }]));
}

describe("FITDIR", () => {
  it("round-trips: manifest and class files read back, sha256 checked", () => {
    const target = join(dir, "fit");
    writeOne(target, [1, 2, 3]);
    const { manifest, classes } = readFitDir(target);
    expect(manifest.classes[0]?.file).toBe("class-04/model.npz");
    expect(Array.from(classes[0]?.bytes ?? [])).toEqual([1, 2, 3]);
    expect(classes[0]?.entry.sha256).toBe(sha256(Uint8Array.from([1, 2, 3])));
    expect(readdirSync(dir)).toEqual(["fit"]); // no staging or .old left behind
    expect(readdirSync(target).sort()).toEqual(["class-04", "manifest.json"]);
    expect(readdirSync(join(target, "class-04"))).toEqual(["model.npz"]);
  });

  it("an aborted (or crashed) write leaves the earlier FITDIR intact and readable", () => {
    const target = join(dir, "fit");
    writeOne(target, [1, 2, 3]);
    const w = FitDirWriter.begin(target);
    w.addClass(4, Uint8Array.from([9, 9]));
    // Crash here: staging exists, the target still holds the first fit.
    expect(readFitDir(target).classes[0]?.bytes).toEqual(Uint8Array.from([1, 2, 3]));
    w.abort();
    expect(readdirSync(dir)).toEqual(["fit"]);
  });

  it("a rerun removes a stale staging dir from an interrupted run, and a commit replaces the earlier fit", () => {
    const target = join(dir, "fit");
    writeOne(target, [1]);
    const stale = join(dir, ".fit.partial");
    mkdirSync(stale);
    mkdirSync(join(stale, "class-04"));
    writeFileSync(join(stale, "class-04/model.npz"), "half");
    writeFileSync(join(stale, ".pid"), "999999999"); // a dead process
    writeOne(target, [7, 7]);
    expect(existsSync(stale)).toBe(false);
    expect(readFitDir(target).classes[0]?.bytes).toEqual(Uint8Array.from([7, 7]));
  });

  it("refuses to run over a staging dir owned by a live process", () => {
    const stale = join(dir, ".fit.partial");
    mkdirSync(stale);
    const parentPid = process.ppid; // alive while this test runs
    writeFileSync(join(stale, ".pid"), String(parentPid));
    expect(() => FitDirWriter.begin(join(dir, "fit"))).toThrow(
      new RegExp(`another classfit process \\(pid ${parentPid}\\)`),
    );
  });

  it("never presents an interrupted fit as complete", () => {
    const target = join(dir, "fit");
    const w = FitDirWriter.begin(target);
    w.addClass(0, Uint8Array.from([1]));
    expect(() => readFitDir(target)).toThrow(/no such FITDIR/);
    mkdirSync(target);
    expect(() => readFitDir(target)).toThrow(/not a classfit FITDIR \(no manifest\.json\) \(an interrupted fit left/);
  });

  it("refuses to replace a non-empty directory that is not a FITDIR", () => {
    const target = join(dir, "mine");
    mkdirSync(target);
    writeFileSync(join(target, "notes.txt"), "precious");
    expect(() => FitDirWriter.begin(target)).toThrow(/is not a classfit FITDIR.*refusing to replace it/);
    expect(readFileSync(join(target, "notes.txt"), "utf8")).toBe("precious");
  });

  it("detects a corrupted class file, a bad manifest and an unsupported version", () => {
    const target = join(dir, "fit");
    writeOne(target, [1, 2, 3]);
    writeFileSync(join(target, "class-04/model.npz"), Uint8Array.from([1, 2, 4]));
    expect(() => readFitDir(target)).toThrow(/class-04\/model\.npz: sha256 does not match manifest\.json/);
    const mpath = join(target, "manifest.json");
    const m = JSON.parse(readFileSync(mpath, "utf8"));
    writeFileSync(mpath, JSON.stringify({ ...m, formatVersion: 99 }));
    expect(() => readFitDir(target)).toThrow(/format version 99 is not supported/);
    writeFileSync(mpath, JSON.stringify({ ...m, classes: [{ ...m.classes[0], n: -1 }] }));
    expect(() => readFitDir(target)).toThrow(/invalid manifest at classes\.0\.n/);
    writeFileSync(mpath, "{ not json");
    expect(() => readFitDir(target)).toThrow(/manifest\.json: not valid JSON/);
    rmSync(join(target, "class-04/model.npz"));
    writeFileSync(mpath, JSON.stringify(m));
    expect(() => readFitDir(target)).toThrow(/class-04\/model\.npz: missing/);
  });
});
