export * from "./extract.js";
