import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { beforeAll, describe, expect, it } from "vitest";
import { mergeShareFiles, runSingle } from "../shard/finalize.js";
import { encodeShare, runShard } from "../shard/shard.js";
import { decodeContainer } from "../units/container.js";
import {
  CodeVersionError,
  configHash,
  decodeUnitFile,
  encodeUnitFile,
  MemoryUnitStore,
  runUnits,
  unitKey,
} from "../units/units.js";
import { groupMeasures } from "./measures.js";
import {
  CERTIFY_CODE_VERSION,
  type CertifyDataset,
  certificationProtocol,
  decodeColumns,
  densityBinProtocol,
  densityBins,
  densityBinUnitPlan,
} from "./protocol.js";
import { type CertifyStats, coreStats } from "./stats.js";
import { decodeCertification, summarizeCertification } from "./summary.js";
import { categoricalBackend } from "./synthetic.js";

let core: Core;
let stats: CertifyStats;
beforeAll(async () => {
  core = await createCore();
  stats = coreStats(core);
});

/** 23 examples over 3 classes; example i's noisy predictions follow a known distribution. */
function dataset(): CertifyDataset {
  const size = 23;
  const labels = Int32Array.from({ length: size }, (_, i) => i % 3);
  const probs = Array.from({ length: size }, (_, i) => {
    const y = i % 3;
    const p = new Float32Array(3);
    const pA = i % 5 === 0 ? 0.3 : 0.6 + (0.4 * i) / size;
    p.fill((1 - pA) / 2);
    p[i % 7 === 0 ? (y + 1) % 3 : y] = pA;
    return p;
  });
  return { size, labels, input: (i) => probs[i] as Float32Array };
}

const settings = { seed: 17, sigma: 0.25, n0: 20, n: 2000, alpha: 0.001, batchSize: 500 };

describe("certification protocol", () => {
  it("gives the same bytes from merged shares as from a single run, whatever the unit size", async () => {
    const d = dataset();
    const make = (unitSize: number, method: "cohen" | "adaptive" = "cohen") =>
      certificationProtocol({
        core,
        stats,
        backend: categoricalBackend(3),
        dataset: d,
        datasetId: "toy",
        settings: { ...settings, method },
        unitSize,
      });
    const single = await runSingle(make(5));
    const files = await Promise.all(
      [0, 1, 2].map(async (k) => encodeShare(await runShard(make(5), { index: k, count: 3 }))),
    );
    expect(
      Buffer.from(mergeShareFiles([files[1], files[2], files[0]] as Uint8Array[])).equals(Buffer.from(single)),
    ).toBe(true);
    // Each example's noise is its own stream: the columns do not depend on the chunking.
    const a = decodeColumns(single, "a").columns;
    const b = decodeColumns(await runSingle(make(7)), "b").columns;
    expect(a).toEqual(b);
    expect(Array.from(a.index)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(Array.from(a.label)).toEqual(Array.from(d.labels));
    for (let i = 0; i < 23; i++) {
      expect(a.samples[i]).toBe(2020);
      if (i % 5 === 0) expect(a.prediction[i]).toBe(-1);
      else expect(a.prediction[i]).toBe(i % 7 === 0 ? ((i % 3) + 1) % 3 : i % 3);
    }
    // Adaptive: a different config (refused together), fewer passes.
    const ad = await runSingle(make(5, "adaptive"));
    const adCols = decodeColumns(ad, "ad").columns;
    expect(adCols.samples.reduce((s, x) => s + x, 0)).toBeLessThan(a.samples.reduce((s, x) => s + x, 0));
    const adShare = encodeShare(await runShard(make(5, "adaptive"), { index: 0, count: 3 }));
    expect(() => mergeShareFiles([files[0] as Uint8Array, adShare], ["cohen-0", "adaptive-0"])).toThrow(
      /adaptive-0 with cohen-0.*settings\.method: "adaptive" vs "cohen"/,
    );
    const meta = decodeContainer(single, "single").meta;
    expect(meta.format).toBe("classfit-certification");
  });

  it("keys and records its code version: units of the polar-method noise are never resumed from", async () => {
    const p = certificationProtocol({
      core,
      stats,
      backend: categoricalBackend(3),
      dataset: dataset(),
      datasetId: "toy",
      settings,
      unitSize: 10,
    });
    expect(CERTIFY_CODE_VERSION).toBe(2);
    expect(p.codeVersion).toBe(2);
    // In the config too, so that a config of the earlier version has another hash (unit key).
    expect(p.config.codeVersion).toBe(2);
    const { codeVersion: _v, ...earlier } = p.config;
    expect(configHash(p.kind, earlier)).not.toBe(configHash(p.kind, p.config));
    const store = new MemoryUnitStore();
    await runUnits(p, [0, 1, 2], { store });
    const hash = configHash(p.kind, p.config);
    const key = unitKey(p.kind, hash, 1);
    const stored = store.entries.get(key) as Uint8Array;
    expect(decodeContainer(stored, key).meta.codeVersion).toBe(2);
    // A unit under the same key from code of another version (say, one that forgot to change the
    // config) is refused, not mixed with the others.
    const payload = decodeUnitFile(stored, p.kind, hash, 1, 2) as Uint8Array;
    store.entries.set(key, encodeUnitFile(p.kind, hash, 1, payload, 1));
    await expect(runUnits(p, [0, 1, 2], { store })).rejects.toThrow(CodeVersionError);
    const bins = densityBinProtocol({
      core,
      stats,
      dataset: dataset(),
      datasetId: "toy",
      logDensity: new Float64Array(23),
      bins: 2,
      settings,
      trainer: { trainExcluding: async () => categoricalBackend(3) },
    });
    expect(bins.codeVersion).toBe(2);
    expect(bins.config.codeVersion).toBe(2);
  });

  it("refuses an empty subset and out-of-range examples", () => {
    const d = dataset();
    const o = { core, stats, backend: categoricalBackend(3), dataset: d, datasetId: "toy", settings };
    expect(() => certificationProtocol({ ...o, examples: [] })).toThrow(/example subset is empty/);
    expect(() => certificationProtocol({ ...o, examples: [3, 23] })).toThrow(/examples\[1\] = 23 is outside/);
    expect(() => certificationProtocol({ ...o, settings: { ...settings, sigma: -0.5 } })).toThrow(
      /certification: sigma must be a finite number > 0/,
    );
    expect(() => certificationProtocol({ ...o, settings: { ...settings, n0: 3000 } })).toThrow(
      /n0 \(3000\) must not exceed n/,
    );
  });
});

describe("group measures", () => {
  it("compute macro-F1 with abstentions as wrong, mean radius with 0 for abstained/wrong, certified accuracy", () => {
    // labels:      0    0    1    1    2
    // predictions: 0   -1    1    0    2
    // radii:       1.0  0    0.5  0.7  0.2
    const m = groupMeasures([0, 0, 1, 1, 2], [0, -1, 1, 0, 2], [1, 0, 0.5, 0.7, 0.2], 3, { radiusList: [0, 0.4, 1] });
    // class 0: TP 1, FP 1, FN 1 → 2/4; class 1: TP 1, FN 1 → 2/3; class 2: 1.
    expect(m.perClass.map((c) => c.f1)).toEqual([0.5, 2 / 3, 1]);
    expect(m.macroF1).toBeCloseTo((0.5 + 2 / 3 + 1) / 3, 15);
    expect(m.microF1).toBeCloseTo(6 / 9, 15);
    expect(m.accuracy).toBe(0.6);
    expect(m.notAbstained).toBe(0.8);
    expect(m.meanRadius).toBeCloseTo((1 + 0.5 + 0.2) / 5, 15);
    expect(m.certifiedAccuracy).toEqual([
      { radius: 0, accuracy: 0.6 },
      { radius: 0.4, accuracy: 0.4 },
      { radius: 1, accuracy: 0.2 },
    ]);
    const g = groupMeasures([0, 0, 1, 1, 2], [0, -1, 1, 0, 2], [1, 0, 0.5, 0.7, 0.2], 3, { members: [2, 3] });
    expect(g.count).toBe(2);
    // In the group: class 1 (support 2, TP 1) and class 0 (predicted once, wrongly).
    expect(g.macroF1).toBeCloseTo((2 / 3 + 0) / 2, 15);
  });
});

describe("density-bin protocol", () => {
  it("cuts examples sorted by log-density into equal bins", () => {
    const ld = Float64Array.from([5, -1, 3, 3, 0, 9, -7, 2, 2, 4]);
    const b = densityBins(ld, 3);
    expect(b.members.map((m) => Array.from(m))).toEqual([
      [1, 4, 6],
      [2, 7, 8],
      [0, 3, 5, 9],
    ]);
    expect(b.ranges).toEqual([
      [-7, 0],
      [2, 3],
      [3, 9],
    ]);
    expect(Array.from(densityBinUnitPlan(b, 1).train)).toEqual([0, 1, 3, 4, 5, 6, 9]);
    // A sample of 2 of bin 2 (in density order examples 3, 9, 0, 5): positions ⌊0.5·4/2⌋ = 1 and
    // ⌊1.5·4/2⌋ = 3, i.e. examples 9 and 5, certified in index order; the whole bin is still held out.
    const sampled = densityBinUnitPlan(b, 2, ld, 2);
    expect(Array.from(sampled.certify)).toEqual([5, 9]);
    expect(Array.from(sampled.train)).toEqual(Array.from(densityBinUnitPlan(b, 2).train));
    expect(Array.from(densityBinUnitPlan(b, 2, ld, 9).certify)).toEqual([0, 3, 5, 9]);
    expect(() => densityBins(Float64Array.from([1, Number.NaN]), 1)).toThrow(/example 1 is NaN/);
    expect(() => densityBins(Float64Array.from([1, 2]), 3)).toThrow(/cannot fill 3 bins/);
  });

  it("trains each unit with its bin held out, certifies that bin, and merges shares byte for byte", async () => {
    const d = dataset();
    const ld = Float64Array.from({ length: d.size }, (_, i) => Math.sin(i * 1.7) * 10);
    const seen: { train: number[]; seed: number }[] = [];
    const make = () =>
      densityBinProtocol({
        core,
        stats,
        dataset: d,
        datasetId: "toy",
        logDensity: ld,
        bins: 4,
        settings,
        trainer: {
          async trainExcluding(train, seed) {
            seen.push({ train: Array.from(train), seed });
            return categoricalBackend(3);
          },
        },
      });
    const single = await runSingle(make());
    const bins = densityBins(ld, 4);
    expect(seen.length).toBe(4);
    seen.forEach((s, b) => {
      const held = new Set(bins.members[b]);
      expect(s.train.length).toBe(d.size - held.size);
      expect(s.train.some((i) => held.has(i))).toBe(false);
    });
    const c = decodeContainer(single, "db");
    const bin = c.arrays.get("bin") as Int32Array;
    const cols = decodeColumns(single, "db").columns;
    for (let k = 0; k < bin.length; k++) expect(bins.binOf[cols.index[k] as number]).toBe(bin[k]);
    expect(bin.length).toBe(d.size);
    const files = await Promise.all(
      [0, 1].map(async (k) => encodeShare(await runShard(make(), { index: k, count: 2 }))),
    );
    expect(Buffer.from(mergeShareFiles(files)).equals(Buffer.from(single))).toBe(true);
    const summary = summarizeCertification(decodeCertification(single), 3, { groups: { even: [0, 2, 4] } });
    expect(summary.bins.map((m) => m.count)).toEqual(bins.members.map((m) => m.length));
    expect(summary.overall.count).toBe(d.size);
    expect(summary.groups.even?.count).toBe(3);
    // Example 0 abstains (p_A = 0.3), 2 and 4 are right: accuracy 2/3.
    expect(summary.groups.even?.accuracy).toBeCloseTo(2 / 3, 15);
    expect(() => summarizeCertification(decodeCertification(single), 3, { groups: { bad: [99] } })).toThrow(
      /group 'bad' holds example 99/,
    );
  });
});
