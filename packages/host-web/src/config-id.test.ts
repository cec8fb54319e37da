// The derived run id keys the runs kept in IndexedDB: these values are what earlier versions of the
// page stored runs under, so a change to configId would orphan them.
import { describe, expect, it } from "vitest";
import { configId } from "./config-id.js";
import { buildConfig } from "./form.js";
import { initialFormState } from "./views/form.js";

describe("configId", () => {
  it("is 32-bit FNV-1a of the text, as stored runs are keyed", () => {
    expect(configId("")).toBe("run-811c9dc5");
    expect(configId("a")).toBe("run-e40c292c");
    // UTF-16 code units, not UTF-8 bytes: non-ASCII configs keep their ids too.
    expect(configId("Größe ✓ 😀")).toBe("run-5858b4e0");
    expect(configId(JSON.stringify("not json"))).toBe("run-d7c0575e");
  });

  it("gives the page's opening config the id it always had", () => {
    const state = initialFormState(4);
    const config = buildConfig({
      data: { kind: state.data.kind, perClass: state.data.perClass },
      networks: state.networks,
      profile: state.profile,
      seed: state.seed,
    });
    expect(JSON.stringify(config)).toBe(
      '{"name":"classfit study (browser)","seed":0,"profile":"quick","dataset":{"path":"default","perClass":100},"networks":[{"name":"resnet","family":"resnet","arch":{"arch":"resnet","blocks":[1,1],"widthMultiplier":0.125},"train":{"epochs":1}}]}',
    );
    expect(configId(JSON.stringify(config))).toBe("run-aee04dad");
  });
});
