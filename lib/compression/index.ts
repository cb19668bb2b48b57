export * from "./types";
export * from "./manager";
