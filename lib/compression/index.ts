export * from "./types";
export * from "./manager";
export * from "./distill";
