// classfit as an outside project gets it: every package packed as npm would publish it (prepack
// included), the tarballs installed offline into a scratch project under the system temp folder,
// then a DP-GMM fitted and scored through the public API by a short Node script and by a page
// that Vite builds, in Chromium, with the same bytes; and the packages' declarations compiled by
// a consumer's tsc with default settings. Nothing here writes into the repository: packing runs
// in copies of the packages, since prepack rewrites package.json.
import { execFile } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailability, collectFromPage, serveStatic } from "./browser.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const PACKAGES = ["wasm-core", "models", "pipeline", "host-node", "host-web"] as const;

// npm run from inside `npm test` inherits npm_* variables (workspace, package, lifecycle) that
// would make the scratch installs act on the monorepo; keep only where npm's cache and config are.
const KEEP_NPM = new Set([
  "npm_config_cache",
  "npm_config_userconfig",
  "npm_config_globalconfig",
  "npm_config_registry",
]);
const npmEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") || KEEP_NPM.has(k.toLowerCase())),
);

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run("npm", args, { cwd, env: npmEnv, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(" ")} (in ${cwd}) failed:\n${err.stderr ?? ""}${err.stdout ?? ""}`);
  }
}

// ~10 lines an embedder would write: a seeded two-blob dataset, a DP-GMM fit, log densities.
const NODE_SCRIPT = `import { createHash } from "node:crypto";
import { dpgmmConfig, encodeClassModel, fitClassModel, logPredictive, Rng } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";

const core = await createCore();
const rng = new Rng(core, 2026, 0);
const x = rng.normal(2 * 120).map((v, i) => (i < 120 ? v : v + 5)); // 120 points in 2-D, two blobs
rng.dispose();
const model = fitClassModel(core, x, 120, 2, dpgmmConfig({ seed: 7, chains: 2, sweeps: 40, burnIn: 20, thin: 5 }));
const scores = logPredictive(core, model, x, 120);
const bytes = Buffer.concat([encodeClassModel(model), new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength)]);
console.log(JSON.stringify({ sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length }));
`;

// The same in a page: the module comes from the package's exported .wasm, which Vite emits.
const PAGE_SCRIPT = `import { Core, dpgmmConfig, encodeClassModel, fitClassModel, logPredictive, Rng } from "@classfit/wasm-core";
import wasmUrl from "@classfit/wasm-core/classfit-core.wasm?url";

const core = await Core.instantiate(await WebAssembly.compile(await (await fetch(wasmUrl)).arrayBuffer()));
const rng = new Rng(core, 2026, 0);
const x = rng.normal(2 * 120).map((v, i) => (i < 120 ? v : v + 5));
rng.dispose();
const model = fitClassModel(core, x, 120, 2, dpgmmConfig({ seed: 7, chains: 2, sweeps: 40, burnIn: 20, thin: 5 }));
const scores = logPredictive(core, model, x, 120);
const head = encodeClassModel(model);
const bytes = new Uint8Array(head.length + scores.byteLength);
bytes.set(head);
bytes.set(new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength), head.length);
const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
window.__embedding = { sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""), bytes: bytes.length };
`;

const tarball = (name: string): string => `classfit-${name}-0.1.0.tgz`;

/**
 * A lockfile for the scratch project: the tarballs, and every third-party package at the version,
 * address and integrity the repository's own lockfile pins. An offline install resolves new
 * dependencies from registry metadata that the npm cache does not hold (it holds the tarballs
 * `npm ci` fetched); with a lockfile it needs only those tarballs.
 */
function scratchLock(deps: Record<string, string>): unknown {
  const lock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; link?: boolean }>;
  };
  const packages: Record<string, unknown> = { "": { name: "embedder", dependencies: deps } };
  const nestedEntries: Record<string, unknown> = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (entry.dev || entry.link) continue; // the monorepo's tools, and its workspaces
    if (path.startsWith("node_modules/") && !path.startsWith("node_modules/@classfit/")) {
      packages[path] = entry;
      continue;
    }
    // A version that conflicts with the hoisted one sits under its workspace
    // (packages/pipeline/node_modules/vega-lite); in the embedder's tree it sits under the
    // installed package, where npm would put it; listed after that package, as npm lists them.
    const nested = /^packages\/([^/]+)\/(node_modules\/.+)$/.exec(path);
    if (nested) nestedEntries[`node_modules/@classfit/${nested[1]}/${nested[2]}`] = entry;
  }
  for (const name of PACKAGES) {
    const manifest = JSON.parse(readFileSync(join(repo, "packages", name, "package.json"), "utf8")) as {
      version: string;
      dependencies?: Record<string, string>;
      bin?: Record<string, string>;
    };
    // npm links bins from the lockfile's entry, so it carries them as npm would have written it.
    packages[`node_modules/@classfit/${name}`] = {
      version: manifest.version,
      resolved: deps[`@classfit/${name}`],
      dependencies: manifest.dependencies ?? {},
      ...(manifest.bin ? { bin: manifest.bin } : {}),
    };
  }
  Object.assign(packages, nestedEntries);
  return { name: "embedder", lockfileVersion: 3, requires: true, packages };
}

interface Digest {
  sha256: string;
  bytes: number;
}

let tmp: string;
let app: string;
let tarballs: string;
const packed = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "classfit-embedding-"));
  const mirror = join(tmp, "monorepo");
  tarballs = join(tmp, "tarballs");
  mkdirSync(join(mirror, "scripts"), { recursive: true });
  mkdirSync(tarballs);
  // The copies keep the repository's layout, so prepack's `../../scripts/…` resolves; they hold
  // what `files` names, which is all npm takes besides package.json, README and LICENSE.
  copyFileSync(join(repo, "scripts/publish-manifest.mjs"), join(mirror, "scripts/publish-manifest.mjs"));
  for (const name of PACKAGES) {
    const src = join(repo, "packages", name);
    const dst = join(mirror, "packages", name);
    const { files = [] } = JSON.parse(readFileSync(join(src, "package.json"), "utf8")) as { files?: string[] };
    for (const entry of ["package.json", ...files]) {
      if (existsSync(join(src, entry))) cpSync(join(src, entry), join(dst, entry), { recursive: true });
    }
  }
  // One npm for all five: under load, starting npm costs seconds.
  await npm(["pack", "--pack-destination", tarballs, ...PACKAGES.map((name) => `./packages/${name}`)], mirror);
  app = join(tmp, "app");
  mkdirSync(app);
  const deps = Object.fromEntries(PACKAGES.map((name) => [`@classfit/${name}`, `file:../tarballs/${tarball(name)}`]));
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify({ name: "embedder", private: true, type: "module", dependencies: deps }, null, 2)}\n`,
  );
  writeFileSync(join(app, "package-lock.json"), `${JSON.stringify(scratchLock(deps), null, 2)}\n`);
  await npm(["install", "--offline", "--no-audit", "--no-fund"], app);
  for (const name of PACKAGES) {
    const manifest = join(app, "node_modules/@classfit", name, "package.json");
    packed.set(name, JSON.parse(readFileSync(manifest, "utf8")) as Record<string, unknown>);
  }
}, 240_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Every string an exports map points at. */
function targets(node: unknown): string[] {
  if (typeof node === "string") return [node];
  if (node !== null && typeof node === "object") return Object.values(node).flatMap(targets);
  return [];
}

describe("packed packages", () => {
  it.each(PACKAGES)("%s: installed from its tarball, public, licensed, no source condition", (name) => {
    const pkg = packed.get(name);
    expect(pkg?.private).toBeUndefined();
    expect(pkg?.license).toBe("MIT");
    const dir = join(app, "node_modules/@classfit", name);
    expect(readFileSync(join(dir, "LICENSE"), "utf8")).toContain("Copyright (c) 2026 classfit contributors");
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain(`@classfit/${name}`);
    expect(JSON.stringify(pkg?.exports)).not.toContain('"source"');
    // Every target the consumer can reach is in the tarball ("./dist/*" → the dist folder).
    const paths = targets(pkg?.exports);
    expect(paths.length).toBeGreaterThan(0);
    for (const t of paths) {
      const path = join(dir, t.includes("*") ? t.slice(0, t.indexOf("*")) : t);
      expect(() => statSync(path), `${name}: ${t}`).not.toThrow();
    }
  });
});

describe("a Node script of the embedder's", () => {
  let node: Digest;
  beforeAll(async () => {
    writeFileSync(join(app, "fit.mjs"), NODE_SCRIPT);
    const { stdout } = await run(process.execPath, ["fit.mjs"], { cwd: app });
    node = JSON.parse(stdout) as Digest;
  });

  it("fits and scores a DP-GMM through the public API, the same bytes on a second run", async () => {
    expect(node.sha256).toMatch(/^[0-9a-f]{64}$/);
    // 120 log densities (960 bytes) after the encoded model.
    expect(node.bytes).toBeGreaterThan(960);
    const again = JSON.parse((await run(process.execPath, ["fit.mjs"], { cwd: app })).stdout) as Digest;
    expect(again).toEqual(node);
  });

  const availability = browserAvailability();
  if (!availability.available) console.log(`SKIP embedding in Chromium: ${availability.reason}`);

  it.skipIf(!availability.available)("a Vite page doing the same in Chromium gives the same bytes", async () => {
    writeFileSync(
      join(app, "index.html"),
      '<!doctype html><meta charset="utf-8"><title>embedding</title><script type="module" src="./main.js"></script>\n',
    );
    writeFileSync(join(app, "main.js"), PAGE_SCRIPT);
    const outDir = join(tmp, "web");
    const { build } = await import("vite");
    await build({
      root: app,
      configFile: false,
      logLevel: "silent",
      base: "./",
      cacheDir: join(tmp, "vite-cache"),
      build: { outDir, emptyOutDir: true, target: "es2022", assetsInlineLimit: 0 },
    });
    const served = new Map<string, Uint8Array>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else served.set(relative(outDir, p), readFileSync(p));
      }
    };
    walk(outDir);
    // The wasm came through the package's export as a file of its own, not inlined.
    expect([...served.keys()].some((p) => p.endsWith(".wasm"))).toBe(true);
    const site = await serveStatic(served);
    try {
      const page = await collectFromPage<Digest>(site, "__embedding");
      expect(page).toEqual(node);
    } finally {
      await site.close();
    }
  });
});

// tfjs-layers 4.22's own declarations fail under `strict` (TS2411: optional config fields against
// a PyJsonValue index signature; TS2420: LayersModel against InferenceModel). models and pipeline
// name tfjs-layers types, so their consumers meet these until tfjs fixes them; ours must be clean.
const UPSTREAM = /node_modules\/@tensorflow\/tfjs-layers\/dist\//;
const UPSTREAM_CODES = new Set(["TS2411", "TS2420"]);

/** The ```ts blocks of a README: its examples, compiled and run against the installed packages. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
}

/** tsc's errors on the project in `dir` (one line each). */
async function tscErrors(dir: string): Promise<string[]> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const out = await run(process.execPath, [tsc, "-p", join(dir, "tsconfig.json"), "--pretty", "false"], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? String(e),
  );
  return out.split("\n").filter((l) => / error TS\d+:/.test(l));
}

describe("the packages' declarations in a consumer's tsc (target es2022, nodenext, strict, no skipLibCheck)", () => {
  let errors: string[];
  let aloneErrors: string[];
  let aloneModules: string[];
  const examples: string[] = [];

  beforeAll(async () => {
    const specifiers = PACKAGES.flatMap((name) =>
      Object.entries((packed.get(name)?.exports ?? {}) as Record<string, unknown>)
        .filter(([, target]) => targets(target).some((t) => t.endsWith(".d.ts")))
        .map(([sub]) => `@classfit/${name}${sub.slice(1)}`),
    );
    // wasm-core (2), models (5), pipeline (7), host-node (1); host-web publishes an app, no types.
    expect(specifiers).toHaveLength(15);
    writeFileSync(join(app, "consumer.ts"), specifiers.map((s, i) => `export * as m${i} from "${s}";\n`).join(""));
    for (const name of PACKAGES) {
      const readme = readFileSync(join(app, "node_modules/@classfit", name, "README.md"), "utf8");
      tsBlocks(readme).forEach((code, i) => {
        const file = `readme-${name}-${i}.ts`;
        writeFileSync(join(app, file), code);
        examples.push(file);
      });
    }
    // Default lib and types; emitted only so that the README examples can be run below.
    const compilerOptions = { target: "es2022", module: "nodenext", strict: true, outDir: "out" };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["consumer.ts", ...examples] }));

    // wasm-core has no dependencies, so its consumer may have no @types at all (a browser app):
    // nothing then declares what lib es2022 lacks, as @types/node (pulled in above by host-node's
    // dependencies) does for Symbol.dispose.
    const alone = join(tmp, "wasm-core-alone");
    mkdirSync(alone);
    writeFileSync(
      join(alone, "package.json"),
      `${JSON.stringify({ name: "browser-app", private: true, type: "module" })}\n`,
    );
    await npm(["install", "--offline", "--no-audit", "--no-fund", join(tarballs, tarball("wasm-core"))], alone);
    const own = tsBlocks(readFileSync(join(alone, "node_modules/@classfit/wasm-core/README.md"), "utf8"));
    for (const [i, code] of own.entries()) writeFileSync(join(alone, `readme-${i}.ts`), code);
    writeFileSync(
      join(alone, "consumer.ts"),
      'export * as core from "@classfit/wasm-core";\nexport * as node from "@classfit/wasm-core/node";\n',
    );
    writeFileSync(
      join(alone, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "es2022", module: "nodenext", strict: true, noEmit: true },
        files: ["consumer.ts", ...own.map((_, i) => `readme-${i}.ts`)],
      }),
    );
    aloneModules = readdirSync(join(alone, "node_modules"));
    [errors, aloneErrors] = await Promise.all([tscErrors(app), tscErrors(alone)]);
  }, 240_000);

  it("wasm-core alone, with no @types installed: its exports and README example compile without error", () => {
    expect(aloneModules.filter((m) => !m.startsWith("."))).toEqual(["@classfit"]);
    expect(aloneErrors).toEqual([]);
  });

  it("compile: every export that has types and every README example, no error in classfit's", () => {
    expect(examples.length).toBeGreaterThanOrEqual(PACKAGES.length);
    expect(errors.filter((l) => !UPSTREAM.test(l))).toEqual([]);
    for (const l of errors) expect(UPSTREAM_CODES.has(/ error (TS\d+):/.exec(l)?.[1] ?? "")).toBe(true);
  });

  it("the README examples run", async () => {
    const results = await Promise.all(
      examples.map((file) =>
        run(process.execPath, [join("out", file.replace(/\.ts$/, ".js"))], { cwd: app }).then(
          () => `${file}: ok`,
          (e: { stderr?: string }) => `${file}: ${e.stderr ?? String(e)}`,
        ),
      ),
    );
    expect(results).toEqual(examples.map((file) => `${file}: ok`));
  });

  it("the installed `classfit` bin prints its help", async () => {
    const { stdout } = await run(join(app, "node_modules/.bin/classfit"), ["--help"], { cwd: app });
    expect(stdout).toMatch(/^Usage: classfit/);
  });
});
