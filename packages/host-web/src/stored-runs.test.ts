// A stored run's summary, read back from its manifest and analysis as the run list shows it.
import { describe, expect, it } from "vitest";
import { storedSummary } from "./stored-runs.js";

function storage(files: Record<string, unknown>) {
  return {
    read: async (path: string) => (path in files ? new TextEncoder().encode(JSON.stringify(files[path])) : undefined),
  };
}

const manifest = { name: "s", profile: "quick", seconds: 2.5, stepsComputed: 7, stepsReused: 1, status: "complete" };

describe("storedSummary", () => {
  it("summarises a complete run from its manifest and analysis", async () => {
    const analysis = {
      networks: [
        {
          name: "resnet",
          label: "ResNet",
          splitStage: "stage2",
          classes: [
            { classIndex: 0, className: "cat" },
            { classIndex: 1, className: "dog" },
          ],
          correlations: [],
          stageSummaries: [],
          generative: [{ stage: "stage2", accuracy: 0.75 }],
          split: {
            verdict: "two-groups",
            gap: { high: [1], low: [0], gap: 12.5 },
            mixture: { deltaBic: 3 },
            dip: null,
          },
        },
      ],
      warnings: ["w"],
    };
    expect(await storedSummary(storage({ "manifest.json": manifest, "report/analysis.json": analysis }))).toMatchObject(
      {
        name: "s",
        profile: "quick",
        seconds: 2.5,
        stepsComputed: 7,
        stepsReused: 1,
        networks: [
          {
            label: "ResNet",
            splitStage: "stage2",
            verdict: "two-groups",
            highClasses: ["dog"],
            lowClasses: ["cat"],
            gapNats: 12.5,
            deltaBic: 3,
            dipPValue: null,
            generativeAccuracy: 0.75,
          },
        ],
        warnings: ["w"],
      },
    );
  });

  it("has no networks without an analysis, and no summary for an unfinished or missing run", async () => {
    expect((await storedSummary(storage({ "manifest.json": manifest })))?.networks).toEqual([]);
    expect(await storedSummary(storage({ "manifest.json": { ...manifest, status: "running" } }))).toBeUndefined();
    expect(await storedSummary(storage({}))).toBeUndefined();
  });
});
