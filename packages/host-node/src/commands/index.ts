// Every `classfit` subcommand registers itself here. Each command lives in its own module
// exporting `register(program)`; keep this list the only place that names them all.
import type { Command } from "commander";
import { register as density } from "./density.js";
import { register as fit } from "./fit.js";
import { register as kl } from "./kl.js";
import { register as reduce } from "./reduce.js";

export type Registrar = (program: Command) => void;

export const registrars: Registrar[] = [
  // [commands]
  reduce,
  fit,
  density,
  kl,
];
