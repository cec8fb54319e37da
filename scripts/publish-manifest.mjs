// The package.json a workspace package is packed with, swapped in around `npm pack`/`npm publish`.
//
//   node ../../scripts/publish-manifest.mjs strip     (prepack: run in the package folder)
//   node ../../scripts/publish-manifest.mjs restore   (postpack)
//
// In the monorepo every export carries a "source" condition that points at src/*.ts, so Vite,
// vitest and tsc (customConditions) read the sources and never a stale dist/. Those files are not
// in the tarball, so the published manifest must not name them. npm 11 ignores `exports` under
// publishConfig (that override is pnpm's and yarn's, not npm's) but packs package.json as it is
// on disk after prepack, so prepack writes the published form and postpack puts the original
// back. A package whose exports cannot be published as they stand (host-web exports its
// TypeScript sources) names its published exports in `publishConfig.exports`.
//
// `npm publish` re-reads package.json after postpack for the registry's copy of the metadata, so
// that copy keeps the condition; installs read the tarball's package.json, which does not.
// Restoring later (postpublish) would leave the published form in the work tree whenever a
// publish fails (no login, version taken).
import { existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const MANIFEST = "package.json";
// Kept beside package.json while the published form is in place; not in any package's `files`.
const BACKUP = "package.json.dev";

/** The manifest with every "source" condition removed (and publishConfig.exports applied). */
export function publishedManifest(pkg) {
  const out = structuredClone(pkg);
  const override = out.publishConfig?.exports;
  if (override !== undefined) {
    out.exports = override;
    delete out.publishConfig.exports;
    if (Object.keys(out.publishConfig).length === 0) delete out.publishConfig;
  } else if (out.exports !== undefined) {
    out.exports = withoutSource(out.exports);
  }
  return out;
}

function withoutSource(node) {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) if (k !== "source") out[k] = withoutSource(v);
  return out;
}

/** Every file or folder an exports map points at ("./dist/*" → "./dist/"). */
export function exportTargets(node, acc = []) {
  if (typeof node === "string") acc.push(node);
  else if (node !== null && typeof node === "object") for (const v of Object.values(node)) exportTargets(v, acc);
  return acc;
}

/** Why the published manifest would break for a consumer, or [] when it would not. */
export function publishProblems(pkg, dir) {
  const problems = [];
  for (const target of exportTargets(pkg.exports)) {
    if (/(^|\/)src\//.test(target)) problems.push(`export target ${target} is a source file, not published`);
    const path = target.includes("*") ? target.slice(0, target.indexOf("*")) : target;
    if (!existsSync(join(dir, path))) problems.push(`export target ${target} does not exist (build the package first)`);
  }
  const files = pkg.files ?? [];
  if (!files.includes("LICENSE")) problems.push(`"files" does not list LICENSE`);
  if (!existsSync(join(dir, "LICENSE"))) problems.push("no LICENSE file");
  return problems;
}

function restore(dir) {
  const backup = join(dir, BACKUP);
  if (existsSync(backup)) renameSync(backup, join(dir, MANIFEST));
}

function strip(dir) {
  // A pack that died between prepack and postpack left the published form in place.
  restore(dir);
  const original = readFileSync(join(dir, MANIFEST));
  const pkg = publishedManifest(JSON.parse(original.toString("utf8")));
  const problems = publishProblems(pkg, dir);
  if (problems.length > 0) {
    throw new Error(`${join(dir, MANIFEST)}: cannot be published:\n  ${problems.join("\n  ")}`);
  }
  writeFileSync(join(dir, BACKUP), original);
  const tmp = join(dir, `${MANIFEST}.tmp-${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(pkg, null, 2)}\n`);
  renameSync(tmp, join(dir, MANIFEST));
}

const isMain = process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
if (isMain) {
  const [mode] = process.argv.slice(2);
  const dir = process.cwd();
  try {
    if (mode === "strip") strip(dir);
    else if (mode === "restore") restore(dir);
    else {
      console.error("usage: publish-manifest.mjs strip|restore (run in a package folder)");
      process.exit(2);
    }
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
