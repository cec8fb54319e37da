// The study profiles, in one place for the config schema, the CLI's --profile and the page's
// menu. Kept free of imports so a host's page can take it without the pipeline's weight.
//   paper   — the authors' settings (METHOD.md §2–§9): 400 sweeps, k = 16/16/64/64, M = 100 000…
//   default — the textbook predictive and 16 short chains (class means with their MCSE, METHOD.md §12)
//   quick   — tiny sizes for a smoke run and the end-to-end test (seconds)
//   demo    — what `classfit demo` runs on the embedded default in about two minutes on 2 cores

export const STUDY_PROFILES = ["paper", "default", "quick", "demo"] as const;
export type StudyProfile = (typeof STUDY_PROFILES)[number];

/** The profiles from the cheapest to the most expensive (the order a menu offers them in). */
export const STUDY_PROFILES_BY_COST: readonly StudyProfile[] = ["quick", "demo", "default", "paper"];

export function isStudyProfile(v: string): v is StudyProfile {
  return (STUDY_PROFILES as readonly string[]).includes(v);
}
