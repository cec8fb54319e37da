// `classfit fit` and the study's fit step give the same model bytes for the same class rows,
// settings and seed: both run the pipeline's fit task with the pipeline's per-class seed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy } from "@classfit/models/npy";
import {
  deriveSeed,
  encodeClassModelNpz,
  executeTask,
  PROFILE_SETTINGS,
  readClassModelFile,
  type StepSettings,
  type TaskInput,
} from "@classfit/pipeline";
import { decodeClassModel } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { afterAll, describe, expect, it } from "vitest";
import { ok } from "../test-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "classfit-fit-parity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 30;
const D = 3;
const SEED = 11;

// Two classes of N rows from a small LCG (test data only), interleaved so each class's rows are
// not one contiguous block of the file.
function data(): { x: Float64Array; y: Int32Array } {
  let s = 12345;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const x = new Float64Array(2 * N * D);
  const y = new Int32Array(2 * N);
  for (let i = 0; i < 2 * N; i++) {
    y[i] = i % 2;
    for (let j = 0; j < D; j++) x[i * D + j] = 3 * (y[i] as number) * (j + 1) + 2 * u() - 1;
  }
  return { x, y };
}

/** The flags that give `classfit fit` the study's fit settings (`bare`: only the profile). */
function flags(f: StepSettings["fit"], bare: boolean): string[] {
  if (bare) return ["--profile", f.profile];
  return [
    "--profile",
    f.profile,
    "--sweeps",
    String(f.sweeps),
    "--burn-in",
    String(f.burnIn),
    "--thin",
    String(f.thin),
    "--chains",
    String(f.chains),
    "--init-clusters",
    String(f.initClusters),
    "--split-merge",
    String(f.splitMerge),
  ];
}

describe("classfit fit = the study's fit step", () => {
  const { x, y } = data();
  writeFileSync(join(dir, "Z.npy"), encodeNpy(x, [2 * N, D]));
  writeFileSync(join(dir, "y.npy"), encodeNpy(y, [2 * N]));

  // "default, no flags": `classfit fit --profile default` alone is the study's default fit step,
  // so the sampler's profile table and the study's cannot drift apart unnoticed.
  it.each([
    ["quick", { ...PROFILE_SETTINGS.quick.fit, chains: 2 }, false],
    ["paper", { ...PROFILE_SETTINGS.paper.fit, sweeps: 24, burnIn: 12 }, false],
    ["default, no flags", PROFILE_SETTINGS.default.fit, true],
  ] as const)("%s settings: byte-identical models per class", async (name, f, bare) => {
    const out = join(dir, `fit-${name.replace(/\W+/g, "-")}`);
    await ok(
      "fit",
      "--data",
      join(dir, "Z.npy"),
      "--labels",
      join(dir, "y.npy"),
      "--out",
      out,
      "--seed",
      String(SEED),
      ...flags(f, bare),
    );
    const core = await createCore();
    for (const c of [0, 1]) {
      // What the study hands its pool for one class: the class's rows in dataset order, the fit
      // step's settings and a per-class seed from deriveSeed.
      const rows = Array.from({ length: 2 * N }, (_, i) => i).filter((i) => y[i] === c);
      const classData = new Float64Array(rows.length * D);
      rows.forEach((r, i) => {
        classData.set(x.subarray(r * D, (r + 1) * D), i * D);
      });
      const study = executeTask(core, "fit", {
        data: classData,
        n: rows.length,
        d: D,
        config: { ...f, seed: deriveSeed(SEED, "fit", c) } as TaskInput<"fit">["config"],
      });
      const file = new Uint8Array(readFileSync(join(out, `class-0${c}`, "model.npz")));
      const cli = readClassModelFile(file, `class-0${c}/model.npz`).encoded;
      expect(cli.length).toBeGreaterThan(0);
      expect(Buffer.from(cli).equals(Buffer.from(study.modelBytes))).toBe(true);
      // The study's fit step writes the same file for the same model.
      expect(Buffer.from(file).equals(Buffer.from(encodeClassModelNpz(decodeClassModel(study.modelBytes))))).toBe(true);
    }
  });
});
