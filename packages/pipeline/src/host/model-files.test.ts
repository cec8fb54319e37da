import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { readModelWeights } from "./model-files.js";

const modelJson = JSON.stringify({
  format: "layers-model",
  modelTopology: {},
  weightsManifest: [{ paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"], weights: [] }],
});

describe("readModelWeights", () => {
  it("reads the shards model.json names and joins them in its order", async () => {
    const asked: string[][] = [];
    const w = await readModelWeights(modelJson, "m/model.json", async (paths) => {
      asked.push(paths);
      return [Uint8Array.of(1, 2), Uint8Array.of(3)];
    });
    expect(asked).toEqual([["group1-shard1of2.bin", "group1-shard2of2.bin"]]);
    expect([...w]).toEqual([1, 2, 3]);
  });
  it("refuses a model.json that is not a layers model as bad input, before reading anything", async () => {
    const read = async () => {
      throw new Error("must not read");
    };
    await expect(readModelWeights("{", "m/model.json", read)).rejects.toBeInstanceOf(InputError);
    await expect(readModelWeights('{"modelTopology":{},"format":"graph-model"}', "m/model.json", read)).rejects.toThrow(
      /m\/model\.json: format "graph-model"/,
    );
  });
});
