export * from "./build.js";
export * from "./config.js";
export * from "./init.js";
export { PositionEmbedding, SelfAttention } from "./layers.js";
