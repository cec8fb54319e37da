// Every command's --help: an "Examples:" section, lines that fit 80 columns (the width commander
// uses off a terminal), descriptions without hard line breaks for commander to wrap again, and
// examples that the CLI's own parser accepts (flags that exist, values that pass).
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "./cli.js";
import { commandPath, EXAMPLES } from "./help.js";

function allCommands(program: Command): Command[] {
  const out: Command[] = [];
  const walk = (c: Command) => {
    out.push(c);
    for (const s of c.commands) walk(s);
  };
  walk(program);
  return out;
}

/** What `classfit <path> --help` prints, at 80 columns. */
function helpText(cmd: Command): string {
  let text = "";
  cmd.configureOutput({
    writeOut: (s) => {
      text += s;
    },
    getOutHelpWidth: () => 80,
  });
  cmd.outputHelp();
  return text;
}

const commands = allCommands(buildProgram());

describe("--help of every command", () => {
  it("covers the program and all its commands and subcommands", () => {
    const paths = commands.map(commandPath);
    expect(paths).toContain("classfit");
    expect(paths).toContain("shard run");
    expect(paths).toContain("fit");
    expect(paths.length).toBeGreaterThanOrEqual(17);
  });

  it.each(commands.map((c) => [commandPath(c), c] as const))("%s: examples, 80 columns, wrapped once", (_p, cmd) => {
    const text = helpText(cmd);
    expect(text).toContain("\nExamples:\n  $ ");
    const long = text.split("\n").filter((l) => [...l].length > 80);
    expect(long).toEqual([]);
    expect(cmd.description()).not.toContain("\n");
    for (const o of cmd.options) expect(o.description, o.flags).not.toContain("\n");
  });
});

describe("the examples", () => {
  /** The argv of an example: without "classfit", continuations, comments and redirections. */
  const argvOf = (example: string) =>
    example
      .replace(/\\\n/g, " ")
      .replace(/#.*$/, "")
      .replace(/\s\d?>\s*\S+/g, "")
      .trim()
      .split(/\s+/)
      .slice(1);

  const cases = Object.entries(EXAMPLES).flatMap(([path, examples]) =>
    examples.filter((e) => e.startsWith("classfit ")).map((e) => [path, e] as const),
  );

  it.each(cases)("%s: `%s` parses", async (path, example) => {
    const argv = argvOf(example);
    if (path !== "classfit") expect(argv.slice(0, path.split(" ").length).join(" ")).toBe(path);
    // The real parser, with every action replaced: flags and values are checked, nothing runs.
    const program = buildProgram();
    let ran = "";
    for (const c of allCommands(program)) {
      c.action(() => {
        ran = commandPath(c);
      });
      c.configureOutput({ writeOut: () => {}, writeErr: () => {} });
    }
    if (argv.includes("--help")) {
      await expect(program.parseAsync(argv, { from: "user" })).rejects.toMatchObject({
        code: "commander.helpDisplayed",
      });
      return;
    }
    await program.parseAsync(argv, { from: "user" });
    expect(ran).toBe(argv.slice(0, ran.split(" ").length).join(" "));
  });
});
