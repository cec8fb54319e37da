import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { resolveStudyConfig } from "./config.js";
import { DEMO_NAME, DEMO_NETWORKS, demoNotes, demoStudyInput, SHIPPED_PATHS } from "./demo.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

describe("the demo config", () => {
  it("names the shipped models and memorization runs by their paths from the repository root", () => {
    for (const n of DEMO_NETWORKS) {
      expect(existsSync(`${ROOT}${SHIPPED_PATHS.model(n)}/model.json`), n.name).toBe(true);
      expect(existsSync(`${ROOT}${SHIPPED_PATHS.memorization(n)}`), n.name).toBe(true);
      expect(existsSync(`${ROOT}${SHIPPED_PATHS.certification(n)}`), n.name).toBe(true);
      expect(existsSync(`${ROOT}${SHIPPED_PATHS.trainingLoss(n)}`), n.name).toBe(true);
      expect(existsSync(`${ROOT}${SHIPPED_PATHS.densityBins(n)}`), n.name).toBe(true);
    }
    const c = resolveStudyConfig(demoStudyInput(), { where: "demo" });
    expect(c.name).toBe(DEMO_NAME);
    expect(c.profile).toBe("demo");
    expect(c.networks.map((n) => [n.name, n.model, n.memorizationScores])).toEqual([
      [
        "resnet",
        "packages/models/assets/models/resnet-narrow",
        "packages/host-node/assets/demo/memorization-resnet.npz",
      ],
      [
        "convnet",
        "packages/models/assets/models/convnet-narrow",
        "packages/host-node/assets/demo/memorization-convnet.npz",
      ],
    ]);
    expect(c.networks.map((n) => [n.certificationResults, n.trainingLoss, n.densityBinsResults])).toEqual(
      DEMO_NETWORKS.map((n) => [
        SHIPPED_PATHS.certification(n),
        SHIPPED_PATHS.trainingLoss(n),
        SHIPPED_PATHS.densityBins(n),
      ]),
    );
    expect(c.steps.certify.perClass).toBe(10);
    expect(demoNotes(c)[1]).toMatch(/^Certification comes from shipped full-scale runs/);
    const full = resolveStudyConfig(demoStudyInput({ profile: "default" }));
    expect(full.profile).toBe("default");
    expect(demoNotes(full)[0]).toMatch(/^Full scale \(profile "default"\): 40 Gibbs sweeps/);
  });

  it("takes one network, other paths, no memorization, and says so in its notes", () => {
    const one = resolveStudyConfig(
      demoStudyInput({
        networks: [DEMO_NETWORKS[1]],
        model: (n) => `/m/${n.modelDir}`,
        memorization: () => undefined,
        certification: () => undefined,
        trainingLoss: () => undefined,
        densityBins: () => undefined,
        certify: 0,
      }),
    );
    expect(one.networks.map((n) => [n.name, n.model, n.memorizationScores])).toEqual([
      ["convnet", "/m/convnet-narrow", undefined],
    ]);
    expect(one.name).toContain("narrow plain ConvNet");
    const notes = demoNotes(one);
    expect(notes[1]).toMatch(/Certification skipped/);
    expect(notes[2]).toMatch(/^No shipped memorization runs/);
    expect(demoNotes(resolveStudyConfig(demoStudyInput()))[0]).toMatch(
      /^Demo scale \(profile "demo"\): 60 Gibbs sweeps/,
    );
  });
});
