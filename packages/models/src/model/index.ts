export * from "./artifacts.js";
export * from "./create.js";
