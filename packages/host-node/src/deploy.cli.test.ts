// The cluster recipes in deploy/ run as written. The command lines of the Kubernetes Jobs and the
// Slurm array script are read from the files themselves (never retyped here), run for every
// share of a tiny memorization and certification study through the built CLI, and merged with
// the recipes' own merge commands; each merged artifact must be the bytes of a single run of the
// same protocol. A manifest edit that breaks a flag, a path or the share files' naming fails here.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyModelDir } from "./test-helpers.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const K8S = join(ROOT, "deploy/k8s/classfit-shards.yaml");
const SBATCH = join(ROOT, "deploy/slurm/classfit-shards.sbatch");
const DOCKERFILE = join(ROOT, "Dockerfile");
const CLI = join(ROOT, "packages/host-node/dist/cli.js");

/** Shares per protocol: enough to exercise the split and the merge, few enough for CI. */
const SHARDS = 2;
const PROTOCOLS = ["memorization", "certification"] as const;
type Protocol = (typeof PROTOCOLS)[number];
/** The single-run command of each protocol (`classfit <command> … --out DIR`). */
const COMMAND: Record<Protocol, string> = { memorization: "memorization", certification: "certify" };

// ---------------------------------------------------------------------------------------------
// The Kubernetes manifest. No YAML parser is a dependency of this repository, so this reads only
// the shapes the manifest uses (block mappings, flow maps for env entries, a flow sequence for
// `command`, one `- >-` folded scalar for `args`) and throws on anything else: a manifest
// reshaped beyond them fails here loudly instead of being misread.

interface K8sContainer {
  job: string;
  completions: number | undefined;
  image: string;
  workingDir: string;
  command: string[];
  /** The container's one `args` entry, folded as Kubernetes' YAML reader folds it. */
  args: string;
  env: Record<string, string>;
  mountPath: string;
}

function must<T>(v: T | undefined | null, what: string, file = K8S): T {
  if (v === undefined || v === null) throw new Error(`${file}: cannot find ${what}`);
  return v;
}

const indentOf = (line: string) => line.length - line.trimStart().length;

/** The `- >-` folded block scalar that is the only item of `args:`. */
function foldedArgs(doc: string): string {
  const lines = doc.split("\n");
  const at = lines.findIndex((l) => /^\s*args:\s*$/.test(l));
  const item = /^(\s*)- >-\s*$/.exec(lines[at + 1] ?? "");
  if (at < 0 || item === null) throw new Error(`${K8S}: expected 'args:' followed by one '- >-' folded block`);
  const dash = (item[1] as string).length;
  const body: string[] = [];
  let blank = false;
  for (const line of lines.slice(at + 2)) {
    if (line.trim() === "") {
      blank = true;
      continue;
    }
    if (indentOf(line) <= dash) break;
    // A blank or more-indented line would keep a newline in the folded text; not read here.
    if (blank) throw new Error(`${K8S}: a blank line inside the folded 'args' block is not supported`);
    body.push(line);
  }
  const base = indentOf(must(body[0], "the lines of the 'args' block"));
  if (body.some((l) => indentOf(l) !== base))
    throw new Error(`${K8S}: a more-indented line inside the folded 'args' block is not supported`);
  if (lines.slice(at + 2).filter((l) => /^\s*args:/.test(l)).length > 0)
    throw new Error(`${K8S}: one container with one 'args' per Job expected`);
  return body.map((l) => l.slice(base)).join(" ");
}

/** The `env:` list of `- { name: X, value: "v" }` entries. */
function envOf(doc: string): Record<string, string> {
  const lines = doc.split("\n");
  const at = lines.findIndex((l) => /^\s*env:\s*$/.test(l));
  if (at < 0) throw new Error(`${K8S}: a Job without 'env:'`);
  const env: Record<string, string> = {};
  for (const line of lines.slice(at + 1)) {
    if (indentOf(line) <= indentOf(lines[at] as string)) break;
    const m = /^\s*-\s*\{\s*name:\s*([A-Za-z_]\w*)\s*,\s*value:\s*"([^"]*)"\s*\}\s*(?:#.*)?$/.exec(line);
    if (m === null) throw new Error(`${K8S}: cannot read the env entry '${line.trim()}'`);
    env[m[1] as string] = m[2] as string;
  }
  return env;
}

function k8sJobs(yaml: string): K8sContainer[] {
  return yaml
    .split(/^---\s*$/m)
    .filter((d) => /^kind:\s*Job\s*$/m.test(d))
    .map((doc) => {
      const scalar = (key: string) => must(new RegExp(`^\\s*${key}:\\s*([^\\s#]+)`, "m").exec(doc)?.[1], key);
      const completions = /^\s*completions:\s*(\d+)/m.exec(doc)?.[1];
      return {
        job: must(/^metadata:\s*\n\s+name:\s*(\S+)/m.exec(doc)?.[1], "a Job's metadata.name"),
        completions: completions === undefined ? undefined : Number(completions),
        image: scalar("image"),
        workingDir: scalar("workingDir"),
        command: JSON.parse(must(/^\s*command:\s*(\[.*\])\s*$/m.exec(doc)?.[1], "command")) as string[],
        args: foldedArgs(doc),
        env: envOf(doc),
        mountPath: must(/mountPath:\s*([^\s,}]+)/.exec(doc)?.[1], "volumeMounts' mountPath"),
      };
    });
}

// ---------------------------------------------------------------------------------------------
// The Slurm script's header: the merge it documents, and the share count and protocol its
// example is written for.

function slurmMergeExample(script: string): { command: string; protocol: string; shards: number } {
  const header = script
    .split("\n")
    .filter((l) => l.startsWith("#") && !l.startsWith("#!") && !l.startsWith("#SBATCH"))
    .map((l) => l.replace(/^#\s?/, ""))
    .join("\n")
    .replace(/\\\n\s*/g, " ");
  const command = /--wrap\s+"([^"]+)"/.exec(header)?.[1];
  const protocol = /^PROTOCOL=\$\{PROTOCOL:-([\w-]+)\}/m.exec(script)?.[1];
  const last = /^#SBATCH --array=0-(\d+)\s*$/m.exec(script)?.[1];
  if (command === undefined || protocol === undefined || last === undefined)
    throw new Error(
      `${SBATCH}: expected a '--wrap "…"' merge in the header, PROTOCOL's default and '#SBATCH --array=0-N'`,
    );
  return { command, protocol, shards: Number(last) + 1 };
}

// ---------------------------------------------------------------------------------------------

let dir: string;
let data: string;
let study: string;

/** The environment every recipe runs in: this test's node first on PATH, and none of the
 * variables the recipes read inherited from the machine running the test. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
  };
  for (const k of Object.keys(env))
    if (/^(SLURM_|JOB_COMPLETION_INDEX$|SHARDS$|PROTOCOL$|CONFIG$|WORK$)/.test(k)) delete env[k];
  return env;
}

interface Ran {
  status: number | null;
  out: string;
}

function run(file: string, args: string[], env: Record<string, string>, cwd: string): Ran {
  // The merge Job polls for its shares; a timeout turns a missing share into a failure, not a hang.
  const r = spawnSync(file, args, { cwd, env: { ...baseEnv(), ...env }, encoding: "utf8", timeout: 90_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? `\n${r.error.message}` : ""}` };
}

function ok(file: string, args: string[], env: Record<string, string>, cwd: string): string {
  const r = run(file, args, env, cwd);
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} (in ${cwd}) exited ${r.status}:\n${r.out}`);
  return r.out;
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** `${NAME}` and `$NAME` of `env` in a path the recipe writes (as its shell would expand them). */
const expand = (s: string, env: Record<string, string>) =>
  s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => env[(a ?? b) as string] ?? "");

/** The study file's section for each protocol: tiny networks, a few examples. */
function studyOf(model: string): Record<Protocol, Record<string, unknown>> {
  return {
    memorization: {
      arch: "resnet",
      blocks: [1],
      width: 0.0625,
      limit: 40,
      epochs: 1,
      batchSize: 20,
      models: 4,
      subset: 0.5,
      seed: 3,
    },
    certification: { model, examples: "0:5", unitSize: 2, sigma: 0.5, n: 60, n0: 10, alpha: 0.01, noiseBatch: 25 },
  };
}

/** A study section as the protocol command's flags (the study file's fields are those flags). */
function flagsOf(section: Record<string, unknown>): string[] {
  return Object.entries(section).flatMap(([k, v]) => {
    const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (v === true) return [flag];
    return [flag, Array.isArray(v) ? v.join(",") : String(v)];
  });
}

const jobs = k8sJobs(readFileSync(K8S, "utf8"));
const shardJob = must(
  jobs.find((j) => j.completions !== undefined),
  "the Indexed Job (the one with 'completions')",
);
const mergeJob = must(
  jobs.find((j) => j !== shardJob),
  "the merge Job",
);
const sbatch = readFileSync(SBATCH, "utf8");
const slurmMerge = slurmMergeExample(sbatch);

/** The volume's mount path (`/data`) as a folder of this test, wherever the recipe names it. */
function onVolume(s: string, mount: string): string {
  const at = new RegExp(`(?<=^|[\\s"'=])${mount.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=/|[\\s"']|$)`, "g");
  return s.replace(at, data);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "classfit-deploy-"));
  // The recipes' strings go through a shell unquoted in places (the merge's glob): keep the
  // folder's name plain so that its expansion is the one the cluster would see.
  if (!/^[\w/.-]+$/.test(dir)) throw new Error(`temporary folder ${dir} has characters a shell would split`);
  data = join(dir, "data");
  // A tiny seeded (untrained) ResNet saved as a classfit model directory, on the "volume".
  await writeTinyModelDir(join(data, "models", "tiny"), "deploy.cli.test");
  study = onVolume(must(shardJob.env.CONFIG, "the shard Job's CONFIG"), shardJob.mountPath);
  expect(isAbsolute(study) && study.startsWith(data)).toBe(true);
  mkdirSync(dirname(study), { recursive: true });
  writeFileSync(study, JSON.stringify(studyOf(join(data, "models", "tiny")), null, 2));
}, 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("deploy/ recipes", () => {
  it("the two Jobs agree on the share count, protocol, image and volume, and run in the Dockerfile's WORKDIR", () => {
    expect(jobs.map((j) => j.job)).toEqual(["classfit-shards", "classfit-merge"]);
    expect(shardJob.command).toEqual(["/bin/sh", "-c"]);
    expect(mergeJob.command).toEqual(["/bin/sh", "-c"]);
    // The manifest's header: `completions` and SHARDS must agree.
    expect(String(shardJob.completions)).toBe(shardJob.env.SHARDS);
    expect(mergeJob.env.SHARDS).toBe(shardJob.env.SHARDS);
    expect(mergeJob.env.PROTOCOL).toBe(shardJob.env.PROTOCOL);
    expect(mergeJob.image).toBe(shardJob.image);
    expect(mergeJob.mountPath).toBe(shardJob.mountPath);
    const workdir = /^WORKDIR\s+(\S+)\s*$/m.exec(readFileSync(DOCKERFILE, "utf8"))?.[1];
    expect(shardJob.workingDir).toBe(workdir);
    expect(mergeJob.workingDir).toBe(workdir);
    // Whoever reads the Slurm header's merge reads the script's own defaults.
    expect(slurmMerge.protocol).toBe(/^PROTOCOL=\$\{PROTOCOL:-([\w-]+)\}/m.exec(sbatch)?.[1]);
    expect(slurmMerge.command).toContain(`-of-${slurmMerge.shards}.npz`);
  });

  for (const protocol of PROTOCOLS) {
    it(`${protocol}: the Indexed Job's shares merged by the merge Job, and the Slurm array's merged as its header says, are the single run's bytes`, () => {
      const section = studyOf(join(data, "models", "tiny"))[protocol];
      const singleOut = join(dir, "single", protocol);
      ok(process.execPath, [CLI, COMMAND[protocol], ...flagsOf(section), "--out", singleOut], {}, ROOT);
      const single = sha(join(singleOut, `${protocol}.npz`));

      // Kubernetes: the pod's workingDir is the repository (the image's /app); the volume is a
      // folder here. Kubernetes itself expands only `$(VAR)` in args; `$VAR` and `${VAR}` are
      // the container shell's, from the env the Job sets plus JOB_COMPLETION_INDEX, which an
      // Indexed Job's controller sets to the pod's index. The test's edits of the Job are those
      // the manifest's header asks for: SHARDS (with completions) and PROTOCOL.
      const podEnv = (job: K8sContainer, extra: Record<string, string>) => ({
        ...Object.fromEntries(Object.entries(job.env).map(([k, v]) => [k, onVolume(v, job.mountPath)])),
        SHARDS: String(SHARDS),
        PROTOCOL: protocol,
        ...extra,
      });
      const [sh, ...shArgs] = shardJob.command as [string, ...string[]];
      for (let k = 0; k < SHARDS; k++) {
        const env = podEnv(shardJob, { JOB_COMPLETION_INDEX: String(k) });
        ok(sh, [...shArgs, onVolume(shardJob.args, shardJob.mountPath)], env, ROOT);
      }
      const shares = readdirSync(join(data, "shares")).filter((f) => f.startsWith(`${protocol}-`));
      expect(shares).toHaveLength(SHARDS);
      const mergeEnv = podEnv(mergeJob, {});
      const [msh, ...mshArgs] = mergeJob.command as [string, ...string[]];
      const mergeArgs = onVolume(mergeJob.args, mergeJob.mountPath);
      ok(msh, [...mshArgs, mergeArgs], mergeEnv, ROOT);
      const k8sOut = expand(must(/--out\s+"?([^"\s]+)"?/.exec(mergeArgs)?.[1], "the merge's --out"), mergeEnv);
      expect(k8sOut.startsWith(data)).toBe(true);
      expect(sha(k8sOut)).toBe(single);

      // Slurm: the script run by bash as an array task would be, from a submit directory that is
      // the repository as far as the script can tell (its relative `packages/…` resolves) but
      // keeps logs/, units/ and shares/ out of the working tree. WORK is that directory, where
      // the header's merge (relative paths) expects the shares.
      const submit = join(dir, "slurm");
      if (!existsSync(submit)) {
        mkdirSync(submit);
        symlinkSync(join(ROOT, "packages"), join(submit, "packages"));
      }
      const task = (id: number, array: number[], extra: Record<string, string> = {}) =>
        run(
          "bash",
          [SBATCH],
          {
            SLURM_ARRAY_TASK_ID: String(id),
            SLURM_ARRAY_TASK_MIN: String(Math.min(...array)),
            SLURM_ARRAY_TASK_MAX: String(Math.max(...array)),
            SLURM_ARRAY_TASK_COUNT: String(array.length),
            PROTOCOL: protocol,
            CONFIG: study,
            WORK: submit,
            ...extra,
          },
          submit,
        );
      const array = Array.from({ length: SHARDS }, (_, k) => k);
      for (const k of array) {
        const r = task(k, array);
        expect(r.status, r.out).toBe(0);
      }
      const shareFile = join(submit, "shares", `${protocol}-1-of-${SHARDS}.npz`);
      const share1 = sha(shareFile);
      // A failed task re-submitted alone: refused without SHARDS, resumed from its units with it.
      const alone = task(1, [1]);
      expect(alone.status).toBe(2);
      expect(alone.out).toMatch(/the array is not 0\.\.N-1 .*set SHARDS=N/);
      const resumed = task(1, [1], { SHARDS: String(SHARDS) });
      expect(resumed.status, resumed.out).toBe(0);
      expect(resumed.out).toMatch(/already done \(resumed\)/);
      expect(sha(shareFile)).toBe(share1);

      const merge = slurmMerge.command
        .replaceAll(slurmMerge.protocol, protocol)
        .replaceAll(`-of-${slurmMerge.shards}.npz`, `-of-${SHARDS}.npz`);
      ok("/bin/sh", ["-c", merge], {}, submit);
      const slurmOut = join(submit, must(/--out\s+(\S+)/.exec(merge)?.[1], "the header merge's --out", SBATCH));
      expect(sha(slurmOut)).toBe(single);
    }, 120_000);
  }
});
