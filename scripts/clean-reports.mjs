// Clears last run's vitest JSON reports so the summary counts only this run.
import { rmSync } from "node:fs";

rmSync(new URL("../.vitest-reports/", import.meta.url), { recursive: true, force: true });
