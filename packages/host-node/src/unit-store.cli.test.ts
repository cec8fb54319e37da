// End-to-end tests of `classfit memorization / certify / merge / shard` through `main(argv)` in
// process, on tiny networks and a few examples of the embedded Fashion-MNIST subset: a sharded
// run merges to the bytes of a single run, a re-run resumes from the unit files, and each bad
// input gives its message, a non-zero exit, and leaves earlier results intact.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy, npyToFloat64, parseNpy } from "@classfit/models/npy";
import {
  configHash,
  decodeCertification,
  decodeContainer,
  decodeMemorization,
  encodeContainer,
  isInputError,
  type Json,
} from "@classfit/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fails, ok, writeTinyModelDir } from "./test-helpers.js";
import { mergeShareFilesTo } from "./unit-store.js";

let dir: string;
const p = (...f: string[]) => join(dir, ...f);

const bytes = (f: string) => new Uint8Array(readFileSync(f));

const MEM = ["--arch", "resnet", "--blocks", "1", "--width", "0.0625", "--limit", "40", "--epochs", "1"];
const MEM_ALL = [...MEM, "--batch-size", "20", "--models", "4", "--subset", "0.5", "--seed", "3"];
const CERT_SETTINGS = ["--sigma", "0.5", "--n", "60", "--n0", "10", "--alpha", "0.01", "--noise-batch", "25"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "classfit-eval-"));
  // A tiny seeded (untrained) ResNet saved as a classfit model directory.
  await writeTinyModelDir(p("model"), "unit-store.cli.test");
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("classfit memorization / merge", () => {
  it("two shares merge to the single run's bytes; a re-run resumes from its units", async () => {
    await ok("memorization", ...MEM_ALL, "--out", p("mem"));
    const single = bytes(p("mem", "memorization.npz"));
    const m = decodeMemorization(single);
    expect(m.score.length).toBe(40);
    // Every model trained on round(0.5·40) = 20 examples.
    for (let i = 0; i < 40; i++) expect((m.inCount[i] as number) + (m.outCount[i] as number)).toBe(4);
    expect(Array.from(m.inCount).reduce((a, b) => a + b, 0)).toBe(4 * 20);
    // The scores also as a plain .npy (what a study's memorizationScores imports).
    const npy = parseNpy(bytes(p("mem", "memorization.scores.npy")), { name: "scores" });
    expect(npy.shape).toEqual([40]);
    expect(Array.from(npyToFloat64(npy, "scores"))).toEqual(Array.from(m.score));

    const resumed = await ok("memorization", ...MEM_ALL, "--out", p("mem"));
    expect(resumed.match(/already done \(resumed\)/g)?.length).toBe(4);
    expect(bytes(p("mem", "memorization.npz"))).toEqual(single);

    for (const k of [0, 1]) await ok("memorization", ...MEM_ALL, "--out", p("memsh"), "--shard", `${k}/2`);
    const shares = readdirSync(p("memsh", "shares")).map((f) => p("memsh", "shares", f));
    expect(shares).toHaveLength(2);
    await ok("merge", "--out", p("merged"), ...shares);
    expect(bytes(p("merged", "memorization.npz"))).toEqual(single);
  }, 120_000);

  it("--folds K: each example left out by exactly models/K networks; refused with --subset or a K not dividing m", async () => {
    const FOLDS = [...MEM, "--batch-size", "20", "--models", "4", "--folds", "2", "--seed", "3"];
    await ok("memorization", ...FOLDS, "--out", p("memfolds"));
    const m = decodeMemorization(bytes(p("memfolds", "memorization.npz")));
    expect(m.config).toMatchObject({ design: "folds", folds: 2, fraction: 0.5 });
    for (let i = 0; i < 40; i++) {
      expect(m.outCount[i]).toBe(2);
      expect(m.inCount[i]).toBe(2);
    }
    await fails(/give --subset or --folds, not both/, "memorization", ...FOLDS, "--subset", "0.5", "--out", p("mf2"));
    await fails(
      /--folds must be ≥ 2 and divide --models/,
      "memorization",
      ...MEM,
      "--models",
      "4",
      "--folds",
      "3",
      "--out",
      p("mf3"),
    );
    expect(existsSync(p("mf2", "memorization.npz")) || existsSync(p("mf3", "memorization.npz"))).toBe(false);
  }, 120_000);

  it("refuses a subset fraction of 0 or 1, an empty subset and a bad shard, keeping earlier results", async () => {
    const before = bytes(p("mem", "memorization.npz"));
    const base = [...MEM, "--models", "4", "--seed", "3", "--out", p("mem")];
    await fails(/--subset must be a fraction in \(0, 1\).*got 0\b/, "memorization", ...base, "--subset", "0");
    await fails(/--subset must be a fraction in \(0, 1\).*got 1\b/, "memorization", ...base, "--subset", "1");
    await fails(/fraction 0\.001 of 40 examples is an empty subset/, "memorization", ...base, "--subset", "0.001");
    await fails(/--shard: shard index 2 is out of range for 2 shares/, "memorization", ...base, "--shard", "2/2");
    await fails(/--models.*must be ≥ 2/, "memorization", ...MEM, "--models", "1", "--out", p("mem"));
    expect(bytes(p("mem", "memorization.npz"))).toEqual(before);
  });
});

describe("classfit certify / merge / shard", () => {
  it("certifies a few inputs; three shares merge to the single run's bytes; adaptive spends ≤ n0 + n", async () => {
    const args = ["certify", "--model", p("model"), "--examples", "0:5", "--unit-size", "2", ...CERT_SETTINGS];
    await ok(...args, "--out", p("cert"));
    const single = bytes(p("cert", "certification.npz"));
    const a = decodeCertification(single);
    expect(Array.from(a.columns.index)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(a.columns.samples)).toEqual([70, 70, 70, 70, 70]);
    const summary = JSON.parse(readFileSync(p("cert", "certification.summary.json"), "utf8"));
    expect(summary.noisyForwardPasses).toBe(350);
    const abstained = a.columns.prediction.filter((v) => v === -1).length;
    expect(summary.lines[0]).toContain(`abstained ${abstained},`);
    expect(summary.overall.notAbstained).toBeCloseTo(1 - abstained / 5, 12);
    for (const k of [0, 1, 2]) await ok(...args, "--out", p("certsh"), "--shard", `${k}/3`);
    const shares = readdirSync(p("certsh", "shares")).map((f) => p("certsh", "shares", f));
    await ok("merge", "--out", p("certmerged.npz"), ...shares);
    expect(bytes(p("certmerged.npz"))).toEqual(single);

    await ok(...args, "--adaptive", "--out", p("certad"));
    const ad = decodeCertification(bytes(p("certad", "certification.npz")));
    expect(Array.from(ad.columns.top)).toEqual(Array.from(a.columns.top)); // same n0 selection draws
    for (const s of ad.columns.samples) expect(s).toBeLessThanOrEqual(70);
  }, 120_000);

  it("`shard run` reads a study file and gives the same units as `certify --shard`", async () => {
    const study = {
      certification: {
        model: p("model"),
        examples: "0:5",
        unitSize: 2,
        sigma: 0.5,
        n: 60,
        n0: 10,
        alpha: 0.01,
        noiseBatch: 25,
      },
    };
    writeFileSync(p("study.json"), JSON.stringify(study));
    const out = p("shares2", "certification-1-of-3.npz");
    await ok(
      "shard",
      "run",
      "--protocol",
      "certification",
      "--config",
      p("study.json"),
      "--shard",
      "1/3",
      "--units",
      p("u2"),
      "--out",
      out,
    );
    expect(bytes(out)).toEqual(bytes(p("certsh", "shares", "certification-1-of-3.npz")));
    writeFileSync(p("bad-study.json"), JSON.stringify({ certification: { ...study.certification, sigmaa: 1 } }));
    await fails(
      /Unrecognized key.*sigmaa/,
      "shard",
      "run",
      "--protocol",
      "certification",
      "--config",
      p("bad-study.json"),
      "--shard",
      "0/1",
      "--units",
      p("u2"),
      "--out",
      p("x.npz"),
    );
  }, 60_000);

  it("refuses σ ≤ 0, α outside (0, 1), n0 > n, an empty subset, a bad shard and mixed shares; nothing lost", async () => {
    const before = bytes(p("cert", "certification.npz"));
    const base = ["certify", "--model", p("model"), "--examples", "0:5", "--out", p("cert")];
    const settings = (o: Record<string, string>) =>
      Object.entries({ sigma: "0.5", n: "60", n0: "10", alpha: "0.01", ...o }).flatMap(([k, v]) => [`--${k}`, v]);
    await fails(/--sigma must be > 0, got 0/, ...base, ...settings({ sigma: "0" }));
    await fails(/--sigma must be > 0, got -0\.5/, ...base, ...settings({ sigma: "-0.5" }));
    await fails(/--alpha must be in \(0, 1\), got 1\b/, ...base, ...settings({ alpha: "1" }));
    await fails(/--alpha must be in \(0, 1\), got 0\b/, ...base, ...settings({ alpha: "0" }));
    await fails(/--n0 \(100\) must not exceed --n \(60\)/, ...base, ...settings({ n0: "100" }));
    await fails(
      /--examples '3:3' is empty/,
      ...base.slice(0, 3),
      "--examples",
      "3:3",
      "--out",
      p("cert"),
      ...settings({}),
    );
    await fails(
      /examples\[0\] = 5000 is outside the dataset \(size 2000\)/,
      ...base.slice(0, 3),
      "--examples",
      "5000",
      "--out",
      p("cert"),
      ...settings({}),
    );
    await fails(/--shard: shard index 5 is out of range for 3 shares/, ...base, ...settings({}), "--shard", "5/3");
    await fails(/--shard: shard spec '1-3' must look like k\/n/, ...base, ...settings({}), "--shard", "1-3");
    expect(bytes(p("cert", "certification.npz"))).toEqual(before);

    // Shares of another config: sigma differs.
    await ok(
      "certify",
      "--model",
      p("model"),
      "--examples",
      "0:5",
      "--unit-size",
      "2",
      ...CERT_SETTINGS.slice(2),
      "--sigma",
      "0.25",
      "--out",
      p("other"),
      "--shard",
      "0/3",
    );
    const mixed = [
      p("other", "shares", "certification-0-of-3.npz"),
      p("certsh", "shares", "certification-1-of-3.npz"),
      p("certsh", "shares", "certification-2-of-3.npz"),
    ];
    const mergedBefore = bytes(p("certmerged.npz"));
    const r = await fails(
      /merge refused: cannot merge .*certification-1-of-3\.npz.*different configs; differing field\(s\): settings\.sigma: 0\.5 vs 0\.25/,
      "merge",
      "--out",
      p("certmerged.npz"),
      ...mixed,
    );
    expect(r.status).toBe(2);
    expect(bytes(p("certmerged.npz"))).toEqual(mergedBefore);
    // A missing share is refused too.
    await fails(/merge refused: cannot merge: 1 of 3 units missing/, "merge", "--out", p("nothing"), ...mixed.slice(1));
    expect(existsSync(p("nothing"))).toBe(false);
  }, 60_000);
});

describe("code versions of units and shares", () => {
  /** The share file as a build before the noise moved to the ziggurat wrote it: no codeVersion
   * in its header nor in its config (hence another config hash). */
  function asEarlierBuild(file: string, out: string): string {
    const c = decodeContainer(bytes(file), file);
    const { codeVersion: _v, config, ...meta } = c.meta as Record<string, Json> & { config: Record<string, Json> };
    const { codeVersion: _cv, ...earlier } = config;
    writeFileSync(
      out,
      encodeContainer({ ...meta, config: earlier, configHash: configHash("certification", earlier) }, [...c.arrays] as [
        string,
        Uint8Array,
      ][]),
    );
    return out;
  }

  it("`merge` and `shard merge` refuse shares of another certification code version; nothing written", async () => {
    const shares = [0, 1, 2].map((k) => p("certsh", "shares", `certification-${k}-of-3.npz`));
    for (const f of shares) expect(decodeContainer(bytes(f), f).meta.codeVersion).toBe(2);
    const old = asEarlierBuild(shares[0] as string, p("old-certification-0-of-3.npz"));
    const mixed = [old, ...shares.slice(1)];
    for (const cmd of [["merge"], ["shard", "merge"]]) {
      await fails(
        /merge refused: cannot merge .*certification-1-of-3\.npz with .*old-certification-0-of-3\.npz: they were made by different versions of the certification code \(2 vs 1\)/,
        ...cmd,
        "--out",
        p("mixed-versions"),
        ...mixed,
      );
      expect(existsSync(p("mixed-versions"))).toBe(false);
    }
    // Bad input, which the hosts report as such (not a failure of classfit).
    let caught: unknown;
    try {
      mergeShareFilesTo(mixed, p("mixed-versions"), () => {});
    } catch (e) {
      caught = e;
    }
    expect(isInputError(caught)).toBe(true);
  });

  it("a resumed run refuses a stored unit another code version made, and leaves the store as it was", async () => {
    const units = p("cert", "units", "certification");
    const hashDir = readdirSync(units)[0] as string;
    const file = join(units, hashDir, "unit-000001.npz");
    const c = decodeContainer(bytes(file), file);
    expect(c.meta.codeVersion).toBe(2);
    const older = encodeContainer({ ...c.meta, codeVersion: 1 }, [...c.arrays] as [string, Uint8Array][]);
    writeFileSync(file, older);
    const before = bytes(p("cert", "certification.npz"));
    await fails(
      /unit-000001\.npz: this stored unit was made by version 1 of the certification code, this build makes version 2/,
      "certify",
      "--model",
      p("model"),
      "--examples",
      "0:5",
      "--unit-size",
      "2",
      ...CERT_SETTINGS,
      "--out",
      p("cert"),
    );
    expect(bytes(file)).toEqual(older);
    expect(bytes(p("cert", "certification.npz"))).toEqual(before);
  }, 60_000);
});

describe("classfit bins", () => {
  it("trains one network per density bin with the bin held out and certifies that bin; two shares merge to the same bytes", async () => {
    // Log-densities of the first 30 training examples: bins by value, not by index.
    const density = Float64Array.from({ length: 30 }, (_, i) => ((i * 7) % 30) - 15.5);
    writeFileSync(p("density.npy"), encodeNpy(density, [30]));
    const args = [
      "bins",
      ...["--arch", "resnet", "--blocks", "1", "--width", "0.0625", "--limit", "30", "--epochs", "1"],
      ...["--batch-size", "15", "--density", p("density.npy"), "--bins", "3"],
      ...["--sigma", "0.5", "--n", "20", "--n0", "5", "--alpha", "0.05", "--seed", "2"],
    ];
    await ok(...args, "--out", p("bins"));
    const single = bytes(p("bins", "density-bins.npz"));
    const a = decodeCertification(single);
    expect(a.kind).toBe("density-bins");
    expect(a.columns.index.length).toBe(30);
    // Bin b holds the examples of the b-th lowest third of log-densities.
    for (let r = 0; r < 30; r++) {
      const rank = [...density].sort((x, y) => x - y).indexOf(density[a.columns.index[r] as number] as number);
      expect(a.bin?.[r]).toBe(Math.floor(rank / 10));
    }
    for (const k of [0, 1]) await ok(...args, "--out", p("binsh"), "--shard", `${k}/2`);
    const shares = readdirSync(p("binsh", "shares")).map((f) => p("binsh", "shares", f));
    await ok("merge", "--out", p("binsmerged"), ...shares);
    expect(bytes(p("binsmerged", "density-bins.npz"))).toEqual(single);
    writeFileSync(p("density-short.npy"), encodeNpy(density.subarray(0, 29), [29]));
    await fails(
      /density-short\.npy: 29 log-densities, but .* has 30 training examples/,
      ...args.map((x) => (x === p("density.npy") ? p("density-short.npy") : x)),
      "--out",
      p("bins"),
    );
    expect(bytes(p("bins", "density-bins.npz"))).toEqual(single);
    // A bad --certify-per-bin is refused by name, before any training, and the artifact stays.
    for (const bad of ["0", "-3", "2.5", "many"])
      await fails(/--certify-per-bin/, ...args, "--certify-per-bin", bad, "--out", p("bins"));
    expect(bytes(p("bins", "density-bins.npz"))).toEqual(single);
  }, 120_000);
});
