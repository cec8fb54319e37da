import { defineConfig } from "vitest/config";
import { packageConfig } from "../../vitest.shared.mjs";

export default defineConfig(packageConfig("wasm-core"));
