import { createCore } from "@classfit/wasm-core/node";
import * as tf from "@tensorflow/tfjs-core";
import { model as functionalModel, input, layers } from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArchConfig } from "../arch/config.js";
import { initBackend } from "../backend.js";
import { computeNormalisation, fillBatch, syntheticDataset } from "../data/index.js";
import { encodeNpy, parseNpy } from "../io/npy.js";
import { createModel } from "../model/create.js";
import { extractActivations, MemorySink, npyHeaderF32 } from "./extract.js";

let core: Awaited<ReturnType<typeof createCore>>;
beforeAll(async () => {
  await initBackend();
  core = await createCore();
});

const spec = { height: 28, width: 28, channels: 1, numClasses: 3 };
const ds = syntheticDataset({ n: 10 });
const norm = computeNormalisation(ds);

describe("extractActivations", () => {
  it.each([
    ["resnet", { arch: "resnet", blocks: [1, 1], widthMultiplier: 0.0625 }],
    ["vit", { arch: "vit", patch: 7, dim: 8, depth: 2, heads: 2, mlpHidden: 8, stages: 2 }],
  ] as [string, ArchConfig][])(
    "%s: avg and max pooling equal the pooled full stage outputs, batch size does not matter",
    async (_n, cfg) => {
      const { model, stages } = createModel(cfg, spec, core, 3);
      const start = tf.memory().numTensors;
      const avg = new MemorySink();
      await extractActivations({ model, stages, dataset: ds, normalisation: norm, sink: avg, batchSize: 3 });
      const avg2 = new MemorySink();
      await extractActivations({ model, stages, dataset: ds, normalisation: norm, sink: avg2, batchSize: 10 });
      const max = new MemorySink();
      await extractActivations({
        model,
        stages,
        dataset: ds,
        normalisation: norm,
        sink: max,
        pool: "max",
        batchSize: 4,
      });
      expect(tf.memory().numTensors).toBe(start);

      // Reference: the full stage outputs for all 10 images at once, pooled here in JS.
      const x = new Float32Array(10 * 784);
      fillBatch(
        ds,
        Array.from({ length: 10 }, (_, i) => i),
        norm,
        x,
      );
      const full = functionalModel({
        inputs: model.inputs,
        outputs: stages.map((s) => model.getLayer(s).output as never),
      });
      const outs = tf.tidy(() => full.predict(tf.tensor4d(x, [10, 28, 28, 1])) as tf.Tensor[]);
      outs.forEach((t, s) => {
        const c = t.shape[t.shape.length - 1] as number;
        const per = t.size / (10 * c);
        const v = t.dataSync();
        const a = avg.data[s] as Float32Array;
        const m = max.data[s] as Float32Array;
        expect(a.length).toBe(10 * c);
        for (let i = 0; i < 10; i++) {
          for (let k = 0; k < c; k++) {
            let sum = 0;
            let mx = -Infinity;
            for (let p = 0; p < per; p++) {
              const val = v[(i * per + p) * c + k] as number;
              sum += val;
              mx = Math.max(mx, val);
            }
            expect(a[i * c + k]).toBeCloseTo(sum / per, 4);
            expect(m[i * c + k]).toBe(Math.fround(mx));
          }
        }
        expect(Buffer.from(a.buffer).equals(Buffer.from((avg2.data[s] as Float32Array).buffer))).toBe(true);
      });
      tf.dispose(outs);
      model.dispose();
    },
  );

  it("works on any layers model with stage layers named by the user, and names missing layers", async () => {
    const inp = input({ shape: [28, 28, 1] });
    const c1 = layers.conv2d({ filters: 2, kernelSize: 3, name: "my_conv" }).apply(inp);
    const out = layers.dense({ units: 3 }).apply(layers.flatten().apply(c1));
    const user = functionalModel({ inputs: inp, outputs: out as never });
    const sink = new MemorySink();
    await extractActivations({ model: user, stages: ["my_conv"], dataset: ds, normalisation: norm, sink });
    expect(sink.channels).toEqual([2]);
    await expect(
      extractActivations({
        model: user,
        stages: ["my_conv", "layer4"],
        dataset: ds,
        normalisation: norm,
        sink,
        where: "user/model.json",
      }),
    ).rejects.toThrow(/user\/model\.json: no layer named 'layer4' \(layers: .*my_conv/);
    const rgb = syntheticDataset({ n: 2, channels: 3 });
    await expect(
      extractActivations({
        model: user,
        stages: ["my_conv"],
        dataset: rgb,
        normalisation: computeNormalisation(rgb),
        sink,
      }),
    ).rejects.toThrow(/images have 3 channel\(s\), the model expects 1/);
    user.dispose();
  });

  it("npyHeaderF32 gives np.save's header, so streamed files parse", () => {
    for (const shape of [[10, 64], [60000, 2], [3]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => i / 7);
      const whole = encodeNpy(data, shape);
      const head = npyHeaderF32(shape);
      expect(Buffer.from(whole.subarray(0, head.length)).equals(Buffer.from(head))).toBe(true);
      expect(whole.length - head.length).toBe(4 * n);
      if (n < 1000) expect(parseNpy(whole).shape).toEqual(shape);
    }
  });
});
