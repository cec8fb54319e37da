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
      networks: [{ label: "ResNet", splitStage: "stage2", split: { verdict: "split" }, other: 1 }],
      warnings: ["w"],
    };
    expect(await storedSummary(storage({ "manifest.json": manifest, "report/analysis.json": analysis }))).toEqual({
      name: "s",
      profile: "quick",
      seconds: 2.5,
      stepsComputed: 7,
      stepsReused: 1,
      networks: [{ label: "ResNet", splitStage: "stage2", verdict: "split" }],
      warnings: ["w"],
    });
  });

  it("has no networks without an analysis, and no summary for an unfinished or missing run", async () => {
    expect((await storedSummary(storage({ "manifest.json": manifest })))?.networks).toEqual([]);
    expect(await storedSummary(storage({ "manifest.json": { ...manifest, status: "running" } }))).toBeUndefined();
    expect(await storedSummary(storage({}))).toBeUndefined();
  });
});
