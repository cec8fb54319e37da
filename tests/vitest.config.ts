import { defineConfig } from "vitest/config";
import { packageConfig } from "../vitest.shared.mjs";

export default defineConfig(
  packageConfig("tests", { test: { include: ["src/**/*.test.ts"], testTimeout: 180_000, hookTimeout: 180_000 } }),
);
