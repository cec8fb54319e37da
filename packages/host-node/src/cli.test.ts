import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

describe("classfit CLI (built)", () => {
  it("prints help and exits 0", () => {
    const out = execFileSync(process.execPath, [cli, "--help"], { encoding: "utf8" });
    expect(out).toMatch(/Usage: classfit/);
  });

  it("runs through a symlink to the built CLI and through the bin launcher", () => {
    const dir = mkdtempSync(join(tmpdir(), "classfit-bin-"));
    try {
      const link = join(dir, "classfit");
      symlinkSync(cli, link);
      expect(execFileSync(process.execPath, [link, "--help"], { encoding: "utf8" })).toMatch(/Usage: classfit/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const launcher = fileURLToPath(new URL("../bin/classfit.js", import.meta.url));
    expect(execFileSync(process.execPath, [launcher, "fit", "--help"], { encoding: "utf8" })).toMatch(
      /Usage: classfit fit/,
    );
    // What `npx classfit` runs after `npm install` in the repository: the workspace's linked bin.
    const bin = fileURLToPath(new URL("../../../node_modules/.bin/classfit", import.meta.url));
    if (existsSync(bin)) expect(execFileSync(bin, ["--help"], { encoding: "utf8" })).toMatch(/Usage: classfit/);
  });

  it("rejects an unknown flag with a clear message and exit code 2 (bad input)", () => {
    const r = spawnSync(process.execPath, [cli, "--no-such-flag"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });
});
