import { describe, expect, it } from "vitest";
import { isStudyProfile, STUDY_PROFILES, STUDY_PROFILES_BY_COST } from "./profiles.js";
import { PROFILE_SETTINGS } from "./study/config.js";

describe("study profiles", () => {
  it("lists each profile once in both orders, each with its settings", () => {
    expect([...STUDY_PROFILES_BY_COST].sort()).toEqual([...STUDY_PROFILES].sort());
    expect(Object.keys(PROFILE_SETTINGS).sort()).toEqual([...STUDY_PROFILES].sort());
  });
  it("tells a profile name from anything else", () => {
    expect(isStudyProfile("quick")).toBe(true);
    expect(isStudyProfile("fast")).toBe(false);
  });
});
