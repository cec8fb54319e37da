import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

describe("classfit CLI (built)", () => {
  it("prints help and exits 0", () => {
    const out = execFileSync(process.execPath, [cli, "--help"], { encoding: "utf8" });
    expect(out).toMatch(/Usage: classfit/);
  });

  it("rejects an unknown flag with a clear message and a non-zero exit", () => {
    const r = spawnSync(process.execPath, [cli, "--no-such-flag"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });
});
