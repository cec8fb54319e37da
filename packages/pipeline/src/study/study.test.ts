// The study end to end on the `quick` profile: two small networks trained inside the run on the
// embedded Fashion-MNIST subset, every step through to the report. The report's tables are
// checked against the artifacts on disk (recomputed here from the .npy/.json files), a rerun must
// reuse every step and give the same bytes, and a run interrupted mid-fit must resume to exactly
// the bytes of an uninterrupted run.

import { npyToFloat64, parseNpy } from "@classfit/models";
import { type Core, encodeProjection } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { beforeAll, describe, expect, it } from "vitest";
import { isInputError } from "../errors.js";
import { readClassModelFile } from "../formats/class-model.js";
import { setLegacyFormatHandler } from "../formats/legacy.js";
import { readProjectionFile } from "../formats/projection.js";
import type { WorkerPool } from "../host/index.js";
import { MemoryRunStorage } from "../host/index.js";
import { inThreadPool } from "../steps/tasks.js";
import { decodeContainer, encodeContainer, fnv1a64 } from "../units/container.js";
import { CodeVersionError } from "../units/units.js";
import { resolveStudyConfig, StudyConfigError } from "./config.js";
import { type RunManifest, runStudy, StudyInterrupted } from "./run.js";
import { memoryHost } from "./testing.js";

const RAW = {
  name: "quick test study",
  seed: 3,
  dataset: { path: "default", perClass: 24 },
  networks: [
    {
      name: "resnet",
      label: "ResNet (tiny)",
      family: "resnet",
      arch: { arch: "resnet", blocks: [1, 1], widthMultiplier: 0.125 },
      train: { epochs: 1, batchSize: 32 },
    },
    {
      name: "convnet",
      label: "ConvNet (tiny)",
      family: "convnet",
      arch: { arch: "convnet", blocks: [1, 1], widthMultiplier: 0.125 },
      train: { epochs: 1, batchSize: 32 },
    },
  ],
  steps: { memorization: { models: 2, epochs: 1 }, certify: { perClass: 2, n0: 4, n: 32 } },
};

const dec = new TextDecoder();
const text = (b: Uint8Array | undefined) => dec.decode(b);
const json = <T>(b: Uint8Array | undefined) => JSON.parse(text(b)) as T;
const f64 = (b: Uint8Array | undefined) => npyToFloat64(parseNpy(b as Uint8Array));

describe("study config", () => {
  it("rejects unknown keys and names the path", () => {
    const bad = { ...RAW, steps: { fit: { sweps: 10 } } };
    expect(() => resolveStudyConfig(bad)).toThrow(StudyConfigError);
    expect(() => resolveStudyConfig(bad)).toThrow(/steps\.fit: unknown key\(s\) "sweps"/);
    expect(() => resolveStudyConfig({ ...RAW, extra: 1 })).toThrow(/\(top level\): unknown key\(s\) "extra"/);
  });
  it("needs exactly one source per network and unique names", () => {
    expect(() => resolveStudyConfig({ ...RAW, networks: [{ name: "a" }] })).toThrow(
      /exactly one of "model", "arch" or "activations"/,
    );
    const two = { ...RAW, networks: [RAW.networks[0], RAW.networks[0]] };
    expect(() => resolveStudyConfig(two)).toThrow(/networks\[1\]\.name: duplicate network name 'resnet'/);
  });
  it("takes settings from the profile, the config's overrides field by field", () => {
    const paper = resolveStudyConfig(RAW, { profile: "paper" });
    expect(paper.steps.fit).toMatchObject({ sweeps: 400, burnIn: 320, thin: 4, profile: "paper" });
    expect(paper.steps.reduce.k).toEqual([16, 16, 64]);
    expect(paper.steps.complexity.samples).toBe(100_000);
    expect(paper.steps.memorization.models).toBe(2); // the config's override
    const quick = resolveStudyConfig({ ...RAW, steps: { fit: { sweeps: 12 } } }, { profile: "quick" });
    expect(quick.steps.fit.sweeps).toBe(12);
    expect(quick.steps.fit.burnIn).toBe(8);
    expect(() => resolveStudyConfig({ ...RAW, steps: { fit: { sweeps: 4 } } }, { profile: "quick" })).toThrow(
      /burnIn \+ thin \(8 \+ 4\) exceeds sweeps \(4\)/,
    );
  });
  it("takes how chains start only when asked, so the profiles' fit keys stay as they were", () => {
    expect("init" in resolveStudyConfig(RAW).steps.fit).toBe(false);
    expect(resolveStudyConfig({ ...RAW, steps: { fit: { init: "bracket" } } }).steps.fit.init).toBe("bracket");
    expect(() => resolveStudyConfig({ ...RAW, steps: { fit: { init: "above" } } })).toThrow(/steps\.fit\.init/);
  });
  it("reads the leave-one-out density by default, the in-sample one with the paper profile or when asked", () => {
    expect(resolveStudyConfig(RAW).steps.analysis.density).toBe("leave-one-out");
    expect(resolveStudyConfig(RAW, { profile: "paper" }).steps.analysis.density).toBe("in-sample");
    const asked = resolveStudyConfig({ ...RAW, steps: { analysis: { density: "in-sample" } } });
    expect(asked.steps.analysis.density).toBe("in-sample");
    expect(asked.steps.analysis.bootstrap).toBe(1000);
    expect(() => resolveStudyConfig({ ...RAW, steps: { analysis: { density: "cpo" } } })).toThrow(
      /steps\.analysis\.density/,
    );
  });
});

describe("quick study end to end", () => {
  let core: Core;
  const config = resolveStudyConfig(RAW, { profile: "quick" });
  const host = memoryHost();
  let first: Map<string, Uint8Array>;

  beforeAll(async () => {
    core = await createCore();
    await runStudy(host, core, config);
    first = new Map(host.storage.files);
  }, 120_000);

  it("writes a complete manifest whose artifact hashes match the files", () => {
    const m = json<RunManifest>(first.get("manifest.json"));
    expect(m.status).toBe("complete");
    expect(m.stepsReused).toBe(0);
    expect(m.dataset.n).toBe(240);
    // train, extract, 2 × (reduce, 10 fits, density, complexity, compactness), memorization, certify — per network.
    expect(m.stepsComputed).toBe(2 * (2 + 2 * 14 + 2));
    for (const s of m.steps)
      for (const [name, hash] of Object.entries(s.outputs))
        expect(fnv1a64(first.get(`${s.dir}/${name}`) as Uint8Array)).toBe(hash);
  });

  it("reports tables that agree with the artifacts", () => {
    const rows = json<Record<string, number | string | null>[]>(first.get("report/tables/class-stage.json"));
    expect(rows.length).toBe(2 * 2 * 10);
    const labels = json<{ exampleTables: { network: string; stage: string; label: number[] }[] }>(
      first.get("report/study-input.json"),
    ).exampleTables[0]?.label as number[];
    expect(labels.length).toBe(240);
    for (const r of rows) {
      const base = `${r.network}/${r.stage}`;
      const c = r.classIndex as number;
      const classMean = (file: string) => {
        const own = [...f64(first.get(`${base}/density/${file}`))].filter((_, i) => labels[i] === c);
        expect(r.n).toBe(own.length);
        return own.reduce((a, b) => a + b, 0) / own.length;
      };
      // The quick profile reads the leave-one-out density; the in-sample one is named beside it.
      expect(r.meanLogDensity as number).toBeCloseTo(classMean("loo_log_density.npy"), 9);
      expect(r.looMean).toBe(r.meanLogDensity);
      expect(r.inSampleMean as number).toBeCloseTo(classMean("log_density.npy"), 9);
      const kl = json<{ classes: { label: number; kl: number; standardError: number }[] }>(
        first.get(`${base}/complexity/kl.json`),
      ).classes[c];
      expect(kl?.label).toBe(c);
      expect(r.kl).toBe(kl?.kl);
      expect(r.klSe).toBe(kl?.standardError);
      const comp = json<{ value: number }[]>(first.get(`${base}/compactness/compactness.json`))[c];
      expect(r.compactness).toBe(comp?.value);
      expect(r.certifiedMeanRadius).not.toBeNull();
      expect(r.meanMemorization).not.toBeNull();
    }
    // Generative classification: accuracy recomputed from the stored class scores.
    const gen = json<{ network: string; stage: string; accuracy: number }[]>(
      first.get("report/tables/generative.json"),
    );
    expect(gen.length).toBe(2);
    for (const g of gen) {
      const s = f64(first.get(`${g.network}/${g.stage}/density/class_scores.npy`));
      let correct = 0;
      for (let i = 0; i < 240; i++) {
        let best = 0;
        for (let k = 1; k < 10; k++) if ((s[i * 10 + k] as number) > (s[i * 10 + best] as number)) best = k;
        if (best === labels[i]) correct++;
      }
      expect(g.accuracy).toBeCloseTo(correct / 240, 12);
    }
    const html = text(first.get("report/report.html"));
    expect(html).toContain("ResNet (tiny)");
    expect(html).toContain("ConvNet (tiny)");
  });

  it("reuses every step on a rerun and gives the same bytes", async () => {
    const r = await runStudy(host, core, config);
    expect(r.manifest.stepsComputed).toBe(0);
    for (const [k, v] of first)
      if (k !== "manifest.json") expect(fnv1a64(host.storage.files.get(k) as Uint8Array), k).toBe(fnv1a64(v));
  }, 60_000);

  it("reuses a run directory the previous version wrote (CFDPGMM model, CFPJ projection, bare kl.json), with a note each", async () => {
    const storage = new MemoryRunStorage();
    for (const [k, v] of first) storage.files.set(k, v.slice());
    const setStep = (dir: string, from: string, to: string, bytes: Uint8Array) => {
      const rec = json<{ outputs: Record<string, string> }>(storage.files.get(`${dir}/step.json`));
      const outputs = Object.fromEntries(
        Object.entries(rec.outputs).map(([k, h]) => (k === from ? [to, fnv1a64(bytes)] : [k, h])),
      );
      storage.files.delete(`${dir}/${from}`);
      storage.files.set(`${dir}/${to}`, bytes);
      storage.files.set(`${dir}/step.json`, new TextEncoder().encode(JSON.stringify({ ...rec, outputs })));
    };
    const fitDir = [...storage.files.keys()]
      .find((k) => k.endsWith("/fit/class-00/model.npz"))
      ?.slice(0, -10) as string;
    const stage = fitDir.slice(0, fitDir.indexOf("/fit/"));
    const model = readClassModelFile(storage.files.get(`${fitDir}/model.npz`) as Uint8Array, "m").encoded;
    setStep(fitDir, "model.npz", "model.dpgmm", model);
    const proj = readProjectionFile(storage.files.get(`${stage}/reduce/projection.npz`) as Uint8Array, "p");
    setStep(`${stage}/reduce`, "projection.npz", "projection.bin", encodeProjection(proj));
    const kl = json<{ classes: { kl: number; standardError: number }[] }>(
      storage.files.get(`${stage}/complexity/kl.json`),
    );
    const bare = kl.classes.map((c) => ({ kl: c.kl, se: c.standardError }));
    setStep(`${stage}/complexity`, "kl.json", "kl.json", new TextEncoder().encode(JSON.stringify(bare)));
    const notes: string[] = [];
    const previous = setLegacyFormatHandler((m) => notes.push(m));
    try {
      const r = await runStudy(memoryHost({ storage }), core, config);
      expect(r.manifest.stepsComputed).toBe(0);
    } finally {
      setLegacyFormatHandler(previous);
    }
    expect(notes.length, notes.join("\n")).toBe(3);
    for (const n of notes) expect(n).toMatch(/old .* format.*classfit convert/);
    // The analysis read the same numbers: the report's analysis is unchanged.
    expect(storage.files.get("report/analysis.json")).toEqual(first.get("report/analysis.json"));
  }, 60_000);

  it("refuses to finish a certify step from stored units another code version made", async () => {
    const storage = new MemoryRunStorage();
    for (const [k, v] of first) storage.files.set(k, v.slice());
    const unit = [...storage.files.keys()].find((k) =>
      /^resnet\/certify\/units\/certification\/[0-9a-f]{16}\/unit-000000\.npz$/.test(k),
    ) as string;
    expect(unit).toBeDefined();
    const c = decodeContainer(storage.files.get(unit) as Uint8Array, unit);
    expect(c.meta.codeVersion).toBe(2);
    const older = encodeContainer({ ...c.meta, codeVersion: 1 }, [...c.arrays] as [string, Uint8Array][]);
    storage.files.set(unit, older);
    // The step must recompute (its artifact is gone), so it reads its stored units.
    storage.files.delete("resnet/certify/certification.npz");
    const err = await runStudy(memoryHost({ storage }), core, config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodeVersionError);
    expect(isInputError(err)).toBe(true);
    expect((err as Error).message).toMatch(/unit-000000\.npz: this stored unit was made by version 1/);
    expect(storage.files.get(unit)).toEqual(older);
    expect(json<RunManifest>(storage.files.get("manifest.json")).status).toBe("failed");
  }, 60_000);

  it("analyses each network on its own worker when there are two, to the same bytes", async () => {
    const inner = inThreadPool(core);
    const kinds: string[] = [];
    const two = (failAnalysis: boolean): WorkerPool => ({
      size: 2,
      run: (kind, inputs, hooks) => {
        kinds.push(`${kind}×${inputs.length}`);
        if (kind === "analysis" && failAnalysis) return Promise.reject(new Error("worker lost"));
        return inner.run(kind, inputs, hooks);
      },
    });
    const keys = [...first.keys()].filter((k) => k !== "manifest.json").sort();
    for (const failAnalysis of [false, true]) {
      kinds.length = 0;
      const h = memoryHost({ pool: two(failAnalysis) });
      await runStudy(h, core, config);
      expect(kinds).toContain("analysis×2");
      expect([...h.storage.files.keys()].filter((k) => k !== "manifest.json").sort()).toEqual(keys);
      // A failed analysis task falls back to this thread: the same report either way.
      for (const k of keys)
        expect(fnv1a64(h.storage.files.get(k) as Uint8Array), k).toBe(fnv1a64(first.get(k) as Uint8Array));
    }
  }, 120_000);

  it("resumes a run interrupted mid-fit to the bytes of an uninterrupted one", async () => {
    const controller = new AbortController();
    const inner = inThreadPool(core);
    let fits = 0;
    // Abort after 7 class fits have been committed (mid-way through the first network's fits).
    const pool: WorkerPool = {
      size: 1,
      run: (kind, inputs, hooks) =>
        inner.run(kind, inputs, {
          ...hooks,
          onResult: async (i, out) => {
            if (kind === "fit" && ++fits === 7) controller.abort();
            await hooks?.onResult?.(i, out);
          },
        }),
    };
    const h2 = memoryHost({ pool, signal: controller.signal });
    await expect(runStudy(h2, core, config)).rejects.toThrow(StudyInterrupted);
    const partial = json<RunManifest>(h2.storage.files.get("manifest.json"));
    expect(partial.status).toBe("interrupted");
    expect(partial.steps.filter((s) => s.step === "fit").length).toBe(7);
    expect(h2.storage.files.has("report/report.html")).toBe(false);
    const h3 = memoryHost({ storage: h2.storage });
    const r = await runStudy(h3, core, config);
    expect(r.manifest.stepsReused).toBe(4 + 7); // train, extract, two reduces and the 7 committed fits
    const keys = [...first.keys()].filter((k) => k !== "manifest.json").sort();
    expect([...h2.storage.files.keys()].filter((k) => k !== "manifest.json").sort()).toEqual(keys);
    for (const k of keys)
      expect(fnv1a64(h2.storage.files.get(k) as Uint8Array), k).toBe(fnv1a64(first.get(k) as Uint8Array));
  }, 120_000);
});
