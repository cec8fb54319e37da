export * from "./dataset.js";
export * from "./formats.js";
export * from "./synthetic.js";
