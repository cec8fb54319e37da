import { encodeNpz, parseNpz } from "@classfit/models/npy";
import {
  allTraces,
  type ClassModel,
  type Core,
  dpgmmConfig,
  encodeClassModel,
  encodeProjection,
  fitClassModel,
  fitProjection,
  logPredictive,
} from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isInputError } from "../errors.js";
import { decodeContainer, encodeContainer } from "../units/container.js";
import { encodeClassModelNpz, readClassModelFile } from "./class-model.js";
import { convertLegacyBytes } from "./convert.js";
import { encodeKlJson, klTable, readKlJson } from "./kl.js";
import { setLegacyFormatHandler } from "./legacy.js";
import { encodeProjectionNpz, readProjectionFile } from "./projection.js";

let core: Core;
let model: ClassModel;
const n = 40;
const d = 2;
const data = Float64Array.from({ length: n * d }, (_, i) => Math.sin(1.3 * i) + (i < n ? 0 : 2.5));
const notes: string[] = [];
const previous = setLegacyFormatHandler((m) => notes.push(m));

beforeAll(async () => {
  core = await createCore();
  model = fitClassModel(core, data, n, d, dpgmmConfig({ sweeps: 20, burnIn: 10, chains: 2, seed: 5 }));
});
afterEach(() => {
  notes.length = 0;
});
afterAll(() => {
  setLegacyFormatHandler(previous);
});

describe("class model .npz", () => {
  it("round-trips losslessly and is deterministic", () => {
    const a = encodeClassModelNpz(model);
    expect(encodeClassModelNpz(model)).toEqual(a);
    const back = readClassModelFile(a, "m.npz");
    expect(back.encoded).toEqual(encodeClassModel(model));
    expect(encodeClassModelNpz(back.model)).toEqual(a);
    expect(notes).toEqual([]);
  });

  it("its arrays give classfit's predictive: per trace log Σ w t(x), pooled per variant", () => {
    const z = parseNpz(encodeClassModelNpz(model));
    const w = z.weights?.data as Float64Array;
    const trace = z.trace?.data as Int32Array;
    const T = allTraces(model).length;
    // The weights of each trace (with its new-cluster component) sum to 1.
    for (let t = 0; t < T; t++) {
      let s = 0;
      trace.forEach((tt, k) => {
        if (tt === t) s += w[k] as number;
      });
      expect(s).toBeCloseTo(1, 12);
    }
    // A direct Student-t mixture on the exported arrays matches logPredictive (d = 2).
    const means = z.means?.data as Float64Array;
    const L = z.scale_chol?.data as Float64Array;
    const df = z.df?.data as Float64Array;
    const x = [0.3, -0.2];
    const lgamma = (v: number): number => {
      // Lanczos (g = 7), ample for a 1e-9 check.
      const c = [
        0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
        12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
      ];
      const y = v - 1;
      let a = c[0] as number;
      for (let i = 1; i < 9; i++) a += (c[i] as number) / (y + i);
      const t = y + 7.5;
      return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
    };
    const perTrace = new Array<number>(T).fill(0);
    trace.forEach((t, k) => {
      const l11 = L[k * 4] as number;
      const l21 = L[k * 4 + 2] as number;
      const l22 = L[k * 4 + 3] as number;
      const u1 = (x[0] as number) - (means[k * 2] as number);
      const u2 = ((x[1] as number) - (means[k * 2 + 1] as number) - (l21 * u1) / l11) / l22;
      const m = (u1 / l11) ** 2 + u2 ** 2;
      const nu = df[k] as number;
      const logt =
        lgamma((nu + 2) / 2) -
        lgamma(nu / 2) -
        Math.log(nu * Math.PI) -
        Math.log(l11 * l22) -
        ((nu + 2) / 2) * Math.log1p(m / nu);
      perTrace[t] = (perTrace[t] as number) + (w[k] as number) * Math.exp(logt);
    });
    const exact = Math.log(perTrace.reduce((a, b) => a + b, 0) / T);
    const meanLog = perTrace.reduce((a, b) => a + Math.log(b), 0) / T;
    const pts = Float64Array.from(x);
    expect(Math.abs(exact - (logPredictive(core, model, pts, 1, "exact")[0] as number))).toBeLessThan(1e-9);
    expect(Math.abs(meanLog - (logPredictive(core, model, pts, 1, "mean-log")[0] as number))).toBeLessThan(1e-9);
  });

  it("refuses corrupt input and wrong shapes as bad input, naming the file", () => {
    const a = encodeClassModelNpz(model);
    const cut = () => readClassModelFile(a.subarray(0, a.length - 40), "cut.npz");
    expect(cut).toThrow(/cut\.npz: not a valid \.npz/);
    try {
      cut();
    } catch (e) {
      expect(isInputError(e)).toBe(true);
    }
    expect(() => readClassModelFile(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), "junk")).toThrow(
      /junk: not a classfit class model/,
    );
    const c = decodeContainer(a, "m");
    const arrays = [...c.arrays].map(([name, arr]) =>
      name === "means"
        ? ([name, arr.slice(0, arr.length - 2), [arr.length / d - 1, d]] as const)
        : ([name, arr, c.shapes.get(name)] as const),
    );
    const bad = encodeContainer(c.meta, arrays as never);
    expect(() => readClassModelFile(bad, "bad.npz")).toThrow(/bad\.npz: member 'means' has shape \(\d+, 2\), expected/);
    const plain = encodeNpz([["x", new Float64Array(1), [1]]]);
    expect(() => readClassModelFile(plain, "plain.npz")).toThrow(/plain\.npz: not a classfit artifact/);
  });

  it("still reads a raw CFDPGMM file, with one note naming classfit convert; convert gives today's bytes", () => {
    const old = encodeClassModel(model);
    const r = readClassModelFile(old, "class-0.bin");
    expect(r.encoded).toEqual(old);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/class-0\.bin is in the old CFDPGMM format.*`classfit convert class-0\.bin`/);
    const conv = convertLegacyBytes(old, "model.dpgmm");
    expect(conv?.name).toBe("model.npz");
    expect(conv?.bytes).toEqual(encodeClassModelNpz(model));
    expect(convertLegacyBytes(encodeClassModelNpz(model), "model.npz")).toBeUndefined();
  });
});

describe("projection .npz", () => {
  it("round-trips exactly, reads CFPJ with a note, converts to the same bytes", () => {
    const p = fitProjection(core, data, n, d, { k: 1, center: true });
    const a = encodeProjectionNpz(p);
    expect(encodeProjectionNpz(readProjectionFile(a, "p.npz"))).toEqual(a);
    const z = parseNpz(a);
    expect(z.components?.shape).toEqual([1, 2]);
    expect(notes).toEqual([]);
    const old = encodeProjection(p);
    expect(encodeProjectionNpz(readProjectionFile(old, "projection.bin"))).toEqual(a);
    expect(notes).toHaveLength(1);
    expect(convertLegacyBytes(old, "Z.projection.bin")).toMatchObject({ name: "Z.projection.npz", bytes: a });
  });
});

describe("kl.json", () => {
  it("one labelled shape; the study's old bare array is read with a note", () => {
    const t = klTable({
      reference: "diag",
      samples: 10,
      variant: "exact",
      seed: 1,
      classes: [{ label: 3, name: "three", kl: 1.25, standardError: 0.5 }],
    });
    const bytes = encodeKlJson(t);
    expect(readKlJson(bytes, "kl.json")).toEqual(t);
    expect(notes).toEqual([]);
    const old = readKlJson(new TextEncoder().encode('[{"kl":1.25,"se":0.5}]'), "old/kl.json");
    expect(old.classes).toEqual([{ label: 0, name: "0", kl: 1.25, standardError: 0.5 }]);
    expect(notes).toHaveLength(1);
    expect(() => readKlJson(new TextEncoder().encode("{"), "x.json")).toThrow(/x\.json: not valid JSON/);
  });
});
