import { describe, expect, it } from "vitest";
import { defaultWorkers } from "./form.js";

describe("defaultWorkers", () => {
  it("uses every core, lowered to what half the device memory holds at 1/4 GiB per worker", () => {
    expect(defaultWorkers(8)).toBe(8);
    expect(defaultWorkers(8, 8)).toBe(8);
    expect(defaultWorkers(8, 1)).toBe(2);
    expect(defaultWorkers(4, 0.25)).toBe(1);
    expect(defaultWorkers(0)).toBe(2);
    expect(defaultWorkers(64, 32)).toBe(16);
  });
});
