// The models shipped in assets/models were trained by classfit's own `train` command on the
// embedded Fashion-MNIST subset; their manifests record the exact command and test accuracy.
// Here the shipped weights are evaluated on the shipped test subset and must reproduce it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { DEFAULT_MODELS_DIR, loadDataset, readModelDir } from "../io/node.js";
import { evaluateModel } from "../train/evaluate.js";

const shipped = [
  { dir: "resnet-narrow", arch: "resnet", minAccuracy: 0.85 },
  { dir: "convnet-narrow", arch: "convnet", minAccuracy: 0.8 },
];

beforeAll(async () => {
  await initBackend();
});

describe("shipped default models", () => {
  it.each(shipped)(
    "$dir: reaches its recorded test accuracy on the shipped test subset",
    async ({ dir, arch, minAccuracy }) => {
      const path = join(DEFAULT_MODELS_DIR, dir);
      expect(existsSync(join(path, "manifest.json")), `${path} is missing`).toBe(true);
      const { model, manifest } = await readModelDir(path);
      try {
        expect(manifest?.architecture?.arch).toBe(arch);
        expect(manifest?.command).toMatch(new RegExp(`^classfit train --arch ${arch} --data default `));
        expect(manifest?.parameters).toBeLessThan(500_000);
        const test = await loadDataset({ path: "default", split: "test" });
        const e = await evaluateModel(
          model,
          test,
          manifest?.normalisation as NonNullable<typeof manifest>["normalisation"],
        );
        expect(e.n).toBe(2000);
        // Equal today (same kernels as at training time); the margin of 10 images out of 2 000 lets
        // the wasm kernels change their summation order without invalidating the shipped weights.
        expect(Math.abs(e.accuracy - (manifest?.metrics?.testAccuracy ?? Number.NaN))).toBeLessThanOrEqual(0.005);
        expect(e.accuracy).toBeGreaterThanOrEqual(minAccuracy);
        const json = JSON.parse(readFileSync(join(path, "model.json"), "utf8"));
        expect(json.format).toBe("layers-model");
      } finally {
        model.dispose();
      }
    },
  );
});
