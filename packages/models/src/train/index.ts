export * from "./evaluate.js";
export * from "./schedule.js";
export * from "./setup.js";
export * from "./train.js";
