// Every `classfit` subcommand registers itself here. Each command lives in its own module
// exporting `register(program)`; keep this list the only place that names them all.
import type { Command } from "commander";

export type Registrar = (program: Command) => void;

export const registrars: Registrar[] = [
  // [commands]
];
