#!/usr/bin/env node
// The `classfit` command. A launcher kept in the source tree (not built) so that npm links it on
// the first install, before `dist/` exists, and so that it works however it is reached (npm's
// .bin symlinks, npx, a global install): it imports the built CLI and runs it, instead of relying
// on the CLI noticing that it is the entry script.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("classfit: the CLI is not built yet; run `npm run build` in the repository first\n");
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
