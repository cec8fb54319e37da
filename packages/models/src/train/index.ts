export * from "./evaluate.js";
export * from "./schedule.js";
export * from "./train.js";
