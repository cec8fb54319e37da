export * from "./dataset.js";
export * from "./formats.js";
