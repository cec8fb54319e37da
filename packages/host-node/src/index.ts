export { buildProgram, main } from "./cli.js";
