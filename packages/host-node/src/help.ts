// The "Examples:" section every command's --help ends with. Commander wraps descriptions to the
// terminal, but not text added after the help, so examples are written to fit 80 columns: a
// long command line continues on the next line after a trailing backslash, as a shell reads it.
// `study` and `demo` write their own section (with their profiles and config); every other
// command's examples are here, by the command's path.
import type { Command } from "commander";

export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  classfit: [
    "npm start                 # build, then the demo study and its report",
    "classfit demo --out runs/demo",
    "classfit study --config study.json --out runs/mine",
    "classfit fit --help       # each command has its own examples",
  ],
  train: [
    "classfit train --out runs/resnet-narrow   # the shipped narrow ResNet",
    "classfit train --arch convnet --epochs 5 --out runs/convnet",
    "classfit train --depth 18 --width 1 --data cifar-10-batches-bin \\\n--out runs/resnet18             # full-width ResNet-18 on CIFAR-10",
  ],
  extract: [
    "classfit extract --model runs/resnet-narrow --out runs/acts",
    "classfit extract --model keras-tfjs/ --stages conv2,conv4 --out acts",
    "classfit extract --model runs/resnet-narrow --pool max --progress \\\n--out runs/acts-max 2> extract.log",
  ],
  evaluate: [
    "classfit evaluate --model runs/resnet-narrow",
    "classfit evaluate --model runs/resnet-narrow --split train --json > e.json",
  ],
  reduce: [
    "classfit reduce --data runs/acts/stage4.npy --k 64 --out Z.npy",
    "classfit reduce --data test.npy --projection Z.projection.npz --out Zt.npy",
  ],
  fit: [
    "classfit fit --data Z.npy --labels runs/acts/labels.npy --out fit",
    "classfit fit --data Z.npy --labels y.npy --profile paper --out fit-paper",
    "classfit fit --data Z.npy --out fit-all   # one model for all rows",
  ],
  density: [
    "classfit density --fit fit --data Z.npy --labels y.npy --out S.npy",
    "classfit density --fit fit --data Zt.npy --all-classes --out St.npy",
  ],
  kl: [
    "classfit kl --fit fit --out kl.json",
    "classfit kl --fit fit --reference full --samples 100000 --out kl-full.json",
  ],
  memorization: [
    "classfit memorization --models 64 --subset 0.7 --out runs/mem",
    "classfit memorization --models 64 --out runs/mem --shard 3/8  # 3 of 8",
  ],
  certify: [
    "classfit certify --model runs/resnet-narrow --limit 500 --out runs/cert",
    "classfit certify --model runs/resnet-narrow --sigma 0.25 --n 100000 \\\n--out runs/cert --shard 0/4",
  ],
  bins: [
    "classfit bins --density S.npy --bins 10 --out runs/bins",
    "classfit bins --density S.npy --bins 10 --out runs/bins --shard 1/10",
  ],
  convert: [
    "classfit convert runs/mem/memorization.cfa  # -> memorization.npz",
    "classfit convert fit        # a FITDIR: class-N.bin -> class-NN/model.npz",
    "classfit convert runs/demo  # a study RUNDIR, step.json files updated",
  ],
  merge: ["classfit merge --out runs/mem runs/mem/shares/*.npz"],
  shard: [
    "classfit shard run --protocol memorization --config study.json \\\n--shard 0/8 --units units --out shares/memorization-0-of-8.npz",
    "classfit shard merge --out memorization.npz shares/*.npz",
  ],
  "shard run": [
    "classfit shard run --protocol certification --config study.json \\\n--shard 2/4 --units units --out shares/certification-2-of-4.npz",
  ],
  "shard merge": ["classfit shard merge --out certification.npz shares/*.npz"],
};

/** Adds "Examples:" (and optional notes before it) after `cmd`'s help; each example one command. */
export function withExamples(cmd: Command, examples: readonly string[], notes?: string): Command {
  const shown = examples.map((e) => `  $ ${e.replace(/\n/g, "\n      ")}`).join("\n");
  return cmd.addHelpText("after", `${notes ? `\n${notes}\n` : ""}\nExamples:\n${shown}`);
}

/** A command's path without the program name: "fit", "shard run"; "classfit" for the program. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.length === 0 ? cmd.name() : names.join(" ");
}

/** Adds EXAMPLES to `program` and every command under it that has an entry. */
export function addExamples(program: Command): void {
  const walk = (cmd: Command) => {
    const examples = EXAMPLES[commandPath(cmd)];
    if (examples) withExamples(cmd, examples);
    for (const sub of cmd.commands) walk(sub);
  };
  walk(program);
}
