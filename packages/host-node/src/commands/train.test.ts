// The models commands end to end, in process: train → evaluate → extract on a tiny .npy
// dataset, and their errors on bad input (non-zero exit, message naming the problem, earlier
// results intact).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { archConfigOf, encodeNpy, parseNpy, syntheticDataset } from "@classfit/models";
import { DEFAULT_MODELS_DIR } from "@classfit/models/node";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../cli.js";
import { classfit } from "../test-helpers.js";
import { archSettings, type TrainOptions } from "./train.js";

const tmp = mkdtempSync(join(tmpdir(), "classfit-models-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeSplit(dir: string, split: string, n: number, variant: number, channels = 1): void {
  const ds = syntheticDataset({ n, variant, channels });
  writeFileSync(
    join(dir, `${split}_images.npy`),
    encodeNpy(ds.images as Uint8Array, channels === 1 ? [n, 28, 28] : [n, 28, 28, 3]),
  );
  writeFileSync(join(dir, `${split}_labels.npy`), encodeNpy(ds.labels, [n]));
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await classfit(...args);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("classfit train / evaluate / extract", () => {
  const data = join(tmp, "data");
  mkdirSync(data);
  writeSplit(data, "train", 12, 0);
  writeSplit(data, "test", 6, 1);
  const model = join(tmp, "model");
  const act = join(tmp, "act");

  it("train writes MODELDIR with a manifest recording the exact command and the test accuracy", async () => {
    const args = [
      "train",
      "--arch",
      "resnet",
      "--blocks",
      "1,1",
      "--width",
      "0.0625",
      "--data",
      data,
      "--out",
      model,
      "--epochs",
      "2",
      "--batch-size",
      "6",
      "--seed",
      "4",
    ];
    const r = await run(args);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/epoch 2\/2: loss [\d.]+, train accuracy [\d.]+%, test accuracy [\d.]+%/);
    const m = JSON.parse(readFileSync(join(model, "manifest.json"), "utf8"));
    expect(m.command).toBe(`classfit ${args.join(" ")}`);
    expect(m.architecture).toEqual({ arch: "resnet", blocks: [1, 1], widthMultiplier: 0.0625 });
    expect(m.stages).toEqual(["stage1", "stage2"]);
    expect(m.training.seed).toBe(4);
    expect(m.training.augmentation).toEqual({ cropPadding: 2, flip: false });
    expect(m.metrics.testN).toBe(6);
    expect(m.metrics.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(model, "model.json")) && existsSync(join(model, "weights.bin"))).toBe(true);
    expect(existsSync(`${model}.checkpoint`)).toBe(false);
  });

  it("without architecture flags trains the shipped narrow ResNet and says how to get the full-width ResNet-18", async () => {
    const out = join(tmp, "narrow");
    const r = await run(["train", "--data", data, "--out", out, "--epochs", "1", "--batch-size", "6"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /narrow resnet by default .*for the full-width ResNet-18 pass --arch resnet --depth 18 --width 1/,
    );
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(m.architecture).toEqual({ arch: "resnet", blocks: [1, 1, 1, 1], widthMultiplier: 0.125 });
    // An explicit width is full control: no hint, and --depth picks the blocks.
    const full = await run([
      ...["train", "--data", data, "--out", join(tmp, "deep"), "--epochs", "1", "--batch-size", "6"],
      ...["--depth", "10", "--width", "0.0625"],
    ]);
    expect(full.code, full.err).toBe(0);
    expect(full.out).not.toMatch(/narrow resnet by default/);
    expect(JSON.parse(readFileSync(join(tmp, "deep", "manifest.json"), "utf8")).architecture).toEqual({
      arch: "resnet",
      blocks: [1, 1, 1, 1],
      widthMultiplier: 0.0625,
    });
  });

  it("evaluate reproduces the recorded test accuracy", async () => {
    const r = await run(["evaluate", "--model", model, "--data", data, "--json"]);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out);
    const m = JSON.parse(readFileSync(join(model, "manifest.json"), "utf8"));
    expect(e.accuracy).toBe(m.metrics.testAccuracy);
    expect(e.n).toBe(6);
    expect(e.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(6);
  });

  it("extract writes one float32 N × C .npy per stage plus labels", async () => {
    const r = await run(["extract", "--model", model, "--data", data, "--out", act, "--pool", "max"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(parseNpy(readFileSync(join(act, "stage1.npy"))).shape).toEqual([12, 4]);
    expect(parseNpy(readFileSync(join(act, "stage2.npy"))).shape).toEqual([12, 8]);
    expect(JSON.parse(readFileSync(join(act, "manifest.json"), "utf8")).pool).toBe("max");
  });

  it("extract reads any tfjs layers model directory, with the stage layers named on the command line", async () => {
    const plain = join(tmp, "plain-tfjs");
    mkdirSync(plain);
    for (const f of ["model.json", "weights.bin"]) writeFileSync(join(plain, f), readFileSync(join(model, f)));
    let r = await run(["extract", "--model", plain, "--data", data, "--out", join(tmp, "act-plain")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no manifest\.json naming its stages; name the stage layers with --stages/);
    r = await run([
      "extract",
      "--model",
      plain,
      "--data",
      data,
      "--out",
      join(tmp, "act-plain"),
      "--stages",
      "stage2,stem_relu",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/normalising with data\/train's own per-channel mean\/std/);
    expect(parseNpy(readFileSync(join(tmp, "act-plain", "stem_relu.npy"))).shape).toEqual([12, 4]);
    expect(parseNpy(readFileSync(join(tmp, "act-plain", "stage2.npy"))).shape).toEqual([12, 8]);
  });

  it("--progress off a terminal: train, extract and evaluate print plain progress lines on stderr", async () => {
    let r = await run([
      ...["train", "--arch", "resnet", "--blocks", "1,1", "--width", "0.0625", "--data", data],
      ...["--out", join(tmp, "progress-model"), "--epochs", "2", "--batch-size", "6", "--progress"],
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^epoch 1\/2: done, 2 steps in [\d.]+ s$/m);
    expect(r.err).toMatch(/^epoch 2\/2: done, 2 steps in [\d.]+ s$/m);
    r = await run(["extract", "--model", model, "--data", data, "--out", join(tmp, "act-progress"), "--progress"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^extracting .*train: done, 12 images in [\d.]+ s$/m);
    r = await run(["evaluate", "--model", model, "--data", data, "--progress"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^evaluating on .*test: done, 6 images in [\d.]+ s$/m);
    expect(r.err).not.toContain("\u001b");
  });

  it("bad input: unknown stage, wrong channels, corrupt data, unknown arch — clear errors, earlier results intact", async () => {
    const before = readFileSync(join(act, "stage1.npy"));
    let r = await run(["extract", "--model", model, "--data", data, "--out", act, "--stages", "stage1,layer9"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no layer named 'layer9' \(layers: image, stem_conv/);
    expect(readFileSync(join(act, "stage1.npy")).equals(before)).toBe(true);

    const rgb = join(tmp, "rgb");
    mkdirSync(rgb);
    writeSplit(rgb, "test", 3, 0, 3);
    r = await run(["evaluate", "--model", model, "--data", rgb]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/rgb\/test: images have 3 channel\(s\), the model expects 1/);

    const bad = join(tmp, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "test_images.npy"), "not an npy file");
    writeFileSync(join(bad, "test_labels.npy"), encodeNpy(Int32Array.of(0), [1]));
    r = await run(["evaluate", "--model", model, "--data", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/test_images\.npy/);

    r = await run(["train", "--arch", "lenet", "--data", data, "--out", join(tmp, "x")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/expected one of resnet, convnet, mixer, vit, got 'lenet'/);

    r = await run(["extract", "--model", join(tmp, "nomodel"), "--data", data, "--out", join(tmp, "y")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nomodel: no model\.json/);
  });
});

describe("classfit train defaults", () => {
  it("are the shipped narrow ResNet's settings on the embedded data, so `train --out M` retrains it", async () => {
    const program = buildProgram();
    const train = program.commands.find((c) => c.name() === "train") as Command;
    let opts: TrainOptions | undefined;
    train.action((o: TrainOptions) => {
      opts = o;
    });
    await program.parseAsync(["train", "--out", "m"], { from: "user" });
    const o = opts as TrainOptions;
    const shipped = JSON.parse(readFileSync(join(DEFAULT_MODELS_DIR, "resnet-narrow", "manifest.json"), "utf8"));
    expect(o.data).toBe("default");
    expect(archConfigOf(archSettings(o))).toEqual(shipped.architecture);
    const t = shipped.training;
    expect([o.epochs, o.batchSize, o.lr, o.momentum, o.weightDecay, o.schedule, o.seed]).toEqual([
      t.epochs,
      t.batchSize,
      t.learningRate,
      t.momentum,
      t.weightDecay,
      t.schedule,
      t.seed,
    ]);
    expect(train.helpInformation()).toContain("--depth 18 --width 1");
  });
});
