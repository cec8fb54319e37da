// Shared vitest settings: workspace packages resolve to their TypeScript sources (the
// "source" export condition), so tests never run against a stale dist/.
import { defaultServerConditions } from "vite";

/** @type {import('vitest/config').UserConfig} */
export const shared = {
  resolve: { conditions: ["source", ...defaultServerConditions] },
  ssr: { resolve: { conditions: ["source", ...defaultServerConditions], externalConditions: ["source"] } },
  test: {
    include: ["src/**/*.test.ts", "*.test.ts"],
    testTimeout: 60_000,
    passWithNoTests: true,
    reporters: ["default", ["json", { outputFile: "../../.vitest-reports/PKG.json" }]],
  },
};

/** The shared config for one package; `name` names its JSON report. */
export function packageConfig(name, overrides = {}) {
  return {
    ...shared,
    ...overrides,
    test: {
      ...shared.test,
      reporters: [
        "default",
        ["json", { outputFile: new URL(`.vitest-reports/${name}.json`, import.meta.url).pathname }],
      ],
      ...(overrides.test ?? {}),
    },
  };
}
