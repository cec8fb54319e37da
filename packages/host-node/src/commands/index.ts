// Every `classfit` subcommand registers itself here. Each command lives in its own module
// exporting `register(program)`; keep this list the only place that names them all.
import type { Command } from "commander";
import { register as bins } from "./bins.js";
import { register as certify } from "./certify.js";
import { register as convert } from "./convert.js";
import { register as demo } from "./demo.js";
import { register as density } from "./density.js";
import { register as evaluate } from "./evaluate.js";
import { register as extract } from "./extract.js";
import { register as fit } from "./fit.js";
import { register as kl } from "./kl.js";
import { register as memorization } from "./memorization.js";
import { register as merge } from "./merge.js";
import { register as reduce } from "./reduce.js";
import { register as shard } from "./shard.js";
import { register as study } from "./study.js";
import { register as train } from "./train.js";

export type Registrar = (program: Command) => void;

export const registrars: Registrar[] = [
  study,
  demo,
  memorization,
  certify,
  bins,
  merge,
  shard,
  train,
  extract,
  evaluate,
  reduce,
  fit,
  density,
  kl,
  convert,
];
